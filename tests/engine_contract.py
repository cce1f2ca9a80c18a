"""Checks every neural speech engine's tests share (the Coqui and Kokoro engines run them in
their own overlay environments, on tiny models built from configs)."""

from __future__ import annotations

import numpy as np

from aorgen.content.voices import Voice
from aorgen.tts import Prosody


def assert_deterministic(engine, text: str, voice: Voice, other: Voice) -> None:
    """The same input gives the same samples, whatever was synthesised in between."""
    first = engine.synthesize(text, voice, Prosody()).samples
    engine.synthesize("Something else, to move the random state.", other, Prosody(rate=1.2))
    assert np.array_equal(first, engine.synthesize(text, voice, Prosody()).samples)


def assert_voices_differ(engine, text: str, a: Voice, b: Voice) -> None:
    """Two voices give different audio (length, or more than 1 % of the RMS per sample)."""
    x = engine.synthesize(text, a, Prosody()).samples
    y = engine.synthesize(text, b, Prosody()).samples
    n = min(len(x), len(y))
    assert len(x) != len(y) or np.mean(np.abs(x[:n] - y[:n])) > 0.01 * np.sqrt(np.mean(x**2))
