"""Merkle cache keys, and why a node is (not) taken from the cache, in words.

A node's key hashes its own signature (type name, code hash, resolved params as JSON) together with, per
input port, the keys of the upstream nodes feeding it (with their output port, in edge order, so a
`many` input's order counts). Values are never hashed: a key is known before anything runs, so
`explain_cache` can answer without running, and a 1 GB array costs nothing to key. Node ids are not
part of the key, so renaming a node keeps its cache.

`cache: false` nodes are volatile: their output may differ on every run (they read a clock, a file, a
service), so their key mixes in a per-run nonce. Their descendants' keys therefore change on every run
too, and they re-run: reusing a downstream result computed from an older, different upstream value would
be silently wrong. A run with `use_cache=False` neither reads nor writes the cache.

A key covers what the function can see, not only its text (`code_identity.py`): the resolved file and
content of its module and of the project modules that module imports, and the versions of installed
packages it imports (Nodeloom's own for built-in types). So a changed module constant or helper re-runs
the node, and two projects whose `steps.py` differ share nothing. Not covered: files a function reads
(name them in a param, or mark the node `cache: false`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from .cache import ResultCache
from .code_identity import identity_hash, module_identity
from .plan import Plan

ENGINE_SALT = "nodeloom-cache-2"


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr, allow_nan=True)


def signatures(plan: Plan, nonce: str) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """node id -> key, and node id -> the signature recorded in the cache index (for explanations)."""
    keys: dict[str, str] = {}
    sigs: dict[str, dict[str, Any]] = {}
    checked: dict[str, dict[str, Any]] = {}
    module_hashes: dict[str, str] = {}
    for nid, node_plan in plan.nodes.items():
        node_type = node_plan.node_type
        module = module_hashes.get(node_type.name)
        if module is None:
            module = module_hashes[node_type.name] = identity_hash(module_identity(node_type, checked))
        inputs = {
            port: [[src, src_port, keys[src]] for src, src_port in sources]
            for port, _many, sources in node_plan.edge_inputs
        }
        sig = {
            "type": node_plan.node_type.name,
            "code": node_plan.node_type.code_hash,
            "module": module,
            "params": node_plan.params,
            "inputs": inputs,
        }
        material = {
            "salt": ENGINE_SALT,
            "type": sig["type"],
            "code": sig["code"],
            "module": module,
            "params": node_plan.params,
            "inputs": {
                port: [[src_port, key] for _src, src_port, key in rows] for port, rows in inputs.items()
            },
        }
        if not node_plan.node.cache:
            material["volatile"] = nonce
        keys[nid] = hashlib.sha256(_dumps(material).encode()).hexdigest()[:32]
        sigs[nid] = sig
    return keys, sigs


def _names(kind: str, names: list[str]) -> str:
    quoted = ", ".join(f"'{n}'" for n in names)
    return f"{kind} {quoted} changed" if len(names) == 1 else f"{kind}s {quoted} changed"


def difference(plan: Plan, node_id: str, current: dict[str, Any], last: dict[str, Any] | None) -> str | None:
    """What changed since the node's last recorded execution, in words (None: nothing visible)."""
    if last is None:
        return "never run"
    old_sig = last.get("signature", {})
    if old_sig.get("type") != current["type"]:
        return f"type changed from {old_sig.get('type')} to {current['type']}"
    if old_sig.get("code") != current["code"]:
        return f"code of {current['type']} changed"
    old_params, new_params = old_sig.get("params", {}), current["params"]
    changed = sorted(
        k for k in set(old_params) | set(new_params) if _dumps(old_params.get(k)) != _dumps(new_params.get(k))
    )
    if changed:
        return _names("param", changed)
    old_inputs, new_inputs = old_sig.get("inputs", {}), current["inputs"]
    changed_from: list[str] = []
    rewired: list[str] = []
    for port in sorted(set(old_inputs) | set(new_inputs)):
        old_rows, new_rows = old_inputs.get(port, []), new_inputs.get(port, [])
        if [r[:2] for r in old_rows] != [r[:2] for r in new_rows]:
            rewired.append(port)
            continue
        for old_row, new_row in zip(old_rows, new_rows, strict=True):
            if old_row[2] != new_row[2] and new_row[0] not in changed_from:
                changed_from.append(new_row[0])
    if rewired:
        return _names("wiring of input", rewired)
    if changed_from:
        volatile = [src for src in changed_from if src in plan.nodes and not plan.nodes[src].node.cache]
        text = ", ".join(f"'{s}'" for s in changed_from)
        suffix = (
            " (cache: false, re-runs every time)" if volatile and len(volatile) == len(changed_from) else ""
        )
        return f"input from {text} changed{suffix}"
    if old_sig.get("module") != current["module"]:
        return (
            f"module of {current['type']} changed (its file, a module it imports, or where it is loaded from)"
        )
    return None


def why_not_cached(
    plan: Plan,
    node_id: str,
    cache: ResultCache | None,
    keys: dict[str, str],
    sigs: dict[str, dict[str, Any]],
    scope: str,
    forced: set[str],
    rerun: Sequence[str],
) -> str:
    """Why a run executes node_id instead of taking it from the cache, in words."""
    if cache is None:
        return "cache disabled for this run"
    if not plan.nodes[node_id].node.cache:
        return "cache: false on this node"
    if node_id in forced:
        return "re-run requested" if node_id in rerun else "re-run requested upstream"
    last = cache.last(scope, node_id)
    changed = difference(plan, node_id, sigs[node_id], last)
    if changed:
        return changed
    if last is not None and last.get("key") == keys[node_id]:
        return (
            "failed last time"
            if last.get("status") == "failed"
            else "no stored result (not picklable or deleted)"
        )
    return "signature changed"
