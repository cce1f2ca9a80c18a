"""Wording AUROC of the shipped contrast set over several cross-validation seeds, overall and per
category (the content target is <= 0.70 on every seed). Usage:
    PYTHONPATH=. python benchmarks/wording_auroc.py [SEEDS]   # default 5 seeds: 0..4
"""

from __future__ import annotations

import sys

from aorgen.content.stats import wording_auroc
from aorgen.resources import TEMPLATES_DIR
from aorgen.content.templates import load_templates


def main(seeds: int = 5) -> None:
    scripts = load_templates([TEMPLATES_DIR])
    for seed in range(seeds):
        result = wording_auroc(scripts, seed=seed)
        cats = " ".join(f"{c}={v:.2f}" for c, v in sorted(result.per_category.items()))
        print(f"seed {seed}: {result.auroc:.3f}  {cats}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
