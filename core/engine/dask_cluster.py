"""Reaching a Dask cluster for a run: check a scheduler address, connect, or start a local cluster.

An address is checked before `distributed.Client` sees it, because the Client is slow to give up and
noisy about it: a bare word (`notanaddress`) made it wait 20 s and print a traceback from its
destructor, and a port where nothing listens took its whole 10 s timeout. Here a malformed address, an
unknown host and a closed port are each one clear line within about a second (`CHECK_TIMEOUT_S`).

A cluster we start ourselves gets `distributed.scheduler.allowed-failures = 0`: a task whose worker
dies is failed at once instead of being re-run on up to three more workers (the node's own `retries`
decide; see `dask_task.py` for clusters we do not control).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

CHECK_TIMEOUT_S = 1.5
CONNECT_TIMEOUT_S = 10
DEFAULT_LOCAL_WORKERS = 2
_NETWORK_SCHEMES = ("tcp", "tls", "ws", "wss")


def address_problem(address: str) -> str | None:
    """Why `address` cannot be a reachable Dask scheduler (one line), or None if one answers there."""
    return check_scheduler(address)[0]


def check_scheduler(address: str) -> tuple[str | None, dict[str, Any]]:
    """(why it cannot be used or None, the scheduler's `identity` answer when one was asked)."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    hint = "expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786"
    try:
        scheme, location = parse_address(address.strip(), strict=False)
    except ValueError:
        return f"not a scheduler address ({hint})", {}
    if scheme not in backends:
        return f"unknown protocol '{scheme}://' ({hint})", {}
    if scheme not in _NETWORK_SCHEMES:
        return None, {}  # inproc:// and ucx:// are left to Dask
    try:
        host, port = parse_host_port(location)
    except ValueError:
        return f"not a scheduler address: no port ({hint})", {}
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return f"unknown host '{host}' ({exc.args[-1] if exc.args else exc})", {}
    last: OSError | None = None
    for family, kind, proto, _, where in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.settimeout(CHECK_TIMEOUT_S)
            try:
                probe.connect(where)
            except OSError as exc:
                last = exc
                continue
        return _identify(address.strip()) if scheme == "tcp" else (None, {})  # tls needs the user's certs
    if isinstance(last, ConnectionRefusedError):
        return "nothing is listening there (connection refused); is `dask scheduler` running?", {}
    if isinstance(last, TimeoutError | socket.timeout):
        return f"no answer within {CHECK_TIMEOUT_S:g} s", {}
    return f"cannot connect: {last.strerror if last and last.strerror else last}", {}


def _identify(address: str) -> tuple[str | None, dict[str, Any]]:
    """Ask what listens at a tcp:// address (Dask's handshake and `identity`), bounded in time."""

    async def identify() -> Any:
        from distributed.comm import connect

        comm = await connect(address, timeout=CHECK_TIMEOUT_S)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    def ask() -> Any:  # in a thread of its own: the caller may be inside a running event loop (Jupyter)
        return asyncio.run(asyncio.wait_for(identify(), CHECK_TIMEOUT_S * 2))

    try:
        with ThreadPoolExecutor(1, thread_name_prefix="nodeloom-dask-probe") as pool:
            answer = pool.submit(ask).result()
    except Exception:  # noqa: BLE001 - a web server, ssh, anything that does not speak Dask's protocol
        return "something answers there, but not a dask scheduler", {}
    kind = answer.get("type") if isinstance(answer, dict) else None
    if kind != "Scheduler":
        return f"that is a dask {kind or 'service'}, not a scheduler", {}
    return None, answer


def dashboard_url(address: str, identity: dict[str, Any]) -> str | None:
    """The scheduler's dashboard (`http://HOST:PORT/status`) if a page answers there, else None.

    A scheduler reports its dashboard port even when it serves nothing there (`--no-dashboard`), so the
    page is asked for (bounded by CHECK_TIMEOUT_S) before the link is offered. Without bokeh the page
    says how to install it, which is still the page to show.
    """
    from distributed.comm.addressing import get_address_host

    port = identity.get("services", {}).get("dashboard") if isinstance(identity, dict) else None
    if not isinstance(port, int):
        return None
    host = get_address_host(address.strip())
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/status"
    try:
        with urllib.request.urlopen(url, timeout=CHECK_TIMEOUT_S):  # noqa: S310 - http only, built here
            return url
    except urllib.error.HTTPError:
        return url  # it answers (an error page is still the dashboard's server)
    except (OSError, ValueError):
        return None


def connect(address: str) -> Any:
    """A Client of the running cluster at `address` (raises with a one-line reason)."""
    import distributed

    problem = address_problem(address)
    if problem is not None:
        raise ConnectionError(problem)
    client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    try:  # a scheduler without workers would leave the run waiting forever
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - a timeout, or the scheduler went away meanwhile
        with contextlib.suppress(Exception):
            client.close()
        raise ConnectionError(
            f"it has no workers (none joined within {CONNECT_TIMEOUT_S} s); start one with `dask worker {address}`"
        ) from None
    return client


def start_local(workers: int | None) -> tuple[Any, Any]:
    """Our own LocalCluster (worker processes, one thread each, quiet) and its Client."""
    import dask
    import distributed

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(
            n_workers=workers or DEFAULT_LOCAL_WORKERS,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # its health/metrics page: any free port
            silence_logs=logging.CRITICAL,  # its errors become node errors here
        )
    try:
        return cluster, distributed.Client(cluster, set_as_default=False)
    except BaseException:
        with contextlib.suppress(Exception):
            cluster.close()
        raise
