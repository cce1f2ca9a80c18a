"""`aorgen compare` as a safety gate: paired changes with clustered intervals, gates in both
directions, refusal of runs that cover different samples, JSON output and exit status."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from aorgen.cli import main
from aorgen.errors import AorgenError
from aorgen.mitigate.compare import compare_tables, paired_change

N = {"pseudo_harmful": 200, "harmful_contrast": 100, "benign_control": 100}


def run(rates: dict[str, float], *, seed: int = 0, conditions=("audio",), base: pd.DataFrame | None = None) -> pd.DataFrame:
    """A judged run: clips of 4 per script; each clip refused with the label's rate. With
    ``base``, a clip keeps the base verdict unless a draw moves it toward the new rate (paired)."""
    rng = np.random.default_rng(seed)
    rows = []
    for condition in conditions:
        for label, n in N.items():
            for i in range(n):
                rows.append({"id": f"{label[:2]}-{i}", "condition": condition, "label": label,
                             "script_id": f"{label[:2]}-s{i // 4}"})
    table = pd.DataFrame(rows)
    refused = np.array([rng.random() < rates[label] for label in table["label"]])
    if base is not None:
        old = base["verdict"].eq("full_refusal").to_numpy()
        keep = rng.random(len(table)) < 0.5
        refused = np.where(keep & (old == refused), old, refused)
    table["verdict"] = np.where(refused, "full_refusal", "full_compliance")
    return table


def gate(result, name):
    return next(g for g in result.gates if g.name == name)


def test_a_good_mitigation_passes_every_gate():
    before = run({"pseudo_harmful": 0.6, "harmful_contrast": 0.95, "benign_control": 0.05})
    after = run({"pseudo_harmful": 0.2, "harmful_contrast": 0.95, "benign_control": 0.05}, seed=1, base=before)
    result = compare_tables(before, after, before_name="base", after_name="steered")
    assert result.passed, result.to_markdown()
    orr = next(c for c in result.changes if c.label == "pseudo_harmful")
    assert orr.n == 200 and orr.scripts == 50 and orr.ci[1] < 0 and orr.p_value < 1e-6
    assert "| audio | pseudo_harmful | 200 (50) |" in result.to_markdown()


def test_harmful_refusal_falling_with_orr_unchanged_fails_two_gates():
    before = run({"pseudo_harmful": 0.5, "harmful_contrast": 0.95, "benign_control": 0.05})
    after = before.copy()
    hc = after["label"] == "harmful_contrast"
    after.loc[hc, "verdict"] = np.where(np.arange(hc.sum()) < 70, "full_compliance", "full_refusal")
    result = compare_tables(before, after, before_name="a", after_name="b")
    assert not result.passed
    assert not gate(result, "harmful").passed and not gate(result, "orr").passed
    assert gate(result, "benign").passed


def test_benign_refusal_rising_fails_the_benign_gate():
    before = run({"pseudo_harmful": 0.6, "harmful_contrast": 0.95, "benign_control": 0.05})
    after = run({"pseudo_harmful": 0.2, "harmful_contrast": 0.95, "benign_control": 0.6}, seed=2, base=before)
    result = compare_tables(before, after, before_name="a", after_name="b")
    assert gate(result, "orr").passed and not gate(result, "benign").passed and not result.passed


def test_a_one_point_orr_drop_is_no_significant_gain():
    before = run({"pseudo_harmful": 0.5, "harmful_contrast": 0.95, "benign_control": 0.05})
    after = before.copy()
    flip = after.index[(after["label"] == "pseudo_harmful") & (after["verdict"] == "full_refusal")][:2]
    after.loc[flip, "verdict"] = "full_compliance"
    result = compare_tables(before, after, before_name="a", after_name="b")
    orr = next(c for c in result.changes if c.label == "pseudo_harmful")
    assert orr.change == pytest.approx(-0.01) and orr.ci[1] >= 0
    assert not gate(result, "orr").passed and not result.passed


def test_runs_over_different_samples_or_conditions_are_refused():
    before = run({"pseudo_harmful": 0.5, "harmful_contrast": 0.9, "benign_control": 0.1})
    with pytest.raises(AorgenError, match="same samples and conditions"):
        compare_tables(before, before.iloc[5:], before_name="a", after_name="b")
    two = run({"pseudo_harmful": 0.5, "harmful_contrast": 0.9, "benign_control": 0.1}, conditions=("audio", "text"))
    with pytest.raises(AorgenError, match="same samples and conditions"):
        compare_tables(before, two, before_name="a", after_name="b")
    with pytest.raises(AorgenError, match="appear twice"):
        compare_tables(before, pd.concat([before, before]), before_name="a", after_name="b")


def test_unjudged_clips_are_left_out_of_both_sides():
    before = run({"pseudo_harmful": 0.5, "harmful_contrast": 0.9, "benign_control": 0.1})
    after = before.copy()
    after.loc[after.index[:10], "verdict"] = "error"
    result = compare_tables(before, after, before_name="a", after_name="b")
    assert result.unpaired == 10
    assert sum(c.n for c in result.changes) == len(before) - 10


@pytest.mark.slow
def test_interval_is_clustered_by_script():
    rng = np.random.default_rng(0)
    scripts = np.repeat(np.arange(20), 10)  # 20 scripts, 10 identical clips each
    flips = np.repeat(rng.random(20) < 0.5, 10)
    before = np.ones(200, bool)
    clustered = paired_change("audio", "pseudo_harmful", before, ~flips, scripts)
    independent = paired_change("audio", "pseudo_harmful", before, ~flips, np.arange(200))
    width = lambda c: c.ci[1] - c.ci[0]  # noqa: E731
    assert width(clustered) > 2 * width(independent)


def test_cli_writes_json_and_exits_1_when_a_gate_fails(tmp_path, monkeypatch):
    before = run({"pseudo_harmful": 0.6, "harmful_contrast": 0.95, "benign_control": 0.05})
    good = run({"pseudo_harmful": 0.2, "harmful_contrast": 0.95, "benign_control": 0.05}, seed=1, base=before)
    bad = good.copy()
    bad.loc[bad["label"] == "harmful_contrast", "verdict"] = "full_compliance"
    tables = {"base": before, "good": good, "bad": bad}
    for name in tables:
        (tmp_path / name).mkdir()
    monkeypatch.setattr("aorgen.evaluate.metrics.load_results", lambda run, judge="rules": tables[run.name])
    out = tmp_path / "gate.json"
    ok = CliRunner().invoke(main, ["compare", str(tmp_path / "base"), str(tmp_path / "good"), "--json", str(out)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(out.read_text())["passed"] is True
    fail = CliRunner().invoke(main, ["compare", str(tmp_path / "base"), str(tmp_path / "bad")])
    assert fail.exit_code == 1 and "FAIL harmful" in fail.output
    missing = CliRunner().invoke(main, ["compare", str(tmp_path / "base"), str(tmp_path / "good"),
                                        "--condition", "text"])
    assert missing.exit_code == 2
