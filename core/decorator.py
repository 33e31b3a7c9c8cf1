"""The `@node` decorator: turn a plain function into a well-described node type.

It only attaches metadata; the function stays callable as before, so a team's code keeps working
outside Nodeloom. Use it bare (`@node`) or with options:

    @node(outputs=["train", "test"], many=["frames"], category="ml", icon="fa5s.brain",
          ports={"test_size": {"minimum": 0.0, "maximum": 1.0}})
    def split(frames: list, test_size: float = 0.25): ...

`name` registers the function under a dotted name (used by built-ins and entry-point packages);
without it the function is referenced from a file as `py:module:qualname`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

from .node_types import NodeMeta

F = TypeVar("F", bound=Callable[..., Any])


@overload
def node(func: F, /) -> F: ...


@overload
def node(
    *,
    name: str | None = None,
    outputs: Iterable[str] | None = None,
    output_types: Mapping[str, str] | None = None,
    many: Iterable[str] = (),
    category: str | None = None,
    description: str | None = None,
    icon: str | None = None,
    ports: Mapping[str, Mapping[str, Any]] | None = None,
) -> Callable[[F], F]: ...


def node(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    outputs: Iterable[str] | None = None,
    output_types: Mapping[str, str] | None = None,
    many: Iterable[str] = (),
    category: str | None = None,
    description: str | None = None,
    icon: str | None = None,
    ports: Mapping[str, Mapping[str, Any]] | None = None,
) -> Any:
    """Attach node metadata to `func` (bare `@node`) or return a decorator that does (`@node(...)`)."""
    if func is not None and not callable(func):
        raise TypeError(
            f"@node takes options by keyword (e.g. @node(name={func!r})), not {type(func).__name__}"
        )
    meta = NodeMeta(
        name=name,
        outputs=_names(outputs, "outputs") if outputs is not None else None,
        output_types=dict(output_types) if output_types else None,
        many=_names(many, "many"),
        category=category,
        description=description,
        icon=icon,
        ports={k: dict(v) for k, v in ports.items()} if ports else None,
    )

    def attach(f: F) -> F:
        if not callable(f):
            raise TypeError(f"@node decorates functions, not {type(f).__name__}")
        f.__nodeloom__ = meta  # type: ignore[attr-defined]
        return f

    return attach(func) if func is not None else attach


def _names(value: Iterable[str], option: str) -> tuple[str, ...]:
    """A tuple of port names; a lone string is one name (not its characters)."""
    names = (value,) if isinstance(value, str) else tuple(value)
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"@node({option}=...) takes port names as strings, got {n!r}")
    return names
