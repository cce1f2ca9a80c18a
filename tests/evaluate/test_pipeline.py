"""End to end with a tiny Qwen2-Audio: dataset folder → eval → judge → report, and the
generation cache (resume after a kill, torn lines, force)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from aorgen.errors import AorgenError
from aorgen.evaluate import prompts
from aorgen.evaluate.judge_runs import run_judge
from aorgen.evaluate.models import ModelAdapter, get_adapter
from aorgen.evaluate.records import Generation, GenerationOptions
from aorgen.evaluate.report import build_report
from aorgen.evaluate.run import GENERATIONS_FILE, run_eval
from aorgen.testing.tiny_models import build_tiny_qwen2_audio

LABELS = ("pseudo_harmful", "harmful_contrast", "benign_control")
ROWS_PER_LABEL = 3
OPTS = GenerationOptions(max_new_tokens=4)


def _wav(seconds: float, freq: float, noise: float, seed: int, sr: int = 22050) -> dict:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    x = (0.3 * np.sin(2 * np.pi * freq * t) + noise * rng.standard_normal(t.size)).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, x, sr, format="WAV", subtype="PCM_16")
    return {"bytes": buf.getvalue(), "path": None}


def make_dataset(folder: Path, *, with_speech: bool = True, seed: int = 0) -> Path:
    """A dataset folder in the aorgen schema: data/<label>/test-00000-of-00001.parquet + card."""
    from datasets import Audio, Dataset

    for li, label in enumerate(LABELS):
        rows = []
        for i in range(ROWS_PER_LABEL):
            row = {
                "id": f"{label[:2]}-{i}",
                "audio": _wav(0.4 + 0.2 * i, 200 + 100 * li, 0.1, seed=10 * li + i + 1000 * seed),
                "category": ("games_sports", "work_trades", "home_everyday")[i],
                "label": label,
                "script_id": f"{label[:2]}-{i:03d}",
                "transcript": f"How do I shoot number {i}?",
                "scene_tags": ["basketball_game"],
                "context": "A basketball game: the crowd cheers.",
                "rationale": "test",
                "style": "neutral",
                "voice_engine": "test",
                "voice_id": f"v{i}",
                "voice_gender": ("female", "male", "female")[i],
                "voice_accent": ("us", "gb", "in")[i],
                "speech_rate": 1.0,
                "snr_db": (2.0, 10.0, 20.0)[i],
                "rt60_s": (0.1, 0.5, 0.9)[i],
                "background_ids": ["bg"],
                "licenses": ["CC0-1.0"],
                "duration_s": 0.4 + 0.2 * i,
                "achieved_snr_db": 10.0,
                "peak_dbfs": -6.0,
                "loudness_lufs": -23.0,
                "qc_passed": True,
                "spec": "{}",
            }
            if with_speech:
                row["speech"] = _wav(0.4 + 0.2 * i, 200 + 100 * li, 0.0, seed=0)
            rows.append(row)
        ds = Dataset.from_list(rows).cast_column("audio", Audio())
        if with_speech:
            ds = ds.cast_column("speech", Audio())
        path = folder / "data" / label / "test-00000-of-00001.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        ds.to_parquet(str(path))
    configs = ["configs:", "- config_name: default", "  data_files:", "  - split: test", "    path: data/*/test-*.parquet"]
    for label in LABELS:
        configs += [f"- config_name: {label}", "  data_files:", "  - split: test", f"    path: data/{label}/test-*.parquet"]
    (folder / "README.md").write_text("---\n" + "\n".join(configs) + "\n---\n\n# test dataset\n")
    return folder


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("ds"))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return build_tiny_qwen2_audio(tmp_path_factory.mktemp("m") / "tiny-qwen2-audio")


@pytest.fixture(scope="module")
def adapter(tiny_model):
    return get_adapter("qwen2_audio", str(tiny_model))


def read_generations(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / GENERATIONS_FILE).read_text().splitlines()]


def test_end_to_end_eval_judge_report(dataset, tiny_model, tmp_path):
    runs = tmp_path / "runs"
    conditions = ["audio", "audio_only", "speech_only", "text", "text_context", "cot"]
    summary = run_eval(dataset, str(tiny_model), conditions=conditions, out=runs, batch_size=9,
                       generation=OPTS, progress=False)
    n = ROWS_PER_LABEL * len(LABELS)
    assert summary.generated == {c: n for c in conditions}
    records = read_generations(summary.run_dir)
    assert len(records) == n * len(conditions)
    by_cond = {c: [r for r in records if r["condition"] == c] for c in conditions}
    assert {r["prompt"] for r in by_cond["audio"]} == {prompts.AUDIO_INSTRUCTION}
    assert {r["prompt"] for r in by_cond["cot"]} == {prompts.COT_INSTRUCTION}
    assert {r["prompt"] for r in by_cond["audio_only"]} == {None}
    assert by_cond["text"][0]["prompt"] == by_cond["text"][0]["transcript"]
    assert by_cond["text_context"][0]["prompt"] == prompts.TEXT_CONTEXT_TEMPLATE.format(
        context="A basketball game: the crowd cheers.", transcript=by_cond["text_context"][0]["transcript"])
    assert all("<|AUDIO|>" in r["rendered_prompt"] for r in by_cond["speech_only"])
    assert all("<|AUDIO|>" not in r["rendered_prompt"] for r in by_cond["text"])
    first = by_cond["audio"][0]
    assert {"category", "label", "voice_gender", "voice_accent", "snr_db", "rt60_s", "timing_s"} <= set(first)
    assert len({r["key"] for r in records}) == len(records)
    meta = json.loads((summary.run_dir / "run.json").read_text())
    assert meta["adapter"] == "qwen2_audio" and meta["conditions"] == conditions

    [judged] = run_judge(runs, "rules", progress=False)
    assert judged.judged == len(records) and sum(judged.counts.values()) == len(records)

    report = build_report(runs, tmp_path / "report", n_boot=200)
    out = tmp_path / "report"
    for name in ("report.md", "summary.csv", "orr_by_category.csv", "context_effect.csv",
                 "breakdown_snr_band.csv", "orr_by_category.png", "orr_vs_harmful.png", "runs.png"):
        assert (out / name).is_file(), name
    assert (out / "runs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    s = pd.read_csv(out / "summary.csv")
    assert len(s) == len(conditions)
    assert (s["orr_n"] == ROWS_PER_LABEL).all() and (s["hc_n"] == ROWS_PER_LABEL).all()
    assert (s["orr_n_judged"] + s["orr_n_empty"] + s["orr_n_error"] == ROWS_PER_LABEL).all()
    ce = report.context_effect
    assert list(ce["category"])[-1] == "all" and ce["n_pairs"].iloc[-1] <= ROWS_PER_LABEL
    snr = pd.read_csv(out / "breakdown_snr_band.csv")
    assert set(snr["snr_band"]) == {"<5 dB", "5–15 dB", "≥15 dB"}
    assert "ORR by category" in (out / "report.md").read_text()


def test_speech_only_needs_the_stem(tmp_path, tiny_model):
    bare = make_dataset(tmp_path / "bare", with_speech=False)
    with pytest.raises(AorgenError, match="needs the 'speech' column"):
        run_eval(bare, str(tiny_model), conditions=["audio", "speech_only"], out=tmp_path / "runs", progress=False)
    assert not (tmp_path / "runs").exists()  # nothing generated before the check


def test_unknown_condition_is_a_clear_error(dataset, tiny_model, tmp_path):
    with pytest.raises(AorgenError, match="unknown condition"):
        run_eval(dataset, str(tiny_model), conditions=["video"], out=tmp_path, progress=False)


class Killed(RuntimeError):
    pass


class DiesAfter(ModelAdapter):
    """Wraps an adapter and raises on batch number ``after`` (simulates a kill)."""

    name = "qwen2_audio"

    def __init__(self, inner: ModelAdapter, after: int | None) -> None:
        self.inner, self.after, self.calls = inner, after, 0
        self.sampling_rate = inner.sampling_rate

    def generate(self, requests, options):
        self.calls += 1
        if self.after is not None and self.calls > self.after:
            raise Killed()
        return self.inner.generate(requests, options)


def test_a_killed_run_resumes_where_it_stopped(dataset, tiny_model, adapter, tmp_path):
    kwargs = dict(conditions=["audio", "text"], out=tmp_path, batch_size=2, generation=OPTS, progress=False)
    with pytest.raises(Killed):
        run_eval(dataset, str(tiny_model), model_adapter=DiesAfter(adapter, after=3), **kwargs)
    run_dir = tmp_path / tiny_model.name
    partial = read_generations(run_dir)
    assert len(partial) == 6  # three batches of two, flushed

    # simulate a kill in the middle of writing a line
    with (run_dir / GENERATIONS_FILE).open("a") as fh:
        fh.write('{"key": "torn", "id": "ph-0", "lab')
    resumed = DiesAfter(adapter, after=None)
    summary = run_eval(dataset, str(tiny_model), model_adapter=resumed, **kwargs)
    assert summary.cached == {"audio": 6}
    assert summary.generated == {"audio": 3, "text": 9}
    assert resumed.calls == 2 + 5  # only the missing generations: ceil(3/2) + ceil(9/2)
    lines = (run_dir / GENERATIONS_FILE).read_text().splitlines()
    good = [json.loads(x) for x in lines if not x.startswith('{"key": "torn"')]
    assert len(good) == 18 and len({g["key"] for g in good}) == 18

    # the resumed run equals an uninterrupted one
    fresh = run_eval(dataset, str(tiny_model), model_adapter=adapter, **{**kwargs, "out": tmp_path / "fresh"})
    want = {r["key"]: r["response"] for r in read_generations(fresh.run_dir)}
    assert {g["key"]: g["response"] for g in good} == want

    # nothing left: the model is not even called
    again = DiesAfter(adapter, after=0)
    assert run_eval(dataset, str(tiny_model), model_adapter=again, **kwargs).generated == {}

    # force recomputes (appending), and the file still reads as one record per key
    forced = run_eval(dataset, str(tiny_model), model_adapter=adapter, force=True, **{**kwargs, "conditions": ["text"]})
    assert forced.generated == {"text": 9}
    from aorgen.evaluate.judge_runs import load_generations

    assert len(load_generations(run_dir)) == 18


def test_generation_options_are_a_new_configuration(dataset, tiny_model, adapter, tmp_path):
    kwargs = dict(conditions=["text"], out=tmp_path, batch_size=8, progress=False, model_adapter=adapter, labels=["benign_control"])
    run_eval(dataset, str(tiny_model), generation=GenerationOptions(max_new_tokens=4), **kwargs)
    with pytest.raises(AorgenError, match="differs in: options"):  # one run folder = one configuration
        run_eval(dataset, str(tiny_model), generation=GenerationOptions(max_new_tokens=5), **kwargs)
    second = run_eval(dataset, str(tiny_model), generation=GenerationOptions(max_new_tokens=5), name="mnt5", **kwargs)
    assert second.generated == {"text": ROWS_PER_LABEL} and second.cached == {}
    gens = [Generation.model_validate(r) for r in read_generations(second.run_dir)]
    assert {g.options.max_new_tokens for g in gens} == {5}
    assert {g.label for g in gens} == {"benign_control"}
