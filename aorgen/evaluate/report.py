"""``aorgen report``: markdown + CSV tables and PNG plots over one or more judged runs.

Written to a temporary folder and moved into place, so the report folder is complete or
absent.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from aorgen.errors import AorgenError, require

from aorgen.common.taxonomy import CATEGORIES

from . import metrics
from .context_sensitivity import context_sensitivity



# row order of the markdown tables (anything else sorts after, alphabetically)
_ORDER = {
    "category": [*CATEGORIES, metrics.ALL],
    "snr_band": [name for _, name in metrics.SNR_BANDS],
    "rt60_band": [name for _, name in metrics.RT60_BANDS],
}


@dataclass
class Report:
    out: Path
    summary: pd.DataFrame
    orr_by_category: pd.DataFrame
    context_effect: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame]
    replicates: pd.DataFrame | None = None
    context_sensitivity: pd.DataFrame | None = None  # on the audio minimal pairs, when they were run


def build_report(
    runs: str | Path | list, out: str | Path, *, judge: str = "rules", n_boot: int = metrics.N_BOOT, seed: int = 0,
) -> Report:
    """Tables (``*.csv`` and ``report.md``) and plots (``*.png``) for every run under
    ``runs``, from the verdicts of ``judge``. Wrapped by ``aorgen report``."""
    df = metrics.load_results(runs, judge)
    if df.empty or df["verdict"].isna().all():
        raise AorgenError(f"no generations judged by '{judge}' (run `aorgen judge` first)",
                          file=runs if isinstance(runs, (str, Path)) else ", ".join(map(str, runs)))
    out = Path(out)
    if out.exists() and not (out / "report.md").is_file():
        raise AorgenError("exists and is not an earlier report (it would be replaced): choose another folder",
                          file=out, field="--out")
    pairs = context_sensitivity(df, n_boot=n_boot, seed=seed)
    if "pair_condition" in df:  # minimal-pair rows only count in the context sensitivity
        df = df[df["pair_condition"].isna()]
    tables = Report(
        out=out,
        summary=metrics.summary(df, n_boot=n_boot, seed=seed),
        orr_by_category=metrics.orr_by_category(df, n_boot=n_boot, seed=seed),
        context_effect=metrics.context_effect(df, n_boot=n_boot, seed=seed),
        breakdowns={f: metrics.breakdown(df, f, n_boot=n_boot, seed=seed) for f in metrics.BREAKDOWNS},
        context_sensitivity=pairs,
    )
    tables.replicates = metrics.replicate_spread(df, tables.summary)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _write_tables(tables, tmp, judge, n_boot, run_dirs=metrics.run_dirs(runs))
        _write_results(tables, df, runs, tmp, judge, n_boot, seed)
        _plot_orr_by_category(tables.orr_by_category, tmp / "orr_by_category.png")
        _plot_orr_vs_harmful(tables.summary, tmp / "orr_vs_harmful.png")
        _plot_runs(tables.summary, tmp / "runs.png")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tables


def _ci(rate: float, lo: float, hi: float) -> str:
    return "–" if pd.isna(rate) else f"{rate:.2f} [{lo:.2f}, {hi:.2f}]"


def _cells(t: pd.DataFrame, index: str) -> pd.DataFrame:
    """Rates as "rate [lo, hi] (n)" cells: one row per ``index`` value, one column per
    run · condition."""
    if t.empty:
        return t
    t = t.assign(
        cell=[f"{_ci(r.rate, r.ci_low, r.ci_high)} (n={r.n_judged})" for r in t.itertuples()],
        column=t["run"] + " · " + t["condition"],
    )
    wide = t.pivot(index=index, columns="column", values="cell")
    return wide.loc[_ordered(wide.index, index)].reset_index().rename_axis(columns=None)


def _markdown(df: pd.DataFrame) -> str:
    if df.empty:
        return "_none_\n"
    cells = df.astype(object).where(df.notna(), "")
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + " --- |" * len(df.columns)]
    for row in cells.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def _write_tables(r: Report, folder: Path, judge: str, n_boot: int, run_dirs: list[Path] = ()) -> None:
    r.summary.to_csv(folder / "summary.csv", index=False)
    r.orr_by_category.to_csv(folder / "orr_by_category.csv", index=False)
    r.context_effect.to_csv(folder / "context_effect.csv", index=False)
    for factor, t in r.breakdowns.items():
        t.to_csv(folder / f"breakdown_{factor}.csv", index=False)

    s = r.summary
    overview = pd.DataFrame({
        "run": s["run"], "condition": s["condition"],
        "ORR (pseudo-harmful)": [_ci(*v) for v in s[["orr_rate", "orr_ci_low", "orr_ci_high"]].to_numpy()],
        "refusal on harmful contrast": [_ci(*v) for v in s[["hc_rate", "hc_ci_low", "hc_ci_high"]].to_numpy()],
        "refusal on benign control": [_ci(*v) for v in s[["bc_rate", "bc_ci_low", "bc_ci_high"]].to_numpy()],
        "judged / n (pseudo-harmful)": [f"{a}/{b}" for a, b in zip(s["orr_n_judged"], s["orr_n"])],
        "empty": s[["orr_n_empty", "hc_n_empty", "bc_n_empty"]].fillna(0).sum(axis=1).astype(int),
        "error": s[["orr_n_error", "hc_n_error", "bc_n_error"]].fillna(0).sum(axis=1).astype(int),
    })
    parts = [
        "# aorgen evaluation report\n",
        f"Judge: `{judge}`. Rates are refusals (full + partial) among judged responses; "
        f"empty and error responses are excluded and counted apart. Brackets: 95% CI, a "
        f"cluster bootstrap by script ({n_boot} resamples: scripts, then their clips) widened to at "
        f"least the Wilson score interval; n is the number of judged responses.\n",
        "## Summary\n", _markdown(overview),
        "\n## ORR by category\n", _markdown(_cells(r.orr_by_category, "category")),
        "\n## Context effect: ORR(speech_only) − ORR(audio), paired by sample\n",
        _markdown(r.context_effect),
    ]
    if r.context_sensitivity is not None and not r.context_sensitivity.empty:
        r.context_sensitivity.to_csv(folder / "context_sensitivity.csv", index=False)
        parts += ["\n## Context sensitivity: ORR(no or other scene) − ORR(own scene), audio minimal pairs\n",
                  "Same voice and words, paired by script; brackets: paired bootstrap CI over scripts; "
                  "`mcnemar_p`: exact McNemar test on the pairs that changed.\n",
                  _markdown(r.context_sensitivity)]
    for factor, t in r.breakdowns.items():
        parts += [f"\n## ORR by {factor.replace('_', ' ')}\n", _markdown(_cells(t, factor))]
    if r.replicates is not None and not r.replicates.empty:
        r.replicates.to_csv(folder / "replicates.csv", index=False)
        parts += ["\n## Seed replicates (runs differing only in --seed; never pooled)\n", _markdown(r.replicates)]
    parts += _agreement_section(run_dirs, judge)
    parts.append("\nPlots: `orr_by_category.png`, `orr_vs_harmful.png`, `runs.png`.\n")
    (folder / "report.md").write_text("\n".join(parts))


def _agreement_section(runs: list[Path], judge: str) -> list[str]:
    """The rules-vs-LLM agreement an ensemble judge wrote beside its verdicts, if any."""
    import json

    from .judge_runs import agreement_file

    rows = []
    for run in runs:
        f = agreement_file(run, judge)
        if f.is_file():
            a = json.loads(f.read_text())
            fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
            rows.append(f"| {run.name} | {a['n_compared']} | {fmt(a['binary_agreement'])} | {fmt(a['binary_kappa'])} "
                        f"| {fmt(a['agreement'])} | {fmt(a['kappa'])} | {a['n_decided_by_llm']} | {a['n_llm_error']} |")
    if not rows:
        return []
    return ["\n## Judge agreement: rules vs LLM\n",
            "| run | n | refusal/compliance agreement | kappa | 3-class agreement | kappa | decided by LLM | LLM errors |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |", *rows, ""]


RESULTS_SCHEMA = 1


def _write_results(r: Report, df: pd.DataFrame, runs, folder: Path, judge: str, n_boot: int, seed: int) -> None:
    """``results.json`` (schema version, each run's configuration and versions, metrics
    with intervals per category × condition) and ``samples.jsonl`` (one line per
    generation: run, id, condition, prompt, response, verdict) for viewers."""
    import json

    from .metrics import run_dirs
    from .run import read_run_file

    def records(t: pd.DataFrame) -> list[dict]:
        return json.loads(t.to_json(orient="records"))

    results = {
        "schema_version": RESULTS_SCHEMA, "judge": judge, "n_boot": n_boot, "seed": seed,
        "interval": "95% two-stage cluster bootstrap by script_id, widened to Wilson",
        "runs": {str(d): read_run_file(d) for d in run_dirs(runs)},
        "summary": records(r.summary), "orr_by_category": records(r.orr_by_category),
        "context_effect": records(r.context_effect),
        "context_sensitivity": records(r.context_sensitivity) if r.context_sensitivity is not None else [],
        "replicates": records(r.replicates) if r.replicates is not None else [],
    }
    (folder / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    cols = ["run", "id", "label", "category", "script_id", "condition", "prompt", "response", "error", "verdict"]
    sample_rows = df[[c for c in cols if c in df]].to_json(orient="records", lines=True, force_ascii=False)
    (folder / "samples.jsonl").write_text(sample_rows if sample_rows.endswith("\n") else sample_rows + "\n")


def _pyplot():
    matplotlib = require("matplotlib", extra="eval")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _ordered(values, index: str) -> list:
    """``values`` in the report's row order for ``index`` (others after, alphabetically)."""
    order = _ORDER.get(index, [])
    rank = {v: i for i, v in enumerate(order)}
    return sorted(values, key=lambda v: (rank.get(v, len(order)), str(v)))


def _save(fig, ax, path: Path, title: str) -> None:
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)


def _bar_plot(path: Path, title: str, groups: list[str], series: dict[str, pd.DataFrame], key: str) -> None:
    """Grouped bars with CI whiskers: one group per ``groups`` entry, one bar per series
    (a table with ``key``, ``rate``, ``ci_low``, ``ci_high``)."""
    import numpy as np

    fig, ax = _pyplot().subplots(figsize=(max(6, 1.2 * len(groups)) + 2.5, 4))
    width = 0.8 / max(1, len(series))
    x = np.arange(len(groups))
    for i, (name, t) in enumerate(series.items()):
        t = t.set_index(key).reindex(groups)
        rate = t["rate"].to_numpy(dtype=float)
        err = np.nan_to_num(np.vstack([rate - t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float) - rate]))
        xs = x + (i - (len(series) - 1) / 2) * width
        ax.bar(xs, rate, width, yerr=err, capsize=2, label=name)
        if "n_judged" in t:
            for xi, ni in zip(xs, t["n_judged"].to_numpy()):
                if not pd.isna(ni):
                    ax.text(xi, 1.0, f"n={int(ni)}", ha="center", va="bottom", fontsize="x-small", rotation=90)
    ax.set_xticks(x, groups, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("over-refusal rate (pseudo-harmful)")
    _save(fig, ax, path, title)


def _plot_orr_by_category(t: pd.DataFrame, path: Path) -> None:
    series = {f"{run} · {cond}": g for (run, cond), g in t.groupby(["run", "condition"], sort=True)}
    _bar_plot(path, "ORR by category", _ordered(set(t["category"]), "category"), series, "category")


def _plot_runs(s: pd.DataFrame, path: Path) -> None:
    t = s.rename(columns={"orr_rate": "rate", "orr_ci_low": "ci_low", "orr_ci_high": "ci_high",
                          "orr_n_judged": "n_judged"})
    series = {run: g for run, g in t.groupby("run", sort=True)}
    _bar_plot(path, "ORR by condition, per run", list(dict.fromkeys(s["condition"])), series, "condition")


def _plot_orr_vs_harmful(s: pd.DataFrame, path: Path) -> None:
    """One point per run · condition: ORR against refusal of harmful contrast, with CIs."""
    import numpy as np

    fig, ax = _pyplot().subplots(figsize=(8, 5))
    markers = "osD^vP*Xh<>"
    jitter = np.random.default_rng(0).uniform(-0.01, 0.01, size=(len(s), 2))  # overlapping points stay visible
    for k, row in enumerate(s.itertuples(index=False)):
        ax.errorbar(
            row.hc_rate + jitter[k, 0], row.orr_rate + jitter[k, 1],
            xerr=[[max(0, row.hc_rate - row.hc_ci_low)], [max(0, row.hc_ci_high - row.hc_rate)]],
            yerr=[[max(0, row.orr_rate - row.orr_ci_low)], [max(0, row.orr_ci_high - row.orr_rate)]],
            fmt=markers[k % len(markers)], capsize=2, alpha=0.8,
            label=f"{row.run} · {row.condition} (n={row.orr_n_judged}/{row.hc_n_judged})",
        )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("refusal rate on harmful contrast (higher is safer)")
    ax.set_ylabel("over-refusal rate (lower is better)")
    _save(fig, ax, path, "Over-refusal against safety")
