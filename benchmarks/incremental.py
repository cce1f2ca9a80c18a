"""Incremental rebuilds of the default benchmark, against the full build from a cold cache.
Prints a markdown table.

Every rebuild runs `aorgen build --overwrite` over the previous output, so it copies the rows
whose spec did not change, with the speech, room and texture caches warm:

1. the SNR range widened downwards: the lowest band 0-5 dB becomes -5-5 dB, so that band's
   clips (a third) change;
2. every SNR band shifted up by 2 dB, so every clip changes;
3. an unchanged rebuild.

    python benchmarks/incremental.py                 # the full default benchmark, 2 workers
    python benchmarks/incremental.py --limit 60      # 60 clips per category and label: quick
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml

from aorgen.content.recipe import load_recipe

sys.path.insert(0, str(Path(__file__).parent))
from scale import run_build, stage_text, table  # noqa: E402


def write_recipe(folder: Path, name: str, limit: int | None,
                 bands: list[tuple[float, float]] | None = None) -> Path:
    base = load_recipe()
    data = base.model_dump(mode="json")
    data["templates"] = [str(base.resolve(t)) for t in base.templates]
    data["sound_banks"] = [str(base.resolve(b)) for b in base.sound_banks]
    if limit:
        data["samples_per_category"] = {k: min(v, limit) for k, v in data["samples_per_category"].items()}
    if bands:
        data["scene"]["snr_bands_db"] = [{"low": low, "high": high} for low, high in bands]
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="clips per category and label (default: the full recipe)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bands = [(b.low, b.high) for b in load_recipe().scene.snr_bands_db]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        out, cache = tmp / "out", tmp / "cache"
        recipes = {
            "full build, cold cache": write_recipe(tmp, "v1", args.limit),
            "SNR range widened (lowest band 5 dB lower)":
                write_recipe(tmp, "widened", args.limit, [(bands[0][0] - 5, bands[0][1]), *bands[1:]]),
            "every SNR band shifted +2 dB":
                write_recipe(tmp, "shifted", args.limit, [(lo + 2, hi + 2) for lo, hi in bands]),
        }
        runs = []
        for name, recipe in recipes.items():
            runs.append((name, run_build(recipe, out, cache, args.workers, reuse=True)))
            print(f"  {name}: {runs[-1][1].wall_s:.1f} s", file=sys.stderr)
        runs.append(("unchanged rebuild", run_build(recipes["every SNR band shifted +2 dB"], out, cache,
                                                    args.workers, reuse=True)))
    full = runs[0][1]
    header = ["build", "clips", "reused", "wall s", "build() s", "share of the full build (wall)",
              "worker s per stage"]
    print(table(header, [[name, r.clips, r.reused, f"{r.wall_s:.1f}", f"{r.build_s:.1f}",
                          f"{r.wall_s / full.wall_s:.0%}", stage_text(r)] for name, r in runs]))


if __name__ == "__main__":
    main()
