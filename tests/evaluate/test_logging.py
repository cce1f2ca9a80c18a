"""Optional logging of a report: the Hub upload plan (real huggingface_hub commit operations,
a --dry-run that uploads nothing), one clear line when the Hub cannot be reached (the token
never printed), and the experiment trackers (lazy imports; one line when missing)."""

from __future__ import annotations

import hashlib
import json
import sys
import types

import pytest
from click.testing import CliRunner
from tests.evaluate.test_pipeline import make_dataset

from aorgen.cli import main
from aorgen.errors import AorgenError
from aorgen.evaluate.hub_log import upload_plan
from aorgen.evaluate.tracking import log_to_tracker, tracker_payload
from aorgen.testing.tiny_models import build_tiny_qwen2_audio

SECRET = "hf_eval2NeverPrintedToken"


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("log")
    dataset, model = make_dataset(tmp / "ds"), build_tiny_qwen2_audio(tmp / "tiny")
    for args in (["eval", "--dataset", dataset, "--model", model, "--out", tmp / "runs", "--name", "r",
                  "--max-new-tokens", "3"], ["judge", tmp / "runs"], ["report", tmp / "runs" / "r", "-o", tmp / "rep"]):
        result = _invoke(*args)
        assert result.exit_code == 0, result.output
    return tmp / "rep"


def test_upload_plan_is_every_report_file_under_its_folder(report_dir):
    ops, plan = upload_plan(report_dir, "runs/tiny")
    names = {p.path_in_repo for p in plan}
    assert {"runs/tiny/results.json", "runs/tiny/samples.jsonl", "runs/tiny/report.md"} <= names
    assert len(ops) == len(plan) == sum(1 for f in report_dir.rglob("*") if f.is_file())
    results = next(p for p in plan if p.path_in_repo.endswith("results.json"))
    blob = (report_dir / "results.json").read_bytes()
    assert (results.size, results.sha256) == (len(blob), hashlib.sha256(blob).hexdigest())
    assert {p.path_in_repo for p in upload_plan(report_dir)[1]} == {f"rep/{n.split('/', 2)[2]}" for n in names}
    with pytest.raises(AorgenError, match="must stay inside the repo"):
        upload_plan(report_dir, "../elsewhere")
    with pytest.raises(AorgenError, match="no results.json"):
        upload_plan(report_dir.parent / "runs")


def test_dry_run_and_offline_upload_from_the_cli(report_dir, tmp_path, monkeypatch):
    import huggingface_hub.constants

    runs = report_dir.parent / "runs" / "r"
    dry = _invoke("report", runs, "-o", tmp_path / "a", "--log-hub", "me/over-refusal", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would upload a/results.json" in dry.output and "nothing uploaded" in dry.output
    bad = _invoke("report", runs, "-o", tmp_path / "b", "--log-hub", "no-org")
    assert bad.exit_code == 2 and "expected ORG/NAME" in bad.output and not (tmp_path / "b").exists()
    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    offline = _invoke("report", runs, "-o", tmp_path / "c", "--log-hub", "me/over-refusal")
    assert offline.exit_code == 2, offline.output
    assert "me/over-refusal: --log-hub: cannot upload: OfflineModeIsEnabled" in offline.output
    assert SECRET not in offline.output


def test_trackers_are_optional_and_log_the_summary(report_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # as if not installed
    missing = _invoke("report", report_dir.parent / "runs" / "r", "-o", report_dir.parent / "rep2",
                      "--wandb", "proj")
    assert missing.exit_code == 2 and missing.output.strip().endswith("wandb is not installed: pip install wandb")
    results = json.loads((report_dir / "results.json").read_text())
    config, metrics = tracker_payload(results)
    assert config["runs"] and metrics and all(k.count("/") >= 2 for k in metrics)
    calls = []
    fake = types.SimpleNamespace(  # trackio's module-level API (init / log / finish)
        init=lambda **kw: calls.append(("init", kw)) or types.SimpleNamespace(),
        log=lambda m: calls.append(("log", m)), finish=lambda: calls.append(("finish", None)))
    monkeypatch.setitem(sys.modules, "trackio", fake)
    log_to_tracker("trackio", "proj", report_dir)
    assert [c[0] for c in calls] == ["init", "log", "finish"]
    assert calls[0][1]["project"] == "proj" and calls[1][1] == metrics
