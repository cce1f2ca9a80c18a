"""The Ray executor: run independent tasks on a Ray cluster (or a local Ray instance).

Generic like :func:`aorgen.dataset.executors.run_tasks`: ``fn`` must be importable by the workers
(a module-level function of an installed package) and each task picklable. On a cluster,
every node needs aorgen and the asset files (sound banks, cache folder) at the same paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from aorgen.errors import require

T = TypeVar("T")
R = TypeVar("R")


def run_ray(fn: Callable[[T], R], tasks: list[T], *, workers: int = 1,
            address: str | None = None, gpus: float | None = 0, start_method: str | None = None) -> Iterator[R]:
    """Results of ``fn`` over ``tasks`` as they complete (order not guaranteed).

    Uses the running Ray instance if there is one; else connects to ``address`` (e.g.
    ``auto``), or starts a local instance with ``workers`` CPUs. A task's exception is
    raised as itself (an ``AorgenError`` stays one line), and the other tasks are cancelled.
    ``gpus`` is each task's GPU share; ``None`` means one GPU per task where the cluster has
    GPUs and none elsewhere (e.g. one model per task, each on its own GPU).
    """
    ray = require("ray", extra="ray")
    if not tasks:
        return
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=max(workers, 1), include_dashboard=False, log_to_driver=False)
    if gpus is None:
        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    remote = ray.remote(num_cpus=1, num_gpus=gpus)(fn)
    pending = [remote.remote(task) for task in tasks]
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                yield ray.get(done[0])
            except ray.exceptions.RayTaskError as err:
                raise (err.cause if isinstance(err.cause, BaseException) else err) from None
    finally:
        for ref in pending:
            ray.cancel(ref)
