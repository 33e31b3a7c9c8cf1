"""The package list, computed: every folder under core/, desktop/ and resources/ as a `nodeloom.*` package.

pyproject.toml holds everything else. The repository's folders map onto `nodeloom.core`,
`nodeloom.desktop` and `nodeloom.core.resources` (`package-dir`), which setuptools' `find` cannot follow,
and a data folder not listed as a package makes setuptools warn; walking the tree here means a new
module folder or a new data folder (resources/data/, resources/icons/...) ships without editing a list.
"""

import os

from setuptools import setup

ROOTS = {"core": "nodeloom.core", "desktop": "nodeloom.desktop", "resources": "nodeloom.core.resources"}
SKIP = {"__pycache__"}


def packages() -> list[str]:
    found = []
    here = os.path.dirname(os.path.abspath(__file__))
    for folder, package in ROOTS.items():
        for path, dirs, _files in os.walk(os.path.join(here, folder)):
            dirs[:] = sorted(d for d in dirs if d not in SKIP and not d.startswith("."))
            rel = os.path.relpath(path, os.path.join(here, folder))
            if folder == "core" and rel.split(os.sep)[0] == "resources":
                continue
            found.append(package if rel == "." else package + "." + rel.replace(os.sep, "."))
    return found


setup(packages=packages())
