"""The local executor: tasks in this process (one worker) or in a process pool whose workers
die with their parent."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _die_with_parent(parent: int) -> None:
    """Pool workers exit when the parent is killed: orphans would idle forever and keep
    holding the parent's build lock (a forked child shares its flock)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    import threading
    import time

    def watch() -> None:  # fallback where PR_SET_PDEATHSIG is missing: exit once reparented
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="aorgen-parent-watch").start()


def run_local(fn: Callable[[T], R], tasks: list[T], *, workers: int = 1, address: str | None = None,
              gpus: float | None = 0, start_method: str | None = None) -> Iterator[R]:
    """Results of ``fn`` over ``tasks`` as they complete; ``address`` and ``gpus`` are unused
    here; ``start_method`` picks how the pool's processes start."""
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield fn(task)
        return
    import multiprocessing

    context = multiprocessing.get_context(start_method) if start_method else None
    with ProcessPoolExecutor(max_workers=workers, initializer=_die_with_parent,
                             initargs=(os.getpid(),), mp_context=context) as pool:
        futures = [pool.submit(fn, task) for task in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
