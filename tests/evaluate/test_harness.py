"""The eval/report CLI as a researcher uses it: sampling controls and a system prompt,
seed replicates into their own run folders, ``report A B`` side by side with
``results.json`` and ``samples.jsonl``, ``--shard`` + ``eval-merge``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from tests.evaluate.test_pipeline import ROWS_PER_LABEL, make_dataset

from aorgen.cli import main
from aorgen.testing.tiny_models import build_tiny_qwen2_audio


def _cli(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("h")
    return make_dataset(tmp / "ds"), build_tiny_qwen2_audio(tmp / "tiny-qwen2-audio"), tmp


def test_replicates_compared_side_by_side(setup):
    dataset, model, tmp = setup
    runs = tmp / "runs"
    common = ["eval", "--dataset", dataset, "--model", model, "--condition", "audio,text", "--out", runs,
              "--max-new-tokens", "3", "--sample", "--temperature", "0.7", "--top-p", "0.9", "--system", "Be brief."]
    _cli(*common, "--seed", "0", "--name", "s0")
    result = CliRunner().invoke(main, [str(a) for a in [*common, "--seed", "1", "--name", "s0"]])
    assert result.exit_code == 2 and "differs in: options" in result.output  # never pooled
    _cli(*common, "--seed", "1", "--name", "s1")
    run = json.loads((runs / "s1" / "run.json").read_text())
    assert run["system"] == "Be brief." and run["options"]["top_p"] == 0.9 and run["options"]["seed"] == 1
    assert run["versions"]["aorgen"] and run["resolved_revision"].startswith("local:")
    _cli("judge", runs)
    _cli("report", runs / "s0", runs / "s1", "-o", tmp / "report")
    results = json.loads((tmp / "report" / "results.json").read_text())
    assert results["schema_version"] == 1 and len(results["runs"]) == 2
    assert {r["run"] for r in results["summary"]} == {"s0", "s1"}
    rep = {r["condition"]: r for r in results["replicates"]}
    assert set(rep) == {"audio", "text"} and rep["audio"]["n_replicates"] == 2
    samples = [json.loads(x) for x in (tmp / "report" / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 2 * 2 * 3 * ROWS_PER_LABEL
    assert {"id", "condition", "prompt", "response", "verdict"} <= set(samples[0])
    md = (tmp / "report" / "report.md").read_text()
    assert "Seed replicates" in md and "(n=" in md and "Wilson" in md


def test_shard_and_merge_from_the_cli(setup):
    dataset, model, tmp = setup
    args = ["eval", "--dataset", dataset, "--model", model, "--out", tmp / "dp", "--name", "r", "--max-new-tokens", "3"]
    for shard in ("0/2", "1/2"):
        _cli(*args, "--shard", shard)
    assert f"{3 * ROWS_PER_LABEL} generations merged" in _cli("eval-merge", tmp / "dp" / "r")
    result = CliRunner().invoke(main, [str(a) for a in [*args, "--shard", "2/2"]])
    assert result.exit_code == 2 and "--shard" in result.output


def test_openai_concurrency_follows_batch_size(setup, monkeypatch):
    import threading
    from http.server import ThreadingHTTPServer

    from tests.evaluate.test_models import FakeEndpoint

    import aorgen.evaluate.run as run_module

    dataset, _, tmp = setup
    made = []
    real = run_module.get_adapter

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(run_module, "get_adapter", spy)
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        out = _cli("eval", "--dataset", dataset, "--model", "served-model", "--adapter", "openai", "--option",
                   f"base_url={base_url}", "--batch-size", "3", "--out", tmp / "api", "--condition", "text")
    finally:
        server.shutdown()
        server.server_close()
    assert f"text: {3 * ROWS_PER_LABEL} generated" in out
    assert made[0].concurrency == 3
    run = json.loads((tmp / "api" / "served-model" / "run.json").read_text())
    assert run["adapter"] == "openai" and run["resolved_revision"] is None
