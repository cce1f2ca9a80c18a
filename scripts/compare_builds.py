"""Compare two built dataset folders row by row: per-row sha256 of every audio column, the
stored spec JSON and every other column; then the parquet files' bytes.

    python scripts/compare_builds.py BEFORE_DIR AFTER_DIR

Used to show that a change (e.g. the layout refactor) leaves the built rows byte-identical.
Exit status 0 when every row is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import pyarrow.parquet as pq

AUDIO = ("audio", "speech", "background")


def dataset_root(folder: Path) -> Path:
    """``folder`` itself, or the one dataset folder in it (``build --out`` makes ``<out>/<name>``)."""
    if (folder / "data").is_dir():
        return folder
    found = [p for p in folder.iterdir() if (p / "data").is_dir()]
    if len(found) != 1:
        raise SystemExit(f"{folder}: expected one dataset folder (with data/), found {len(found)}")
    return found[0]


def rows(root: Path) -> dict[str, dict]:
    """id -> {column: value}, audio columns as sha256 of their bytes."""
    out = {}
    for shard in sorted((root / "data").rglob("*.parquet")):
        for row in pq.read_table(shard).to_pylist():
            for column in AUDIO:
                if column in row:
                    blob = (row[column] or {}).get("bytes")
                    row[column] = hashlib.sha256(blob).hexdigest() if blob is not None else None
            out[row["id"]] = row
    return out


def compare(before: Path, after: Path) -> tuple[list[str], dict]:
    a, b = rows(dataset_root(before)), rows(dataset_root(after))
    problems = [f"only in before: {i}" for i in sorted(a.keys() - b.keys())]
    problems += [f"only in after: {i}" for i in sorted(b.keys() - a.keys())]
    for rid in sorted(a.keys() & b.keys()):
        for column in sorted(a[rid].keys() | b[rid].keys()):
            if a[rid].get(column) != b[rid].get(column):
                problems.append(f"{rid}: {column} differs")
    files_a = {p.relative_to(dataset_root(before)): p for p in (dataset_root(before) / "data").rglob("*.parquet")}
    files_b = {p.relative_to(dataset_root(after)): p for p in (dataset_root(after) / "data").rglob("*.parquet")}
    same_files = sum(1 for k in files_a.keys() & files_b.keys() if files_a[k].read_bytes() == files_b[k].read_bytes())
    stats = {"rows_before": len(a), "rows_after": len(b), "rows_compared": len(a.keys() & b.keys()),
             "audio_columns": sorted({c for r in a.values() for c in AUDIO if c in r}),
             "parquet_files": f"{same_files}/{len(files_a | files_b)} byte-identical"}
    return problems, stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    problems, stats = compare(args.before, args.after)
    for problem in problems[:50]:
        print(problem)
    print(", ".join(f"{k}: {v}" for k, v in stats.items()))
    print("IDENTICAL" if not problems else f"{len(problems)} differences")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
