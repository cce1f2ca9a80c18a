"""The Kokoro engine, for real: a toy-size Kokoro (KModel built from a config dict with small
ALBERT, prosody and text-encoder sizes and a small iSTFTNet generator; random weights), saved
as the Hugging Face repo lays it out (config.json + a .pth of per-module state dicts + voices/
of [510, 1, 256] voice packs) and loaded by ``KokoroEngine(model=FOLDER)``, the path a local
Kokoro-82M checkpoint takes. The G2P is misaki's, offline (no spaCy model download).

kokoro is not installed in the main environment: CI runs this file in the overlay made by
``.ci/kokoro_env.sh``, which sets AORGEN_REQUIRE_EXTRAS=kokoro so that a broken install
fails instead of skipping.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from aorgen.errors import AorgenError
from aorgen.tts import Prosody
from aorgen.tts.kokoro import VOICES, KokoroEngine, voice_attributes
from aorgen.content.voices import Voice
from tests.conftest import ROOT
from tests.engine_contract import (assert_deterministic, assert_duration_follows_text_and_rate,
                                   assert_missing_package_names_extra, assert_registered_and_lazy, assert_voices_differ)

TEXT = "Take the shot, now."  # short: the toy model keeps Kokoro's fixed 1024-wide decoder
LONG = "How do I shoot him from here without the guy blocking me?"
TINY_VOICES = ("af_test", "am_test", "bf_test")
REQUIRED = "kokoro" in os.environ.get("AORGEN_REQUIRE_EXTRAS", "").split(",")
# StyleTTS 2's symbol set, which Kokoro's vocabulary is drawn from: every phoneme misaki emits
SYMBOLS = (';:,.!?¡¿—…"«»“” ' "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
           "ɑɐɒæɓʙβɔɕçɗɖðʤəɘɚɛɜɝɞɟʄɡɠɢʛɦɧħɥʜɨɪʝɭɬɫɮʟɱɯɰŋɳɲɴøɵɸθœɶʘɹɺɾɻʀʁɽʂʃʈʧʉʊʋⱱʌɣɤʍχʎʏʑʐʒʔʡʕʢǀǁǂǃ"
           "ˈˌːˑʼʴʰʱʲʷˠˤ˞↓↑→↗↘'̩'ᵻᵊʣʦ")


def kokoro_available() -> bool:
    try:
        importlib.import_module("kokoro.model")
        importlib.import_module("misaki.en")
    except ImportError:
        if REQUIRED:
            raise
        return False
    return True


needs_kokoro = pytest.mark.skipif(
    not kokoro_available(),
    reason="kokoro is not installed here; run `bash .ci/kokoro_env.sh python -m pytest tests/tts/test_kokoro.py`",
)


def tiny_config() -> dict:
    """Kokoro-82M's config.json with toy sizes (style_dim stays 128: KModel slices the 256-wide
    style vector in two halves of 128)."""
    vocab = {s: i + 1 for i, s in enumerate(dict.fromkeys(SYMBOLS))}
    return {
        "istftnet": {"upsample_kernel_sizes": [4, 4], "upsample_rates": [2, 2], "gen_istft_hop_size": 5,
                     "gen_istft_n_fft": 20, "resblock_dilation_sizes": [[1, 3, 5]], "resblock_kernel_sizes": [3],
                     "upsample_initial_channel": 512},
        "dim_in": 64, "dropout": 0.2, "hidden_dim": 512, "max_conv_dim": 64, "max_dur": 8, "multispeaker": True,
        "n_layer": 1, "n_mels": 80, "n_token": len(vocab) + 1, "style_dim": 128, "text_encoder_kernel_size": 5,
        "plbert": {"hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64,
                   "max_position_embeddings": 512, "num_hidden_layers": 1, "dropout": 0.1},
        "vocab": vocab,
    }


def build_tiny_kokoro(folder: Path, seed: int = 0) -> Path:
    """A toy Kokoro saved as hexgrad/Kokoro-82M ships: config.json, kokoro-tiny.pth (a dict of
    module name -> state dict) and voices/NAME.pt."""
    import torch
    from kokoro.model import KModel

    (folder / "voices").mkdir(parents=True, exist_ok=True)
    config = tiny_config()
    torch.manual_seed(seed)
    model = KModel(repo_id="tiny", config=config, model=_empty_checkpoint(folder, config))
    state = {name: getattr(model, name).state_dict() for name in ("bert", "bert_encoder", "predictor",
                                                                   "text_encoder", "decoder")}
    (folder / "empty.pth").unlink()
    torch.save(state, folder / "kokoro-tiny.pth")
    (folder / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    for i, name in enumerate(TINY_VOICES):
        torch.manual_seed(seed * 100 + i)
        torch.save(0.3 * torch.randn(510, 1, 256), folder / "voices" / f"{name}.pt")
    return folder


def _empty_checkpoint(folder: Path, config: dict) -> str:
    """KModel always loads a checkpoint: an empty one keeps its random initialisation."""
    import torch

    torch.save({}, folder / "empty.pth")
    return str(folder / "empty.pth")


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The toy's ops are tiny: on a shared 2-core machine, torch's thread pool spinning costs
    several times the work (measured 15 s vs 2 s per clip under load)."""
    if not kokoro_available():
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_kokoro(tmp_path_factory.mktemp("kokoro") / "tiny_kokoro")


@pytest.fixture(scope="module")
def engine(tiny) -> KokoroEngine:
    return KokoroEngine(model=str(tiny))


def voice(name: str) -> Voice:
    return Voice(engine="kokoro", id=name)


def test_registered_and_the_core_never_imports_torch():
    assert_registered_and_lazy("kokoro", "aorgen.tts.kokoro:KokoroEngine", "kokoro")


def test_missing_package_names_the_kokoro_extra(monkeypatch):
    assert_missing_package_names_extra(monkeypatch, "kokoro.model", KokoroEngine, "kokoro")


def test_catalogue_of_the_released_voices():
    assert len(VOICES) == 28 and len(set(VOICES)) == 28
    attrs = [voice_attributes(v) for v in VOICES]
    assert sum(g == "female" for _, g in attrs) == 15 and sum(g == "male" for _, g in attrs) == 13
    assert {a for a, _ in attrs} == {"en-us", "en-gb"}
    assert voice_attributes("bm_george") == ("en-gb", "male") and voice_attributes("af_heart") == ("en-us", "female")


@needs_kokoro
def test_named_model_lists_the_catalogue_without_downloading():
    voices = {v.id: v for v in KokoroEngine(model="hexgrad/Kokoro-82M").voices()}
    assert set(voices) == set(VOICES)
    assert (voices["bf_emma"].accent, voices["bf_emma"].gender, voices["bf_emma"].license) == ("en-gb", "female",
                                                                                               "Apache-2.0")


@needs_kokoro
def test_local_folder_lists_its_voice_packs(engine):
    voices = engine.voices()
    assert [v.id for v in voices] == list(TINY_VOICES)
    assert [(v.accent, v.gender) for v in voices] == [("en-us", "female"), ("en-us", "male"), ("en-gb", "female")]
    assert {v.model for v in voices} == {"tiny_kokoro"}


@needs_kokoro
def test_g2p_is_offline_misaki_with_accent(engine):
    assert engine.g2p_mode in ("misaki+spacy-blank-en", "misaki+en_core_web_sm")
    us, gb = engine.phonemes("Tomato, water.", "af_test"), engine.phonemes("Tomato, water.", "bf_test")
    assert us != gb and "ɹ" in us  # rhotic American vs non-rhotic British
    unknown = engine.phonemes("Zorblax attacks.", "af_test")  # not in misaki's lexicons: espeak-ng
    assert unknown.startswith("z") and len(unknown) > 8


@needs_kokoro
def test_output_is_non_silent_audio_at_24k(engine):
    out = engine.synthesize(TEXT, voice("af_test"), Prosody())
    assert out.sample_rate == 24000
    assert out.samples.dtype == np.float32 and np.all(np.isfinite(out.samples))
    assert np.sqrt(np.mean(out.samples**2)) > 1e-4


@needs_kokoro
def test_same_input_gives_identical_samples_whatever_came_before(engine):
    assert_deterministic(engine, TEXT, voice("am_test"), voice("af_test"))


@needs_kokoro
def test_voice_packs_give_different_audio(engine):
    assert_voices_differ(engine, TEXT, voice("af_test"), voice("am_test"))


@needs_kokoro
def test_duration_grows_with_text_and_shrinks_with_rate(engine):
    assert_duration_follows_text_and_rate(engine, voice("af_test"), LONG, seconds=lambda x, rate: len(x) / rate)


@needs_kokoro
def test_bad_voice_or_folder_is_one_clear_error(engine, tmp_path):
    with pytest.raises(AorgenError, match="Kokoro has no voice 'af_nobody'"):
        engine.synthesize(TEXT, voice("af_nobody"), Prosody())
    with pytest.raises(AorgenError, match="needs config.json and exactly one"):
        KokoroEngine(model=str(tmp_path))


@needs_kokoro
def test_version_follows_the_checkpoint(tiny, tmp_path):
    import torch

    other = Path(shutil.copytree(tiny, tmp_path / "tiny_kokoro"))
    torch.save(torch.zeros(510, 1, 256), other / "voices" / "af_test.pt")
    a, b = KokoroEngine(model=str(tiny)).version, KokoroEngine(model=str(other)).version
    assert a != b and a.startswith("kokoro 0.") and " misaki " in a and "g2p=misaki+" in a


@needs_kokoro
def test_neural_release_recipe_picks_balanced_kokoro_voices(monkeypatch):
    from aorgen.plan.planner import load_voices
    from aorgen.content.recipe import load_recipe

    monkeypatch.delenv("AORGEN_KOKORO_MODEL", raising=False)
    recipe = load_recipe(ROOT / "release" / "aor-bench-v1-neural.yaml")
    voices = load_voices(recipe)
    assert {v.engine for v in voices} == {"kokoro"} and len(voices) == 16
    assert sum(v.gender == "female" for v in voices) == 8 and {v.accent for v in voices} == {"en-us", "en-gb"}
    assert recipe.intelligibility is not None and recipe.intelligibility.backend == "faster-whisper"
