"""Where the shards of the monthly job run: one after another in this process, or as Ray tasks.

``LocalEngine`` needs nothing; ``RayEngine`` starts Ray embedded (this machine, ``workers`` CPU slots)
unless an address is given (``--address`` or ``RAY_ADDRESS``): then the same tasks run on that
cluster, whose workers must have this package installed and see the work folder (a shared disk).
Both return results in the order of the inputs, so what follows never depends on the engine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.device import cpu_threads
from core.errors import ConfigError

log = logging.getLogger(__name__)
OBJECT_STORE_MB = 512


class LocalEngine:
    """Shards one after another in this process (peak memory: one shard)."""

    name = "local"

    def __init__(self) -> None:
        self.threads_per_task = cpu_threads()  # one shard at a time: it may use every core it is given

    def put(self, value: Any) -> Any:
        return value

    def map(self, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]]) -> list[Any]:
        from tqdm import tqdm

        return [fn(*args) for args in tqdm(calls, desc=fn.__name__, disable=len(calls) < 2)]


class RayEngine:
    """Each shard a Ray task (one CPU each); shared inputs go once into the object store (``put``)."""

    name = "ray"
    threads_per_task = 1  # each task holds one CPU slot

    def __init__(self, ray: Any) -> None:
        self._ray = ray

    def put(self, value: Any) -> Any:
        return self._ray.put(value)

    def map(self, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]]) -> list[Any]:
        from tqdm import tqdm

        remote = self._ray.remote(num_cpus=1, max_retries=2)(fn)
        refs = [remote.remote(*args) for args in calls]
        pending = list(refs)
        with tqdm(total=len(refs), desc=fn.__name__, disable=len(refs) < 2) as bar:
            while pending:
                done, pending = self._ray.wait(pending, num_returns=1)
                bar.update(len(done))
        return self._ray.get(refs)


@contextmanager
def open_engine(kind: str, address: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """``local`` or ``ray``; a Ray started here is shut down on exit, a running one is left running."""
    if kind == "local":
        yield LocalEngine()
        return
    if kind != "ray":
        raise ConfigError(f"engine must be 'local' or 'ray', not {kind!r}")
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError("--engine ray needs Ray: install the `batch` extra (pip install 'ray[data]')") from exc
    owned = not ray.is_initialized()
    if owned:
        address = address or os.environ.get("RAY_ADDRESS") or None
        quiet = {"logging_level": logging.WARNING, "log_to_driver": log.isEnabledFor(logging.DEBUG)}
        if address:
            ray.init(address=address, **quiet)
        else:
            # workers import this package from the same tree as the driver
            root = str(Path(__file__).resolve().parents[2])
            path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
            ray.init(address="local", num_cpus=workers or os.cpu_count() or 1, include_dashboard=False,
                     _node_ip_address="127.0.0.1", object_store_memory=OBJECT_STORE_MB * 1024 * 1024,
                     runtime_env={"env_vars": {"PYTHONPATH": path}}, **quiet)
    try:
        yield RayEngine(ray)
    finally:
        if owned:
            ray.shutdown()
