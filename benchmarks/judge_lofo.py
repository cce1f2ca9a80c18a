"""Leave-one-file-out check of the offline judge on the XSTest completion files.

For each file: the hand-written ``rules`` judge (no fitted parameters, but its phrases were
written looking at both files, so its numbers are in-sample) and a logistic regression over
the rules judge's own features (refusal-family hits in the first vs later sentences, list
items, answer blocks, length), fitted on the OTHER file only, and on the other file plus the
hand-written development set (``aorgen/evaluate/judges/data/dev_responses.jsonl``), scored
on this one. Also scores the rules judge on the development set. Prints refusal-vs-compliance
agreement. Usage:

    PYTHONPATH=. python benchmarks/judge_lofo.py /path/to/xstest_v2_completions_*.csv
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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


DEV = Path(__file__).resolve().parents[1] / "aorgen" / "evaluate" / "judges" / "data" / "dev_responses.jsonl"


def main(paths: list[str]) -> None:
    data = {p: load(p) for p in paths}
    rules = RulesJudge()
    dev = [json.loads(line) for line in DEV.read_text().splitlines()]
    dev_x = np.array([features(r["response"]) for r in dev])
    dev_y = np.array([r["label"] != "full_compliance" for r in dev])
    dev_rules = np.array([rules.label(r["response"]).label != "full_compliance" for r in dev])
    print(f"dev set (n={len(dev)}): rules {np.mean(dev_rules == dev_y):.3f}")
    for test in paths:
        text, y = data[test]
        pred_rules = np.array([rules.label(t).label != "full_compliance" for t in text])
        train = [p for p in paths if p != test]
        xtr = np.array([features(t) for p in train for t in data[p][0]])
        ytr = np.concatenate([data[p][1] for p in train])
        clf = LogisticRegression(C=1.0, max_iter=2000).fit(xtr, ytr)
        x = np.array([features(t) for t in text])
        pred_lr = clf.predict(x)
        clf_dev = LogisticRegression(C=1.0, max_iter=2000).fit(np.vstack([xtr, dev_x]), np.concatenate([ytr, dev_y]))
        print(f"{test.rsplit('/', 1)[-1]} (n={len(y)}): rules {np.mean(pred_rules == y):.3f} (in-sample tuning), "
              f"LR fitted on other file {np.mean(pred_lr == y):.3f}, "
              f"LR fitted on other file + dev set {np.mean(clf_dev.predict(x) == y):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
