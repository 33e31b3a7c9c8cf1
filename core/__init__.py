"""Nodeloom's core: the pipeline model, file format, node types, validation, engine and CLI. No Qt here."""

from .context import Cancelled, Context, MapItemError
from .decorator import node
from .errors import NodeloomError, PipelineError, Problem
from .model import Edge, Node, Pipeline
from .node_types import NodeType, PortSpec
from .registry import Registry, default_registry

__all__ = [
    "Cancelled",
    "Context",
    "Edge",
    "Node",
    "NodeType",
    "NodeloomError",
    "Pipeline",
    "PipelineError",
    "PortSpec",
    "MapItemError",
    "Problem",
    "Registry",
    "default_registry",
    "node",
]
