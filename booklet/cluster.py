"""Connects `booklet batch --scheduler tcp://HOST:8786` to a Dask cluster and gives `batch.run` its executor.

Dask is an optional extra (`pip install 'booklet[dask]'`), imported only here, and only when
--scheduler is given. Every worker needs the same booklet installed and must reach the content
files, the clinic profile, the pictures and the --out folder by the same absolute paths (a shared
folder): the jobs name them so, and each worker writes its copies there itself.
"""

from __future__ import annotations

import importlib.metadata
from concurrent.futures import Executor
from typing import Any

from . import __version__
from .errors import BookletError

INSTALL = "pip install 'booklet[dask]'"
#: Seconds to wait for a first worker when the scheduler has none yet (a cluster still starting).
WAIT_FOR_WORKERS = 30


class Cluster:
    """A connection to a Dask scheduler: `executor` for batch.run, `workers` for how many jobs to keep in flight."""

    def __init__(self, client: Any, address: str) -> None:
        self.client = client
        self.address = address
        # pure=False: a task's key is a random id, not a hash of its arguments (which hold patient values).
        self.executor: Executor = client.get_executor(pure=False)

    def threads(self) -> dict[str, int]:
        """Each worker's threads, by worker address."""
        return dict(self.client.nthreads())

    @property
    def workers(self) -> int:
        """How many jobs the cluster runs at once: one per worker process (booklet.batch renders one
        document at a time in a process, however many threads the worker has)."""
        return max(1, len(self.threads()))

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(address: str) -> Cluster:
    """Connect to the scheduler at `address`, wait for a worker and check the workers' booklet;
    BookletError (exit 2) when Dask is missing or the cluster cannot run the jobs."""
    try:
        import distributed
    except ImportError:
        raise BookletError.at("--scheduler", "running on a Dask cluster needs Dask, which is not installed",
                              f"install it with: {INSTALL}") from None
    _check_address(address)
    try:
        # The connect timeout is Dask's own setting (distributed.comm.timeouts.connect, 30 s by default).
        client = distributed.Client(address, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BookletError.at("--scheduler", f"cannot reach the Dask scheduler at {address} "
                              f"({type(exc).__name__}: {exc})",
                              "check the address and port (8786 unless set otherwise) and that "
                              "`dask scheduler` is running there") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
        except TimeoutError:
            raise BookletError.at("--scheduler", f"the Dask scheduler at {address} has no workers",
                                  f"start workers where the files are reachable: dask worker {address} "
                                  "--nthreads 1 --nworkers N") from None
        _check_workers(client)
    except BaseException:
        client.close()
        raise
    return Cluster(client, address)


def _check_address(address: str) -> None:
    """A malformed address fails here, plainly: a Client that fails to start on one hangs on exit."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(address)
        get_backend(scheme)
        host, _ = parse_host_port(location)
        if not host:
            raise ValueError("no host name")
    except ValueError as exc:
        raise BookletError.at("--scheduler", f"'{address}' is not the address of a Dask scheduler ({exc})",
                              "give it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786") from None


def _check_workers(client: Any) -> None:
    """Every worker has this booklet: a job pickles functions by name, so an older or missing booklet
    on a worker would fail every job it takes, or make different files."""
    found = client.run(importlib.metadata.version, "booklet", on_error="return")
    problems = sorted(f"{worker}: {'no booklet' if isinstance(v, BaseException) else f'booklet {v}'}"
                      for worker, v in found.items() if v != __version__)
    if problems:
        raise BookletError.at("--scheduler", f"workers without booklet {__version__}: " + "; ".join(problems[:5])
                              + (f" and {len(problems) - 5} more" if len(problems) > 5 else ""),
                              f"install booklet {__version__} on every worker (pip install 'booklet=={__version__}')")
