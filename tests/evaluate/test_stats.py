"""Honest intervals: cluster bootstrap by script, Wilson floor, paired McNemar."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from aorgen.evaluate import metrics


def test_no_nonempty_cell_has_a_zero_width_interval():
    for verdicts in (["full_refusal"], ["full_compliance"], ["full_refusal"] * 5, ["full_compliance"] * 40):
        row = metrics.rate_row(pd.Series(verdicts), n_boot=200)
        assert row["n_judged"] == len(verdicts)
        assert row["ci_high"] - row["ci_low"] > 0.05
        assert row["ci_low"] <= row["rate"] <= row["ci_high"]
    assert np.isnan(metrics.rate_row(pd.Series([], dtype=object))["ci_low"])


def test_interval_contains_wilson():
    lo, hi = metrics.proportion_ci(np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0]), n_boot=500)
    wlo, whi = metrics.wilson_ci(2, 10)
    assert lo <= wlo and hi >= whi


def test_repeated_scripts_widen_the_interval():
    rng = np.random.default_rng(0)
    script_rate = rng.uniform(0, 1, 30) > 0.5  # 30 scripts, each rendered 4 times, identical outcome
    values = np.repeat(script_rate, 4).astype(float)
    clusters = np.repeat(np.arange(30), 4)
    iid = metrics.proportion_ci(values, None, n_boot=2000)
    clustered = metrics.proportion_ci(values, clusters, n_boot=2000)
    # 120 correlated clips carry the information of 30: the interval is about sqrt(4) = 2x wider
    assert (clustered[1] - clustered[0]) > 1.6 * (iid[1] - iid[0])
    assert metrics.proportion_ci(values, clusters, n_boot=500, seed=3) == metrics.proportion_ci(
        values, clusters, n_boot=500, seed=3)


def _paired_df(with_ctx: list[int], without_ctx: list[int]) -> pd.DataFrame:
    rows = []
    for i, (a, b) in enumerate(zip(with_ctx, without_ctx)):
        for cond, r in (("audio", a), ("speech_only", b)):
            rows.append({"run": "r", "model": "m", "id": f"s{i}", "script_id": f"sc{i // 2}", "category": "games_sports",
                         "label": "pseudo_harmful", "condition": cond, "verdict": "full_refusal" if r else "full_compliance",
                         "refusal": bool(r)})
    return pd.DataFrame(rows)


def test_context_effect_is_a_paired_test():
    with_ctx = [1] * 10 + [0] * 10 + [1] * 2 + [0] * 8
    without = [1] * 10 + [0] * 10 + [0] * 2 + [1] * 8  # 8 turn into refusals without context, 2 the other way
    t = metrics.context_effect(_paired_df(with_ctx, without), n_boot=300)
    row = t[t["category"] == metrics.ALL].iloc[0]
    assert row["n_pairs"] == 30 and row["n_discordant"] == 10
    assert abs(row["effect"] - 6 / 30) < 1e-9
    assert abs(row["mcnemar_p"] - binomtest(2, 10, 0.5).pvalue) < 1e-12
    assert row["ci_low"] < row["effect"] < row["ci_high"]
