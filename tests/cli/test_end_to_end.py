"""The whole flow on a real build: aorgen build -> eval (tiny Qwen2-Audio) -> judge -> report."""

from __future__ import annotations

import pytest

import subprocess

import pandas as pd
import yaml

from aorgen.testing.tiny_models import build_tiny_qwen2_audio
from tests.conftest import AORGEN

pytestmark = pytest.mark.slow  # the whole pipeline through the CLI (fast lane: pytest -m "not slow")


def _run(*args: str) -> str:
    result = subprocess.run([*AORGEN, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_build_eval_judge_report(mini, tmp_path):
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe["split"] = {"test_fraction": 1.0}
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    _run("build", "--recipe", str(mini["recipe"]), "--out", str(mini["out"]), "--cache-dir", str(mini["cache"]))
    dataset = mini["out"] / "mini"
    model = build_tiny_qwen2_audio(tmp_path / "tiny-qwen2-audio")
    runs = tmp_path / "runs"

    out = _run("eval", "--dataset", str(dataset), "--model", str(model), "--condition", "audio,speech_only,text",
               "--out", str(runs), "--max-new-tokens", "6", "--batch-size", "4")
    assert "audio: 10 generated" in out and "speech_only: 10 generated" in out and "text: 10 generated" in out
    again = _run("eval", "--dataset", str(dataset), "--model", str(model), "--condition", "audio",
                 "--out", str(runs), "--max-new-tokens", "6", "--batch-size", "4")
    assert "audio: 0 generated, 10 cached" in again

    judged = _run("judge", str(runs))
    assert "30 judged" in judged
    _run("report", str(runs / "tiny-qwen2-audio"), "-o", str(tmp_path / "report"))
    summary = pd.read_csv(tmp_path / "report" / "summary.csv")
    assert sorted(summary["condition"]) == ["audio", "speech_only", "text"]
    assert (summary["orr_n"] == 6).all() and (summary["hc_n"] == 2).all() and (summary["bc_n"] == 2).all()
    by_category = pd.read_csv(tmp_path / "report" / "orr_by_category.csv")
    assert set(by_category["category"]) == {"games_sports", "all"}
    assert (tmp_path / "report" / "orr_by_category.png").stat().st_size > 1000
    assert "games_sports" in (tmp_path / "report" / "report.md").read_text()
