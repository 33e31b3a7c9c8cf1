"""Small rules the whole program shares, defined once: `$param` references, node option limits, text clipping.

Loader, validation, plan, schema, inspector and canvas all ask these questions; keeping the answers
here means a rule changes in one place.
"""

from __future__ import annotations

from typing import Any

PARAM_REF = "$param"

# Node option limits: the loader refuses, the schema declares and the inspector's fields offer these.
MAX_RETRIES = 100
MAX_RETRY_DELAY_S = 86_400.0
MAX_TIMEOUT_S = 7 * 86_400.0

ELLIPSIS = "…"


def param_ref(value: Any) -> str | None:
    """The parameter name of a well-formed `{"$param": NAME}` reference, else None."""
    if type(value) is dict and len(value) == 1:
        name = value.get(PARAM_REF)
        if type(name) is str:
            return name
    return None


def make_param_ref(name: str) -> dict[str, str]:
    return {PARAM_REF: name}


def looks_like_param_ref(value: Any) -> bool:
    """True for any dict carrying the `$param` key, well-formed or not (the loader reports the bad ones)."""
    return type(value) is dict and PARAM_REF in value


def clip(text: str, limit: int, *, keep_end: bool = False) -> str:
    """`text` cut to at most `limit` characters with an ellipsis marking the cut (at the start if `keep_end`)."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    return ELLIPSIS + text[-(limit - 1) :] if keep_end else text[: limit - 1] + ELLIPSIS


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 node", "2 nodes", "0 nodes": a count with its noun agreeing (every user-facing count uses it)."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
