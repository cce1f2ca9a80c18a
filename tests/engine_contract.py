"""Checks every neural speech engine's tests share (Piper here; the Coqui and Kokoro engines run
them in their own overlay environments, on tiny models built from configs)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from aorgen.content.voices import Voice
from aorgen.errors import MissingExtra
from aorgen.tts import ENGINES, Prosody


def assert_registered_and_lazy(name: str, target: str, package: str) -> None:
    """The engine is registered as ``target``, and importing its module imports neither torch
    nor the engine's ``package`` (they load when the engine is created)."""
    assert ENGINES[name] == target
    code = f"import sys, {target.partition(':')[0]}; print('torch' in sys.modules, '{package}' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def assert_missing_package_names_extra(monkeypatch, hidden: str, make_engine, extra: str) -> None:
    """With the module ``hidden`` not importable, creating the engine names the pip extra."""
    monkeypatch.setitem(sys.modules, hidden, None)
    with pytest.raises(MissingExtra) as err:
        make_engine()
    assert err.value.extra == extra and f"pip install 'aorgen[{extra}]'" in str(err.value)


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


def speech_seconds(x: np.ndarray, rate: int) -> float:
    """Length from the first to the last sample above 1 % of the peak."""
    loud = np.flatnonzero(np.abs(x) > 0.01 * np.abs(x).max())
    return (loud[-1] - loud[0]) / rate


def assert_duration_follows_text_and_rate(engine, voice: Voice, text: str, seconds=speech_seconds,
                                          rel: float = 0.3) -> None:
    """A long line lasts more than three times "Shoot.", and twice the rate halves it
    (``seconds(samples, rate)`` measures a clip)."""
    def length(line: str, prosody: Prosody) -> float:
        out = engine.synthesize(line, voice, prosody)
        return seconds(out.samples, out.sample_rate)

    normal = length(text, Prosody())
    assert normal > 3 * length("Shoot.", Prosody())
    assert length(text, Prosody(rate=2.0)) == pytest.approx(normal / 2, rel=rel)
