"""PyInstaller entry point: the `nodeloom` console script."""

import sys

from nodeloom.core.cli.main import main

sys.exit(main())
