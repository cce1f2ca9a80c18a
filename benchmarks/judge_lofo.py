"""Leave-one-file-out check of the offline judge on the XSTest completion files.

For each file: the hand-written ``rules`` judge (no fitted parameters) and a logistic
regression over the rules judge's own features (refusal-family hits by sentence position,
list items, answer blocks, length), fitted on the OTHER file only, scored on this one.
Prints refusal-vs-compliance agreement. Usage:

    PYTHONPATH=. python benchmarks/judge_lofo.py /path/to/xstest_v2_completions_*.csv
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from aorgen.evaluate.judges.rules import _COMPILED, RulesJudge, score

FAMILIES = [name for name, _, _ in _COMPILED]


def features(response: str) -> list[float]:
    s = score(response)
    first = {f: 0.0 for f in FAMILIES}
    later = {f: 0.0 for f in FAMILIES}
    for m in s.matches:
        i, name = m.split(":", 1)
        (first if i == "0" else later)[name] = 1.0
    return [s.refusal, float(s.list_items > 1), float(s.answer_blocks > 0), np.log1p(len(response.split())),
            *first.values(), *later.values()]


def load(path: str):
    df = pd.read_csv(path)
    text = ["" if pd.isna(c) else str(c) for c in df["completion"]]
    y = np.array([label != "1_full_compliance" for label in df["final_label"]])
    return text, y


def main(paths: list[str]) -> None:
    data = {p: load(p) for p in paths}
    rules = RulesJudge()
    for test in paths:
        text, y = data[test]
        pred_rules = np.array([rules.label(t).label != "full_compliance" for t in text])
        train = [p for p in paths if p != test]
        xtr = np.array([features(t) for p in train for t in data[p][0]])
        ytr = np.concatenate([data[p][1] for p in train])
        clf = LogisticRegression(C=1.0, max_iter=2000).fit(xtr, ytr)
        pred_lr = clf.predict(np.array([features(t) for t in text]))
        print(f"{test.rsplit('/', 1)[-1]}: rules {np.mean(pred_rules == y):.3f} (in-sample tuning), "
              f"LR on rules features fitted on other file(s) {np.mean(pred_lr == y):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
