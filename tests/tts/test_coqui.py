"""The Coqui engine, for real: a tiny multi-speaker VITS built from a coqui-tts config (random
weights, VCTK speaker names, espeak phonemes as in tts_models/en/vctk/vits), saved as a
training run saves it (config.json + model.pth + speakers.pth) and loaded through
``TTS.api.TTS(model_path=..., config_path=...)``, the path a downloaded checkpoint takes.

coqui-tts is not installed in the main environment: CI runs this file in the overlay made by
``.ci/coqui_env.sh``, which sets AORGEN_REQUIRE_EXTRAS=coqui so that a broken install fails
instead of skipping.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aorgen.errors import AorgenError, MissingExtra
from aorgen.tts import Prosody
from aorgen.tts.coqui import VCTK_SPEAKERS, CoquiEngine
from aorgen.content.voices import Voice
from tests.engine_contract import assert_deterministic, assert_duration_follows_text_and_rate, assert_voices_differ

SPEAKERS = ["p225", "p226", "p227"]
TEXT = "How do I shoot him from here without the big guy blocking me?"
REQUIRED = "coqui" in os.environ.get("AORGEN_REQUIRE_EXTRAS", "").split(",")


def coqui_available() -> bool:
    try:
        importlib.import_module("TTS.api")
    except (ImportError, OSError):
        if REQUIRED:
            raise
        return False
    return True


needs_coqui = pytest.mark.skipif(
    not coqui_available(),
    reason="coqui-tts is not installed here; run `bash .ci/coqui_env.sh python -m pytest tests/tts/test_coqui.py`",
)


def build_tiny_vits(folder: Path, seed: int = 0) -> Path:
    """A 3-speaker VITS at toy size, saved as config.json + model.pth + speakers.pth."""
    import torch
    from TTS.tts.configs.shared_configs import BaseAudioConfig
    from TTS.tts.configs.vits_config import VitsArgs, VitsConfig
    from TTS.tts.models.vits import Vits
    from TTS.tts.utils.speakers import SpeakerManager

    folder.mkdir(parents=True, exist_ok=True)
    speakers_file = folder / "speakers.pth"
    manager = SpeakerManager()
    manager.name_to_id = {name: i for i, name in enumerate(SPEAKERS)}
    manager.save_ids_to_file(str(speakers_file))
    args = VitsArgs(
        hidden_channels=16, hidden_channels_ffn_text_encoder=32, num_layers_text_encoder=1,
        num_layers_posterior_encoder=1, num_layers_flow=1, resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3, 5]], upsample_rates_decoder=[8, 8, 4],
        upsample_initial_channel_decoder=32, upsample_kernel_sizes_decoder=[16, 16, 8],
        use_speaker_embedding=True, speaker_embedding_channels=8, speakers_file=str(speakers_file),
        length_scale=2.0, init_discriminator=False,
    )
    config = VitsConfig(
        model_args=args, audio=BaseAudioConfig(sample_rate=16000, hop_length=256, win_length=1024, fft_size=1024,
                                               do_trim_silence=False),
        use_phonemes=True, phonemizer="espeak", phoneme_language="en-us", text_cleaner="english_cleaners",
        use_speaker_embedding=True, speakers_file=str(speakers_file),
    )
    torch.manual_seed(seed)
    model = Vits(config)
    torch.save({"model": model.state_dict(), "config": model.config.to_dict(), "step": 0}, folder / "model.pth")
    model.config.save_json(str(folder / "config.json"))
    return folder


def build_tiny_xtts(folder: Path, seed: int = 0) -> Path:
    """An XTTS at toy size (1-layer GPT; the HiFi-GAN decoder and speaker encoder keep XTTS's
    fixed shapes), saved as config.json + model.pth + vocab.json, as XTTS v2 ships."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts, XttsArgs

    folder.mkdir(parents=True, exist_ok=True)
    bpe = Tokenizer(models.BPE(unk_token="[UNK]"))
    bpe.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=200, special_tokens=["[STOP]", "[UNK]", "[SPACE]", "[START]", "[en]"],
                                  show_progress=False)
    bpe.train_from_iterator([TEXT.lower(), "take the shot, before the buzzer! ?."] * 4, trainer)
    bpe.save(str(folder / "vocab.json"))
    args = XttsArgs(gpt_layers=1, gpt_n_model_channels=32, gpt_n_heads=2, gpt_max_audio_tokens=16,
                    gpt_max_text_tokens=100, gpt_max_prompt_tokens=20, gpt_num_audio_tokens=66,
                    gpt_start_audio_token=64, gpt_stop_audio_token=65, decoder_input_dim=32,
                    tokenizer_file=str(folder / "vocab.json"))
    config = XttsConfig(model_args=args, languages=["en"])
    torch.manual_seed(seed)
    model = Xtts(config)
    model.tokenizer = VoiceBpeTokenizer(str(folder / "vocab.json"))
    model.init_models()
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


def write_references(folder: Path) -> Path:
    """Reference clips: alice (plain and 'angry'), bob; and speakers.json."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    rate = 22050
    t = np.arange(3 * rate) / rate
    for name, f0 in {"alice": 210, "alice.angry": 320, "bob": 110}.items():
        tone = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
        sf.write(folder / f"{name}.wav", (0.2 * tone).astype(np.float32), rate)
    (folder / "speakers.json").write_text('{"alice": {"gender": "female", "accent": "en-gb"}}')
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_vits(tmp_path_factory.mktemp("coqui") / "tiny_vctk_vits")


@pytest.fixture(scope="module")
def engine(tiny) -> CoquiEngine:
    return CoquiEngine(models=[str(tiny)])


def voice(speaker: str) -> Voice:
    return Voice(engine="coqui", id=f"tiny_vctk_vits#{speaker}")


def test_the_core_never_imports_torch():
    code = "import sys, aorgen.tts.coqui, aorgen.tts.piper, aorgen.render.intelligibility; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_package_names_the_coqui_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "TTS.api", None)
    with pytest.raises(MissingExtra) as err:
        CoquiEngine(models=[])
    assert err.value.extra == "coqui" and "aorgen[coqui]" in str(err.value)


def test_vctk_speaker_info_is_complete():
    assert len(VCTK_SPEAKERS) == 109
    assert VCTK_SPEAKERS["p225"] == ("female", "en-gb") and VCTK_SPEAKERS["p226"] == ("male", "en-gb")
    assert VCTK_SPEAKERS["p237"] == ("male", "en-gb-scotland") and VCTK_SPEAKERS["p294"] == ("female", "en-us")


@needs_coqui
def test_catalogue_lists_speakers_with_vctk_gender(engine):
    voices = engine.voices()
    assert [v.id for v in voices] == [f"tiny_vctk_vits#{s}" for s in SPEAKERS]
    assert [v.gender for v in voices] == ["female", "male", "male"]
    assert {v.accent for v in voices} == {"en-gb"}


@needs_coqui
def test_output_is_non_silent_audio_at_the_model_rate(engine):
    out = engine.synthesize(TEXT, voice("p225"), Prosody())
    assert out.sample_rate == 16000
    assert out.samples.dtype == np.float32 and np.all(np.isfinite(out.samples))
    assert np.sqrt(np.mean(out.samples**2)) > 1e-3
    assert out.samples[-1] != 0  # the synthesizer's trailing padding is trimmed


@needs_coqui
def test_same_input_gives_identical_samples_whatever_came_before(engine):
    assert_deterministic(engine, TEXT, voice("p226"), voice("p225"))


@needs_coqui
def test_speakers_give_different_audio(engine):
    assert_voices_differ(engine, TEXT, voice("p225"), voice("p227"))


@needs_coqui
def test_duration_grows_with_text_and_shrinks_with_rate(engine):
    assert_duration_follows_text_and_rate(engine, voice("p227"), TEXT)


@needs_coqui
def test_unknown_model_or_speaker_is_one_clear_error(engine):
    with pytest.raises(AorgenError, match="no speaker 'p999'"):
        engine.synthesize(TEXT, voice("p999"), Prosody())
    with pytest.raises(AorgenError, match="unknown Coqui model 'elsewhere'"):
        engine.synthesize(TEXT, Voice(engine="coqui", id="elsewhere#p225"), Prosody())


@needs_coqui
def test_version_follows_the_checkpoint(tmp_path):
    a = CoquiEngine(models=[str(build_tiny_vits(tmp_path / "a" / "m", seed=1))]).version
    b = CoquiEngine(models=[str(build_tiny_vits(tmp_path / "b" / "m", seed=2))]).version
    assert a != b and a.startswith("coqui-tts ")


@pytest.fixture(scope="module")
def xtts(tmp_path_factory) -> CoquiEngine:
    root = tmp_path_factory.mktemp("xtts")
    return CoquiEngine(models=[str(build_tiny_xtts(root / "tiny_xtts"))], references=write_references(root / "refs"))


@needs_coqui
@pytest.mark.slow
def test_xtts_voices_come_from_reference_clips(xtts):
    voices = {v.id: v for v in xtts.voices()}
    assert set(voices) == {"tiny_xtts#ref:alice", "tiny_xtts#ref:bob"}
    alice = voices["tiny_xtts#ref:alice"]
    assert (alice.gender, alice.accent, alice.styles) == ("female", "en-gb", ("angry",))
    assert voices["tiny_xtts#ref:bob"].gender == "unknown"


@needs_coqui
@pytest.mark.slow
def test_xtts_speaks_each_reference_and_style_repeatably(xtts):
    def say(speaker: str, style: str = "neutral", rate: float = 1.0) -> np.ndarray:
        out = xtts.synthesize("Take the shot.", Voice(engine="coqui", id=f"tiny_xtts#ref:{speaker}"),
                              Prosody(style=style, rate=rate))
        assert out.sample_rate == 24000 and np.sqrt(np.mean(out.samples**2)) > 1e-4
        return out.samples

    alice = say("alice")
    assert np.array_equal(alice, say("alice"))
    angry, bob = say("alice", "angry"), say("bob")
    for other in (angry, bob):  # another reference clip conditions another voice
        n = min(len(alice), len(other))
        assert len(alice) != len(other) or np.mean(np.abs(alice[:n] - other[:n])) > 1e-3
    assert len(say("alice", rate=2.0)) == pytest.approx(len(alice) / 2, rel=0.15)


@needs_coqui
def test_xtts_reads_references_without_torchcodec_or_ffmpeg(tmp_path):
    """Reference clips go through soundfile: torchcodec (which needs FFmpeg's shared libraries)
    is never loaded, in a fresh interpreter so no other test's imports count."""
    code = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from tests.tts.test_coqui import build_tiny_xtts, write_references
from aorgen.tts import Prosody
from aorgen.tts.coqui import CoquiEngine
from aorgen.content.voices import Voice
root = Path({str(tmp_path)!r})
engine = CoquiEngine(models=[str(build_tiny_xtts(root / "tiny_xtts"))], references=write_references(root / "refs"))
out = engine.synthesize("Take the shot.", Voice(engine="coqui", id="tiny_xtts#ref:alice"), Prosody())
assert out.samples.size > 0
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "torchcodec")
assert not loaded, loaded
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
