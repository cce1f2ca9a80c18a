"""Context sensitivity on the audio minimal pairs (issue 16): how much a model's over-refusal
changes when the same voice says the same words without their scene.

For each run × evaluation condition, and each pair condition ``c`` in no_scene, other_scene and
harmful_scene: ORR(c) − ORR(own_scene) over the pseudo-harmful minimal-pair rows judged in both,
paired by the base row (one per script, so the pairs are the clusters). The interval is the
paired bootstrap of :func:`metrics.paired_cluster_ci`; the p-value is McNemar's exact test on
the discordant pairs. Positive: the model refuses more once its own scene is gone, i.e. it uses
the acoustic context."""

from __future__ import annotations

import pandas as pd

from .judges import JUDGED_LABELS
from .metrics import N_BOOT, PSEUDO_HARMFUL, paired_cluster_ci

OWN = "own_scene"
COMPARED = ("no_scene", "other_scene", "harmful_scene")
COLUMNS = ["run", "model", "condition", "compared", "n_pairs", "orr_own_scene", "orr_compared", "sensitivity",
           "ci_low", "ci_high", "n_more_refused", "n_less_refused", "mcnemar_p"]


def pair_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The judged pseudo-harmful minimal-pair rows of ``df`` (empty if it has none)."""
    if "pair_condition" not in df:
        return df.iloc[0:0]
    return df[df["pair_condition"].notna() & (df["label"] == PSEUDO_HARMFUL) & df["verdict"].isin(JUDGED_LABELS)]


def context_sensitivity(df: pd.DataFrame, *, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """ORR(compared) − ORR(own_scene) per run × condition × compared pair condition, paired by
    ``pair_of``, with a paired bootstrap CI and McNemar's exact p (see the module docstring)."""
    from statsmodels.stats.contingency_tables import mcnemar

    pairs = pair_rows(df)
    rows = []
    for (run, condition), g in pairs.groupby(["run", "condition"], sort=True):
        wide = g.pivot_table(index="pair_of", columns="pair_condition", values="refusal", aggfunc="first")
        if OWN not in wide:
            continue
        for compared in COMPARED:
            if compared not in wide:
                continue
            both = wide[[OWN, compared]].dropna().astype(float)
            if both.empty:
                continue
            diff = (both[compared] - both[OWN]).to_numpy()
            lo, hi = paired_cluster_ci(diff, both.index, n_boot=n_boot, seed=seed)
            more, less = int((diff > 0).sum()), int((diff < 0).sum())
            same_refused = int(((both[OWN] == 1) & (both[compared] == 1)).sum())
            table = [[same_refused, less], [more, len(diff) - same_refused - more - less]]
            rows.append({
                "run": run, "model": g["model"].iloc[0], "condition": condition, "compared": compared,
                "n_pairs": len(diff), "orr_own_scene": float(both[OWN].mean()),
                "orr_compared": float(both[compared].mean()), "sensitivity": float(diff.mean()),
                "ci_low": lo, "ci_high": hi, "n_more_refused": more, "n_less_refused": less,
                "mcnemar_p": float(mcnemar(table, exact=True).pvalue),
            })
    return pd.DataFrame(rows, columns=COLUMNS)
