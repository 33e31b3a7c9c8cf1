"""Text nodes."""

from __future__ import annotations

from typing import Any

from ..decorator import node


@node(name="text.format", category="text", icon="fa5s.font", ports={"template": {"widget": "text"}})
def format_text(template: str, value: Any = None) -> str:
    """Fill `{value}` (and `{value[key]}`) in a template."""
    return template.format(value=value)


@node(name="text.join", category="text", icon="fa5s.link", many=["parts"])
def join(parts: list[str], separator: str = "\n") -> str:
    """Join every connected text with a separator (fan-in)."""
    return separator.join(str(p) for p in parts)
