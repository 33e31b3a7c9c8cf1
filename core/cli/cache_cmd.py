"""`nodeloom cache info|prune|clear`: see and reclaim the result cache's disk space.

`info` says where the cache is, how much it holds and its limit (and where the limit is set); `prune`
removes least recently used entries until the cache fits its limit (or `--to SIZE`); `clear` removes
every entry and the index. Entries in use by a running run (its lease) are never removed, so these are
safe while runs go on.
"""

from __future__ import annotations

import argparse
import time

from ..engine.cache import ResultCache
from ..engine.cache_space import (
    CacheLimitError,
    cache_limit,
    clear,
    disk_size,
    entries,
    format_size,
    in_use,
    parse_size,
    prune,
)
from .output import EXIT_INVALID, EXIT_OK, error, safe


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="the result cache: info, prune, clear")
    actions = p.add_subparsers(metavar="ACTION", dest="action", required=True)
    info = actions.add_parser("info", help="where the cache is, its size and its limit")
    info.set_defaults(command=run)
    prune_p = actions.add_parser("prune", help="remove least recently used entries down to the limit")
    prune_p.add_argument("--to", metavar="SIZE", help="prune down to SIZE (like 500MB or 10%%) instead")
    prune_p.set_defaults(command=run)
    clear_p = actions.add_parser("clear", help="remove every cached result")
    clear_p.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    cache = ResultCache()
    try:
        limit = cache_limit(cache.root)
    except CacheLimitError as exc:
        error(str(exc))
        return EXIT_INVALID
    if args.action == "info":
        return _info(cache, limit.bytes, limit.source)
    if args.action == "prune":
        target = limit.bytes
        if args.to:
            try:
                target = parse_size(args.to, disk_size(cache.root))
            except ValueError as exc:
                error(f"--to: {exc}")
                return EXIT_INVALID
        result = prune(cache, limit=target)
    else:
        result = clear(cache)
    kept = f" ({result.kept} in use by running runs kept)" if args.action == "clear" and result.kept else ""
    print(
        f"removed {result.removed} entries ({format_size(result.freed)}){kept}; "
        f"the cache now holds {format_size(result.size)} (limit {format_size(limit.bytes)})"
    )
    return EXIT_OK


def _info(cache: ResultCache, limit: int, source: str) -> int:
    found = list(entries(cache))
    size = sum(e.size for e in found)
    print(f"location:  {safe(cache.root)}")
    print(f"entries:   {len(found)}")
    print(f"size:      {format_size(size)}")
    print(f"limit:     {format_size(limit)} ({safe(source)})")
    if found:
        oldest, newest = min(e.used for e in found), max(e.used for e in found)
        when = "%Y-%m-%d %H:%M"
        print(
            f"last used: {time.strftime(when, time.localtime(oldest))} .. {time.strftime(when, time.localtime(newest))}"
        )
    used = in_use(cache)
    busy = [e for e in found if e in used]
    if busy:
        print(f"in use:    {len(busy)} entries used by running runs")
    return EXIT_OK
