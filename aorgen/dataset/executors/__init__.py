"""Executors run independent tasks (one per shard): in-process or a local process pool
(``local``), or a Ray cluster (``ray``).

An executor is one module with a function ``(fn, tasks, *, workers, address, gpus,
start_method) -> iterator of results`` (as they complete, in any order) registered in :data:`EXECUTORS`; a Slurm or Dask
executor is one new file plus one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

from aorgen.common.registry import Registry

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    def __call__(self, fn: Callable[[T], R], tasks: list[T], *, workers: int = 1,
                 address: str | None = None, gpus: float | None = 0,
                 start_method: str | None = None) -> Iterator[R]: ...


#: executor name -> "module:function" (imported on use: ray loads only for --executor ray)
EXECUTORS = Registry("executor", {
    "local": "aorgen.dataset.executors.local:run_local",
    "ray": "aorgen.dataset.executors.ray:run_ray",
}, field="--executor")


def run_tasks(fn: Callable[[T], R], tasks: Iterable[T], *, workers: int = 1,
              executor: str = "local", address: str | None = None, gpus: float | None = 0,
              start_method: str | None = None) -> Iterator[R]:
    """Results of ``fn`` over ``tasks`` as they complete (order not guaranteed); ``gpus``:
    each task's GPU share where the executor schedules GPUs (``None``: one each where the
    cluster has GPUs); ``start_method``: how local worker processes start (``spawn`` where the
    parent may have run torch, which a forked child can deadlock on; default: the platform's)."""
    tasks = list(tasks)
    run: Executor = EXECUTORS.load(executor)
    yield from run(fn, tasks, workers=workers, address=address, gpus=gpus, start_method=start_method)
