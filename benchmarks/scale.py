"""Scale benchmarks of `aorgen build`, printed as markdown tables:

1. memory: peak RSS of one build process (--workers 1, cold cache) at about 1,000 and
   4,000 clips, showing whether it grows with the number of clips;
2. throughput: clips/s at 1 and 2 local workers (cold cache);
3. Ray against the local process pool: the same clips, 2 workers, warm cache (Ray's
   start-up included, as a user pays it).

Incremental rebuilds have their own script, ``incremental.py``.

The recipes are the default (v1 release) recipe with its templates and banks, every
per-category count scaled to the number of clips asked for, and a fixed shard size.

    python benchmarks/scale.py                                  # about an hour on 2 cores
    python benchmarks/scale.py --clips 120 --memory 120,480     # a few minutes
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from aorgen.content.recipe import load_recipe


@dataclass
class Run:
    clips: int
    wall_s: float  # the whole command, imports and Ray start-up included
    build_s: float  # build() alone, as the summary reports it
    cpu_s: float  # user + system time of the command and its pool workers (not the espeak server's)
    peak_mb: float  # the largest process
    stages: dict[str, float]
    reused: int = 0  # rows copied from the previous output

    @property
    def clips_per_s(self) -> float:
        return self.clips / self.wall_s


def write_recipe(folder: Path, clips: int, shard_size: int, snr_shift_db: float = 0.0) -> Path:
    """The default recipe scaled to about ``clips`` clips (500:40:40 per category as in v1)."""
    base = load_recipe()
    data = base.model_dump(mode="json")
    scale = clips / (6 * 580)
    data["samples_per_category"] = {"pseudo_harmful": max(1, round(500 * scale)),
                                    "harmful_contrast": max(1, round(40 * scale)),
                                    "benign_control": max(1, round(40 * scale))}
    data["templates"] = [str(base.resolve(t)) for t in base.templates]
    data["sound_banks"] = [str(base.resolve(b)) for b in base.sound_banks]
    data["shard_size"] = shard_size
    data["scene"]["snr_bands_db"] = [{"low": b["low"] + snr_shift_db, "high": b["high"] + snr_shift_db}
                                     for b in data["scene"]["snr_bands_db"]]
    path = folder / f"recipe-{clips}-{snr_shift_db:g}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_build(recipe: Path, out: Path, cache: Path, workers: int, executor: str = "local",
              reuse: bool = False) -> Run:
    """One ``aorgen build`` command; with ``reuse``, unchanged rows of ``out`` are copied."""
    cmd = [sys.executable, "-m", "aorgen.cli", "build", "--recipe", str(recipe), "--out", str(out),
           "--cache-dir", str(cache), "--workers", str(workers), "--executor", executor, "--overwrite",
           *([] if reuse else ["--no-reuse"])]
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)  # this build's own peak RSS
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        text = log.read().decode(errors="replace")
    if proc.returncode:
        sys.exit(f"build failed ({' '.join(cmd)}):\n{text}")
    stages = {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+)s", text.split("per stage:")[1])}
    return Run(clips=int(re.search(r"^(\d+) clips", text, re.M)[1]), wall_s=wall,
               build_s=float(re.search(r"wall ([\d.]+)s", text)[1]), cpu_s=usage.ru_utime + usage.ru_stime,
               peak_mb=usage.ru_maxrss / 1024, stages=stages,
               reused=int(re.search(r"(\d+) reused", text)[1]))


def stage_text(run: Run) -> str:
    return ", ".join(f"{k} {v:.0f}" for k, v in sorted(run.stages.items(), key=lambda kv: -kv[1]))


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=1000, help="clips for throughput and Ray")
    parser.add_argument("--memory", default="1000,4000", help="clip counts for the memory runs")
    parser.add_argument("--shard-size", type=int, default=100)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        recipe = write_recipe(tmp, args.clips, args.shard_size)

        def build(name: str, recipe: Path, cache: str, workers: int, executor: str = "local") -> Run:
            run = run_build(recipe, tmp / "out" / name, tmp / cache, workers, executor)
            print(f"  {name}: {run.clips} clips, {run.wall_s:.1f}s, {run.peak_mb:.0f} MB", file=sys.stderr)
            return run

        one = build("1 worker cold", recipe, "cache-1", 1)
        two = build("2 workers cold", recipe, "cache-2", 2)
        pool = build("2 workers warm, local pool", recipe, "cache-2", 2)
        ray = None if args.no_ray else build("2 workers warm, ray", recipe, "cache-2", 2, "ray")
        memory = [one if n == args.clips else build(f"{n} clips", write_recipe(tmp, n, args.shard_size),
                                                        f"cache-m{n}", 1)
                  for n in (int(x) for x in args.memory.split(","))]

    print(f"Shard size {args.shard_size}; wall time of the whole command (imports included); CPU time of "
          "the command and its pool workers (espeak runs in a server process not counted there).\n")
    print("### Memory (one process, --workers 1, cold cache)\n")
    print(table(["clips", "peak RSS MB", "wall s", "clips/s"],
                [[r.clips, f"{r.peak_mb:.0f}", f"{r.wall_s:.0f}", f"{r.clips_per_s:.2f}"] for r in memory]))
    print("\n### Throughput (cold cache)\n")
    print(table(["workers", "clips", "wall s", "CPU s", "clips/s", "peak RSS MB (largest process)",
                 "worker s per stage"],
                [[w, r.clips, f"{r.wall_s:.0f}", f"{r.cpu_s:.0f}", f"{r.clips_per_s:.2f}", f"{r.peak_mb:.0f}",
                  stage_text(r)] for w, r in ((1, one), (2, two))]))
    if ray:
        print("\n### Ray against the local pool (2 workers, warm cache, same clips)\n")
        print(table(["executor", "clips", "wall s", "build() s", "overhead vs local pool"],
                    [["local pool", pool.clips, f"{pool.wall_s:.1f}", f"{pool.build_s:.1f}", "-"],
                     ["ray (local instance)", ray.clips, f"{ray.wall_s:.1f}", f"{ray.build_s:.1f}",
                      f"{ray.wall_s - pool.wall_s:+.1f} s ({ray.wall_s / pool.wall_s - 1:+.0%})"]]))


if __name__ == "__main__":
    main()
