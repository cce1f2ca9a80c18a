"""Intelligibility check: WER arithmetic on known strings, and the Whisper round trip for real
with a tiny random WhisperForConditionalGeneration + WhisperProcessor built from a config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aorgen.errors import AorgenError
from aorgen.intelligibility import (
    SpokenClip,
    Transcriber,
    check_intelligibility,
    edit_distance,
    word_error_rate,
    words,
)

pytest.importorskip("transformers")
from aorgen.testing.tiny_models import build_tiny_whisper  # noqa: E402


@pytest.mark.parametrize(("reference", "hypothesis", "expected"), [
    ("a b c", "a x c", 1 / 3),         # one substitution
    ("a b c", "a c", 1 / 3),           # one deletion
    ("a b", "a x b", 1 / 2),           # one insertion
    ("a b c", "c b a", 2 / 3),         # a swap is two substitutions
    ("a b c", "", 1.0),
    ("", "", 0.0),
    ("", "a", 1.0),
    ("How do I shoot him from here?", "how do i shoot him from here", 0.0),
    ("He scored 3 points.", "he scored three points", 0.0),
    ("I'm twenty-one", "Im twenty one", 0.0),
    ("Shoot the ball, now!", "shoot the wall now", 1 / 4),
])
def test_word_error_rate_on_known_strings(reference, hypothesis, expected):
    assert word_error_rate(reference, hypothesis) == pytest.approx(expected)


def test_words_are_normalised_for_scoring():
    assert words("Dr. Smith's 2nd shot: 100%!") == ["doctor", "smiths", "second", "shot", "one", "hundred", "percent"]


def test_edit_distance_counts_word_edits():
    assert edit_distance("the cat sat on the mat".split(), "the cat sat mat".split()) == 2
    assert edit_distance([], ["a", "b"]) == 2


@pytest.fixture(scope="module")
def transcriber(tmp_path_factory) -> Transcriber:
    return Transcriber(build_tiny_whisper(tmp_path_factory.mktemp("whisper")), device="cpu")


def noise(seconds: float, rate: int, seed: int) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * rate))).astype(np.float32)


def test_round_trip_transcribes_every_clip_and_scores_it(transcriber):
    clips = [SpokenClip("a", noise(1.0, 16000, 1), 16000, "Take the shot."),
             SpokenClip("b", noise(2.0, 22050, 2), 22050, "How do I shoot him from here?"),
             SpokenClip("c", noise(0.5, 24000, 3), 24000, "Block him.")]
    checks = check_intelligibility(clips, transcriber, threshold=0.5, batch_size=2)
    assert [c.id for c in checks] == ["a", "b", "c"]
    for clip, check in zip(clips, checks):
        assert check.reference == clip.text and check.transcript
        assert check.wer == pytest.approx(word_error_rate(clip.text, check.transcript), abs=1e-4)
        assert check.flagged == (check.wer > 0.5)
    again = transcriber.transcribe([(c.samples, c.sample_rate) for c in clips], batch_size=1)
    assert again == [c.transcript for c in checks]  # greedy, batch-independent, repeatable


def test_a_clip_heard_as_written_passes_and_one_heard_otherwise_is_flagged(transcriber):
    audio = noise(1.5, 16000, 4)
    heard = transcriber.transcribe([(audio, 16000)])[0]
    checks = check_intelligibility([SpokenClip("same", audio, 16000, heard),
                                    SpokenClip("other", audio, 16000, "completely different words here")],
                                   transcriber, threshold=0.3)
    assert (checks[0].wer, checks[0].flagged) == (0.0, False)
    assert checks[1].flagged and checks[1].wer > 0.3


def test_an_unloadable_model_is_one_clear_error(tmp_path):
    pytest.importorskip("transformers")
    with pytest.raises(AorgenError, match="cannot load Whisper model"):
        Transcriber(tmp_path / "missing")


def test_build_stage_records_the_round_trip_and_fails_qc_above_the_threshold(mini, tmp_path):
    """The recipe's intelligibility stage runs Whisper on each clip's dry speech in the build."""
    import yaml

    from aorgen.build import build
    from aorgen.dataset import iter_rows
    from aorgen.recipe import load_recipe

    whisper = build_tiny_whisper(tmp_path / "whisper")
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe["samples_per_category"] = {"pseudo_harmful": 3, "harmful_contrast": 0, "benign_control": 0}
    recipe["intelligibility"] = {"model": str(whisper), "threshold": 0.5}
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    summary = build(load_recipe(mini["recipe"]), mini["out"], cache_dir=mini["cache"])
    rows = [r.data for r in iter_rows(mini["out"] / "mini")]
    assert len(rows) == 3
    for row in rows:
        assert row["asr_wer"] == pytest.approx(word_error_rate(row["transcript"], row["asr_transcript"]), abs=1e-3)
        assert row["qc_passed"] == (row["asr_wer"] <= 0.5)  # a random model mishears: flagged
    assert summary.qc_failed == sum(not row["qc_passed"] for row in rows)
