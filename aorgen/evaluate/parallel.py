"""Data-parallel evaluation: ``aorgen eval --workers N [--executor ray]``.

The samples are split as ``--shard i/N`` splits them; each worker (a local process or a Ray
task, through :func:`aorgen.dataset.executors.run_tasks`, the executor the build uses) loads its own
copy of the model and evaluates one shard into ``<run>/shards/i-of-N/``; the shards are then
joined into the run folder by :func:`aorgen.evaluate.run.merge_shards`. Under Ray each worker
gets a GPU of its own where the cluster has GPUs. Greedy generations are the same as one
process's (the adapters' outputs do not depend on the batch's composition); a worker that is
run again resumes from its shard's cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aorgen.errors import AorgenError

from .run import EvalSummary, merge_shards

#: run_mitigated_eval's own arguments (the rest go to run_eval)
_MITIGATION = ("steer", "coefficient", "mode", "lora")


def eval_shard(task: dict[str, Any]) -> EvalSummary:
    """One worker's share: ``run_eval`` (or ``run_mitigated_eval`` with a steering vector or
    LoRA) over ``task['shard']``, with the model loaded in this worker."""
    kwargs = dict(task)
    if any(kwargs.get(k) is not None for k in ("steer", "lora")):
        from aorgen.mitigate.apply import run_mitigated_eval

        return run_mitigated_eval(**kwargs)
    from .run import run_eval

    for key in _MITIGATION:
        kwargs.pop(key, None)
    return run_eval(**kwargs)


def run_eval_parallel(dataset: str | Path, model: str, *, workers: int, executor: str = "local",
                      address: str | None = None, **kwargs: Any) -> EvalSummary:
    """Evaluate with ``workers`` model copies in parallel and merge their shards into one run
    folder; ``kwargs`` are those of ``run_eval`` (plus ``steer``/``coefficient``/``mode``/``lora``
    of ``run_mitigated_eval``). Returns the summary of the whole run."""
    if kwargs.get("shard") is not None:
        raise AorgenError("--shard selects one shard for this process; --workers runs all of them",
                          field="--shard")
    if kwargs.get("model_adapter") is not None:
        raise AorgenError("a loaded model cannot be shipped to workers: pass the model id", field="model_adapter")
    from aorgen.dataset.executors import run_tasks

    tasks = [{**kwargs, "dataset": str(dataset), "model": model, "shard": (i, workers), "progress": False}
             for i in range(workers)]
    # spawned, not forked: a forked child of a process that has run torch can deadlock
    summaries = list(run_tasks(eval_shard, tasks, workers=workers, executor=executor, address=address,
                               gpus=None, start_method="spawn"))
    run_dir = summaries[0].run_dir.parent.parent  # <run>/shards/i-of-N -> <run>
    merge_shards(run_dir)
    total = EvalSummary(run_dir)
    for part in summaries:
        for mine, theirs in ((total.generated, part.generated), (total.cached, part.cached),
                             (total.errors, part.errors)):
            for cond, n in theirs.items():
                mine[cond] = mine.get(cond, 0) + n
    return total
