"""Build throughput: clips/s of the default build at 1 and 2 workers, cold and warm caches,
peak memory, and worker time per stage. Prints a markdown table.

    python benchmarks/build_speed.py               # the full default benchmark
    python benchmarks/build_speed.py --limit 40    # 40 clips per category and label: quick
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_build(out: Path, cache: Path, workers: int, limit: int | None, recipe: str | None) -> dict:
    cmd = [sys.executable, "-m", "aorgen.cli", "build", "--out", str(out), "--cache-dir", str(cache),
           "--workers", str(workers), "--overwrite", "--no-reuse"]  # warm = render again from warm caches
    if limit:
        cmd += ["--limit", str(limit)]
    if recipe:
        cmd += ["--recipe", recipe]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    clips = int(re.search(r"^(\d+) clips", result.stdout, re.M).group(1))
    stages = dict((k, float(v)) for k, v in re.findall(r"(\w+) ([\d.]+)s", result.stdout.split("per stage:")[1]))
    return {"clips": clips, "wall": wall, "peak_mb": peak_mb, "stages": stages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="clips per category and label (default: the full recipe)")
    parser.add_argument("--recipe", help="recipe (default: the v1 release recipe)")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (int(w) for w in args.workers.split(",")):
            cache = Path(tmp) / f"cache-{workers}"
            for state in ("cold", "warm"):
                r = run_build(Path(tmp) / "out", cache, workers, args.limit, args.recipe)
                rows.append((workers, state, r))
            shutil.rmtree(cache)
    print("| workers | cache | clips | wall s | clips/s | peak RSS MB (one process) | worker s per stage |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for workers, state, r in rows:
        stages = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r["stages"].items(), key=lambda kv: -kv[1]))
        print(f"| {workers} | {state} | {r['clips']} | {r['wall']:.1f} | {r['clips'] / r['wall']:.1f} | "
              f"{r['peak_mb']:.0f} | {stages} |")


if __name__ == "__main__":
    main()
