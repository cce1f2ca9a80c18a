"""The stems agree with the mixture: the speech stem is the speech through the mixture's
channel (room and augmentations) and speech + background = mixture, for every augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aorgen.render.augment import AUGMENTATIONS, apply_augmentations, companded_quantise, draw_params
from aorgen.plan.planner import plan
from aorgen.content.recipe import load_recipe
from aorgen.render.mix import RenderContext, decode, render
from aorgen.plan.spec import AugmentSpec

# residual of (speech stem + background stem) against the mixture, relative to the mixture
MAX_RESIDUAL_DB = -30.0


def _db(x: np.ndarray) -> float:
    return 10 * np.log10(float(np.mean(x.astype(np.float64) ** 2)) + 1e-20)


@pytest.fixture(scope="module")
def rendered_by_augmentation(tmp_path_factory):
    from tests.conftest import PROCEDURAL_BANK, write_bank, write_templates  # noqa: PLC0415
    import yaml

    root = tmp_path_factory.mktemp("stems")
    templates = write_templates(root / "templates")
    bank = write_bank(root / "bank")
    recipe_path = root / "recipe.yaml"
    recipe_path.write_text(yaml.safe_dump({
        "name": "stems", "templates": [str(templates)], "sound_banks": [str(bank), str(PROCEDURAL_BANK)],
        "samples_per_category": {"pseudo_harmful": 2, "harmful_contrast": 0, "benign_control": 0},
        "room": {"pool_size": 2, "probability": 1.0}, "scene": {"procedural_bed_probability": 0.0},
        "augment": [], "stems": True,
    }))
    the_plan = plan(load_recipe(recipe_path))
    ctx = RenderContext.from_bank_paths([bank, PROCEDURAL_BANK], root / "cache")
    spec = the_plan.specs[0]
    rng = np.random.default_rng(3)
    out = {"none": render(spec, ctx)}
    for name in AUGMENTATIONS:
        step = AugmentSpec(name=name, params=draw_params(name, {}, rng))
        out[name] = render(spec.model_copy(update={"augment": (step,)}), ctx)
    return out


def test_stems_sum_to_the_mixture_for_every_augmentation(rendered_by_augmentation):
    for name, r in rendered_by_augmentation.items():
        mixture, _ = decode(r.audio)
        speech, _ = decode(r.speech)
        background, _ = decode(r.background)
        residual = _db(speech + background - mixture) - _db(mixture)
        assert residual < MAX_RESIDUAL_DB, (name, residual)


def test_the_speech_stem_went_through_the_channel(rendered_by_augmentation):
    """Band-limited channels leave no speech energy outside their band in the speech stem."""
    rate = rendered_by_augmentation["none"].spec.sample_rate
    r = rendered_by_augmentation["telephone"]
    speech, _ = decode(r.speech)
    spectrum = np.abs(np.fft.rfft(speech)) ** 2
    freqs = np.fft.rfftfreq(len(speech), 1 / rate)
    dry, _ = decode(rendered_by_augmentation["none"].speech)
    dry_spectrum = np.abs(np.fft.rfft(dry)) ** 2
    high = freqs > 5000
    share = spectrum[high].sum() / spectrum.sum()
    dry_share = dry_spectrum[high].sum() / dry_spectrum.sum()
    assert share < dry_share / 10
    # the background stem holds no speech: a dry speech stem would leave the speech the channel
    # removed in (mixture − speech), strongly correlated with the speech stem
    background, _ = decode(r.background)
    assert abs(np.corrcoef(background, speech)[0, 1]) < 0.2


def test_codec_leaves_no_digital_silence_where_there_was_sound(rendered_by_augmentation):
    r = rendered_by_augmentation["codec"]
    mixture, _ = decode(r.audio)
    assert len(np.unique(mixture)) > 1000
    # no run of 20 ms of exact zeros anywhere (the background plays throughout)
    frame = int(0.02 * r.spec.sample_rate)
    frames = mixture[: len(mixture) // frame * frame].reshape(-1, frame)
    assert np.all(np.any(frames != 0, axis=1))


def test_companded_quantise_keeps_quiet_signals():
    """A -50 dBFS tone survives 6-bit companding within a few dB; a linear 6-bit crush would zero it."""
    t = np.arange(16000) / 16000
    tone = (10 ** (-50 / 20) * np.sqrt(2) * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    np.random.seed(0)
    out = companded_quantise(tone, 6)
    assert abs(_db(out) - _db(tone)) < 6
    assert np.count_nonzero(out) > 0.9 * len(out)
    assert np.all(np.round(tone * 32) == 0)  # what a linear 6-bit quantiser would leave


def test_noise_is_not_in_the_speech_stem():
    x = np.zeros(8000, dtype=np.float32)
    x[::100] = 0.5
    step = AugmentSpec(name="noise", params={"snr_db": 20.0, "seed": 1})
    assert np.array_equal(apply_augmentations(x, 16000, (step,), skip_additive=True), x)
    assert not np.array_equal(apply_augmentations(x, 16000, (step,)), x)
