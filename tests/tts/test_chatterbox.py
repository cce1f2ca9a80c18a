"""The Chatterbox engine, for real: a toy Chatterbox with random weights, built from chatterbox's
own constructors and saved as the ``ResembleAI/chatterbox`` repo lays it out (ve.safetensors,
t3_cfg.safetensors, s3gen.safetensors, tokenizer.json, conds.pt), then loaded by
``ChatterboxEngine(model=FOLDER)``, which calls ``ChatterboxTTS.from_local`` as for a real
checkpoint.

Toy sizes: ``from_local`` builds ``T3()`` from the ``Llama_520M`` entry of chatterbox's
LLAMA_CONFIGS table, which the tests swap for a one-layer Llama (the width stays 1024: T3's
Perceiver resampler is fixed at 1024). S3Gen, its S3 speech tokenizer, the CAMPPlus speaker
encoder and the voice encoder take no size arguments and stay full size (s3gen.safetensors is
~1 GB, as the real one). The engine runs S3Gen with 2 flow-matching steps instead of 10 to keep
a clip to seconds on CPU. A random T3 never emits its stop token, so it runs to the engine's
cap of speech tokens, which grows with the text: that is what the duration check sees.
``conds.pt`` is made as Chatterbox makes a voice, by ``prepare_conditionals`` on a reference
clip; the reference clips are synthetic harmonic tones.

chatterbox-tts is not installed in the main environment: CI runs this file in the overlay made
by ``.ci/chatterbox_env.sh``, which sets AORGEN_REQUIRE_EXTRAS=chatterbox so that a broken
install fails instead of skipping.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from aorgen.content.voices import Voice
from aorgen.errors import AorgenError
from aorgen.tts import Prosody
from aorgen.tts.chatterbox import LICENSE, STYLE_CONTROLS, ChatterboxEngine, max_speech_tokens
from tests.conftest import ROOT
from tests.engine_contract import (assert_deterministic, assert_duration_follows_text_and_rate,
                                   assert_missing_package_names_extra, assert_registered_and_lazy, assert_voices_differ)

TEXT = "Take the shot."
LONG = "Take the shot now, before he turns around."
REQUIRED = "chatterbox" in os.environ.get("AORGEN_REQUIRE_EXTRAS", "").split(",")
CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-"
SPEAKERS = {"alba": {"gender": "female", "accent": "en-gb", "license": "CC0-1.0", "license_note": "synthetic"},
            "bram": {"gender": "male", "accent": "en-us", "license": "CC0-1.0"}}


def chatterbox_available() -> bool:
    try:
        importlib.import_module("chatterbox.tts")
    except (ImportError, OSError):
        if REQUIRED:
            raise
        return False
    return True


needs_chatterbox = pytest.mark.skipif(
    not chatterbox_available(),
    reason="chatterbox-tts is not installed here; run "
           "`bash .ci/chatterbox_env.sh python -m pytest tests/tts/test_chatterbox.py`",
)


def tone(f0: float, seconds: float, vowel_hz: float, seed: int) -> np.ndarray:
    """A voiced-sounding reference clip: harmonics of f0 under a moving formant, at 24 kHz."""
    t = np.arange(int(seconds * 24000)) / 24000
    formant = vowel_hz * (1 + 0.3 * np.sin(2 * np.pi * 2.5 * t))
    x = sum(np.sin(2 * np.pi * k * f0 * t) * np.exp(-((k * f0 - formant) / 400.0) ** 2) for k in range(1, 30))
    x += 0.01 * np.random.default_rng(seed).standard_normal(t.size)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def write_tokenizer(path: Path) -> None:
    """A character-level tokenizer.json with Chatterbox's special tokens ([STOP] 0, [START] 255)."""
    from tokenizers import Tokenizer, models

    vocab = {"[STOP]": 0, "[UNK]": 1, "[SPACE]": 2}
    vocab.update({c: i + 3 for i, c in enumerate(CHARS)})
    vocab["[START]"] = 255
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="[UNK]"))
    tokenizer.add_special_tokens(["[START]", "[STOP]", "[UNK]", "[SPACE]"])
    tokenizer.save(str(path))


def build_tiny_chatterbox(folder: Path, seed: int = 0) -> Path:
    """The toy saved with the repo's file names; conds.pt from a reference clip."""
    import torch
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.tokenizers import EnTokenizer
    from chatterbox.models.voice_encoder import VoiceEncoder
    from chatterbox.tts import ChatterboxTTS
    from safetensors.torch import save_file

    folder.mkdir(parents=True)
    torch.manual_seed(seed)
    parts = {"ve": VoiceEncoder(), "t3_cfg": T3(), "s3gen": S3Gen()}
    for name, module in parts.items():
        save_file({k: v.contiguous() for k, v in module.state_dict().items()}, folder / f"{name}.safetensors")
    write_tokenizer(folder / "tokenizer.json")
    model = ChatterboxTTS(parts["t3_cfg"].eval(), parts["s3gen"].eval(), parts["ve"].eval(),
                          EnTokenizer(str(folder / "tokenizer.json")), "cpu")
    sf.write(folder.parent / "builtin.wav", tone(210.0, 1.5, 700.0, seed), 24000)
    model.prepare_conditionals(str(folder.parent / "builtin.wav"))
    model.conds.save(folder / "conds.pt")
    return folder


@pytest.fixture(scope="module", autouse=True)
def toy_t3_and_one_thread():
    """T3's backbone as a one-layer Llama; torch on one thread (the machine is shared)."""
    if not chatterbox_available():
        yield
        return
    import torch
    from chatterbox.models.t3 import llama_configs

    mp = pytest.MonkeyPatch()
    mp.setitem(llama_configs.LLAMA_CONFIGS, "Llama_520M",
               dict(llama_configs.LLAMA_520M_CONFIG_DICT, num_hidden_layers=1, intermediate_size=256))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    mp.undo()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_chatterbox(tmp_path_factory.mktemp("chatterbox") / "tiny_chatterbox")


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("chatterbox_voices")
    sf.write(folder / "alba.wav", tone(220.0, 1.5, 800.0, 1), 24000)
    sf.write(folder / "alba.angry.wav", tone(260.0, 1.5, 1100.0, 2), 24000)
    sf.write(folder / "bram.wav", tone(110.0, 1.5, 500.0, 3), 24000)
    (folder / "speakers.json").write_text(json.dumps(SPEAKERS), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def engine(tiny, references) -> ChatterboxEngine:
    return ChatterboxEngine(model=str(tiny), voices=references, device="cpu", cfm_steps=2)


def voice(name: str) -> Voice:
    return Voice(engine="chatterbox", id=name)


def test_registered_and_the_core_never_imports_torch():
    assert_registered_and_lazy("chatterbox", "aorgen.tts.chatterbox:ChatterboxEngine", "chatterbox")


def test_missing_package_names_the_chatterbox_extra(monkeypatch):
    assert_missing_package_names_extra(monkeypatch, "chatterbox", ChatterboxEngine, "chatterbox")


def test_overlay_lock_pins_the_extra_beside_the_projects_torch():
    """chatterbox-overlay.lock: chatterbox-tts within the extra's range; torch only as test.lock
    pins it (the overlay never brings its own); no CUDA wheels; every pin hashed."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.version import Version

    def pins(name: str) -> dict[str, str]:
        text = (ROOT / "requirements" / name).read_text()
        found = re.findall(r"^([A-Za-z0-9._-]+)==(\S+) \\\n    --hash=sha256:[0-9a-f]{64}", text, flags=re.M)
        assert len(found) == len(re.findall(r"^[A-Za-z0-9._-]+==", text, flags=re.M)), f"{name}: a pin without a hash"
        return dict(found)

    overlay, project = pins("chatterbox-overlay.lock"), pins("test.lock")
    [extra] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["chatterbox"]
    assert Requirement(extra).specifier.contains(Version(overlay["chatterbox-tts"]))
    assert overlay["torch"] == project["torch"] and overlay["numpy"] == project["numpy"]
    assert not [name for name in overlay if name.startswith(("nvidia-", "triton"))]


def test_speech_token_cap_grows_with_the_text():
    assert max_speech_tokens("Shoot.") == 55 and max_speech_tokens(LONG) == 25 + 5 * len(LONG)


@needs_chatterbox
def test_named_model_lists_its_builtin_voice_without_downloading(monkeypatch):
    monkeypatch.delenv("AORGEN_CHATTERBOX_VOICES", raising=False)
    [builtin] = ChatterboxEngine(model="ResembleAI/chatterbox").voices()
    assert (builtin.id, builtin.model, builtin.license, builtin.gender) == ("default", "ResembleAI/chatterbox",
                                                                           LICENSE, "unknown")
    assert builtin.styles == tuple(sorted(STYLE_CONTROLS)) and not builtin.pitch


@needs_chatterbox
def test_catalogue_has_the_builtin_voice_and_the_licensed_references(engine):
    voices = {v.id: v for v in engine.voices()}
    assert list(voices) == ["default", "alba", "bram"]
    alba, bram = voices["alba"], voices["bram"]
    assert (alba.gender, alba.accent, alba.license, alba.license_note) == ("female", "en-gb", "CC0-1.0", "synthetic")
    assert (bram.gender, bram.accent) == ("male", "en-us") and {v.model for v in voices.values()} == {"tiny_chatterbox"}
    assert alba.styles == ("angry", "calm", "excited") and bram.styles == ("calm", "excited")


@needs_chatterbox
def test_a_reference_without_a_licence_is_one_clear_error(tiny, references, tmp_path):
    sf.write(tmp_path / "carol.wav", tone(180.0, 1.0, 600.0, 4), 24000)
    (tmp_path / "speakers.json").write_text(json.dumps({"carol": {"gender": "female"}}), encoding="utf-8")
    with pytest.raises(AorgenError, match=r"speakers.json: carol: license: .*needs a licence"):
        ChatterboxEngine(model=str(tiny), voices=tmp_path)


@needs_chatterbox
def test_output_is_watermarked_non_silent_audio_at_24k(engine):
    out = engine.synthesize(TEXT, voice("default"), Prosody())
    assert out.sample_rate == 24000 and out.samples.dtype == np.float32 and np.all(np.isfinite(out.samples))
    assert np.sqrt(np.mean(out.samples**2)) > 1e-4
    watermarker = engine._model.watermarker
    assert watermarker.get_watermark(out.samples, sample_rate=24000) > 0.5
    assert watermarker.get_watermark(tone(200.0, 2.0, 700.0, 5), sample_rate=24000) < 0.5


@needs_chatterbox
def test_same_input_gives_identical_samples_whatever_came_before(engine):
    assert_deterministic(engine, TEXT, voice("alba"), voice("bram"))


@needs_chatterbox
def test_reference_voices_give_different_audio(engine):
    assert_voices_differ(engine, TEXT, voice("alba"), voice("bram"))


@needs_chatterbox
def test_duration_grows_with_text_and_shrinks_with_rate(engine):
    assert_duration_follows_text_and_rate(engine, voice("default"), LONG, seconds=lambda x, rate: len(x) / rate)


@needs_chatterbox
def test_styles_reach_the_model(engine, monkeypatch):
    """calm/excited set T3's emotion exaggeration and CFG weight; a styled clip is the voice's
    conditioning for its style."""
    t3 = engine._model.t3
    seen = []

    def spy(**kwargs):
        seen.append((round(float(kwargs["t3_cond"].emotion_adv.flatten()[0]), 2), kwargs["cfg_weight"]))
        return original(**kwargs)

    original = t3.inference
    monkeypatch.setattr(t3, "inference", spy)
    for style in ("neutral", "excited", "calm"):
        engine.synthesize("Now.", voice("bram"), Prosody(style=style))
    assert seen == [(0.5, 0.5), STYLE_CONTROLS["excited"], STYLE_CONTROLS["calm"]]
    plain, angry = engine._conditionals("alba", ""), engine._conditionals("alba", "angry")
    assert not np.allclose(plain.t3.speaker_emb.numpy(), angry.t3.speaker_emb.numpy())
    assert engine._conditionals("bram", "angry") is engine._conditionals("bram", "")


@needs_chatterbox
def test_bad_voice_or_folder_is_one_clear_error(engine, tmp_path):
    with pytest.raises(AorgenError, match="Chatterbox has no voice 'nobody'"):
        engine.synthesize(TEXT, voice("nobody"), Prosody())
    with pytest.raises(AorgenError, match="missing: ve.safetensors"):
        ChatterboxEngine(model=str(tmp_path))
    with pytest.raises(AorgenError, match="nowhere: voices: no such folder"):
        ChatterboxEngine(model=str(engine._source.folder), voices=tmp_path / "nowhere")


@needs_chatterbox
def test_version_follows_the_checkpoint_and_the_references(tiny, references, tmp_path):
    other = tmp_path / "tiny_chatterbox"
    other.mkdir()
    for path in tiny.iterdir():
        if path.name != "tokenizer.json":
            os.link(path, other / path.name)  # the same weights, without copying a gigabyte
    write_tokenizer(other / "tokenizer.json")
    (other / "tokenizer.json").write_text((other / "tokenizer.json").read_text() + "\n")
    a = ChatterboxEngine(model=str(tiny), voices=references, cfm_steps=2).version
    b = ChatterboxEngine(model=str(other), voices=references, cfm_steps=2).version
    c = ChatterboxEngine(model=str(tiny), cfm_steps=2).version
    assert len({a, b, c}) == 3 and a.startswith("chatterbox-tts 0.1.7 resemble-perth ")
