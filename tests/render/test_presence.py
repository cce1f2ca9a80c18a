"""Presence correction: dark voices are lifted towards the target share above 1 kHz, bright ones
left alone, deterministically, and the spec carries the target only when the recipe sets it."""

from __future__ import annotations

import numpy as np
import pytest

from aorgen.render.presence import MAX_LIFT_DB, high_share, lift, lift_gain

RATE = 16000


def _voice(high: float, seconds: float = 1.0) -> np.ndarray:
    """A 200 Hz 'fundamental' plus a 2.5 kHz 'formant' at relative amplitude ``high``."""
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * 200 * t) + high * 0.3 * np.sin(2 * np.pi * 2500 * t)).astype(np.float32)


def test_a_dark_voice_is_lifted_to_the_target_and_a_bright_one_left_alone():
    dark = _voice(0.2)  # about 4 % of the energy above 1 kHz
    assert high_share(dark, RATE) == pytest.approx(0.2**2 / (1 + 0.2**2), rel=0.01)
    lifted = lift(dark, RATE, 0.12)
    assert high_share(lifted, RATE) == pytest.approx(0.12, abs=0.01)
    assert np.array_equal(lifted, lift(dark, RATE, 0.12))  # deterministic
    bright = _voice(0.6)
    assert lift(bright, RATE, 0.12) is bright


def test_the_lift_is_capped_at_12_db():
    nearly_pure = _voice(0.001)
    assert lift_gain(high_share(nearly_pure, RATE), 0.12) == pytest.approx(10 ** (MAX_LIFT_DB / 20) - 1)
    assert high_share(lift(nearly_pure, RATE, 0.12), RATE) < 0.01


def test_the_spec_carries_presence_only_when_set(mini):
    import yaml

    from aorgen.content.recipe import load_recipe
    from aorgen.plan.planner import plan

    plain = plan(load_recipe(mini["recipe"])).specs[0]
    assert "presence" not in plain.model_dump_json()
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe.setdefault("voices", {})["presence"] = 0.12
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    lifted = plan(load_recipe(mini["recipe"])).specs[0]
    assert lifted.speech.presence == 0.12 and '"presence":0.12' in lifted.model_dump_json()
    assert all(cue.speech.presence is None for cue in lifted.cues)
