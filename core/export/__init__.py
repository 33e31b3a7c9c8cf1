"""Export a pipeline as code for another home: a plain Python script, a Prefect 3 flow, an Airflow 3 DAG.

`export_pipeline` validates the pipeline as `nodeloom run` would, then hands the resolved graph
(`graph_code.ExportGraph`) to one module per target. Anything a target cannot express raises
`ExportError` with one line naming the node.
"""

from __future__ import annotations

import os

from ..file_format import load_pipeline
from ..model import Pipeline
from ..registry import Registry, add_import_path
from . import airflow_target, prefect_target, python_target
from .graph_code import ExportError, build_export_graph

TARGETS = {"python": python_target, "prefect": prefect_target, "airflow": airflow_target}

__all__ = ["TARGETS", "ExportError", "export_file", "export_pipeline"]


def export_pipeline(
    pipeline: Pipeline,
    target: str,
    file: str | None = None,
    out_path: str | None = None,
    registry: Registry | None = None,
) -> str:
    """The generated source for `target`; `file` is the pipeline's path (its folder holds `py:` modules)."""
    module = TARGETS.get(target)
    if module is None:
        raise ExportError(f"unknown export target '{target}' (use {', '.join(TARGETS)})")
    graph = build_export_graph(pipeline, file, registry)
    return module.generate(graph, out_path)


def export_file(path: str, target: str, out_path: str | None = None) -> str:
    """Load `path` and export it; raises PipelineError for a bad file, ExportError for what cannot be written."""
    add_import_path(os.path.dirname(os.path.abspath(path)))
    return export_pipeline(load_pipeline(path), target, path, out_path)
