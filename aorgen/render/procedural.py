"""Procedural textures that synthesise well: rain, wind, room tone, traffic, applause,
typing and crowd babble. Each is a pure function of (params, duration, rate, seed), so a
catalogue entry that names a generator behaves exactly like a recording.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import scipy.signal

Generator = Callable[[dict, float, int, np.random.Generator], np.ndarray]
GENERATORS: dict[str, Generator] = {}


def generator(name: str):
    def register(fn: Generator) -> Generator:
        GENERATORS[name] = fn
        return fn

    return register


def _coloured_noise(n: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Noise with a 1/f^exponent power spectrum (0 white, 1 pink, 2 brown)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
    noise = np.fft.irfft(spectrum / freqs ** (exponent / 2.0), n)
    return noise / (np.std(noise) + 1e-12)


def _band(x: np.ndarray, rate: int, low: float | None, high: float | None) -> np.ndarray:
    return scipy.signal.sosfilt(_butterworth(rate, low, high), x)


@lru_cache(maxsize=4096)
def _butterworth(rate: int, low: float | None, high: float | None) -> np.ndarray:
    """Designed once per band: grains reuse a handful of bands thousands of times."""
    nyq = rate / 2.0
    if low and high:
        return scipy.signal.butter(4, [low / nyq, min(high / nyq, 0.99)], "bandpass", output="sos")
    if high:
        return scipy.signal.butter(4, min(high / nyq, 0.99), "lowpass", output="sos")
    return scipy.signal.butter(4, low / nyq, "highpass", output="sos")


def _slow_envelope(n: int, rate: int, rng: np.random.Generator, hz: float, depth: float) -> np.ndarray:
    knots = max(4, int(n / rate * hz) + 2)
    env = np.interp(np.arange(n), np.linspace(0, n, knots), rng.uniform(1 - depth, 1, knots))
    return env


def _scatter(n: int, rate: int, rng: np.random.Generator, per_second: float,
             make: Callable[[np.random.Generator], np.ndarray]) -> np.ndarray:
    out = np.zeros(n)
    count = rng.poisson(per_second * n / rate)
    for start in rng.integers(0, n, size=count):
        grain = make(rng)
        end = min(n, start + len(grain))
        out[start:end] += grain[: end - start]
    return out


@generator("rain")
def rain(params: dict, duration_s: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    n = int(duration_s * rate)
    bed = _band(_coloured_noise(n, rng, 0.5), rate, 400, 8000) * 0.3
    drop_len = int(0.004 * rate)

    def drop(r):
        return r.standard_normal(drop_len) * np.exp(-np.linspace(0, 6, drop_len)) * r.uniform(0.2, 1)

    drops = _band(_scatter(n, rate, rng, float(params.get("drops_per_s", 400)), drop), rate, 1500, None)
    return bed + drops


@generator("wind")
def wind(params: dict, duration_s: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    n = int(duration_s * rate)
    gusts = _slow_envelope(n, rate, rng, float(params.get("gusts_hz", 0.4)), 0.8)
    return _band(_coloured_noise(n, rng, 1.6), rate, 40, 1200) * gusts


@generator("room_tone")
def room_tone(params: dict, duration_s: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    n = int(duration_s * rate)
    t = np.arange(n) / rate
    hum_hz = float(params.get("hum_hz", 50))
    hum = sum(np.sin(2 * np.pi * hum_hz * k * t + rng.uniform(0, 6.28)) / k**2 for k in (1, 2, 3))
    return _band(_coloured_noise(n, rng, 1.0), rate, 30, 3000) + 0.15 * hum


@generator("traffic_rumble")
def traffic_rumble(params: dict, duration_s: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    n = int(duration_s * rate)
    passes = _slow_envelope(n, rate, rng, float(params.get("cars_per_s", 0.3)) * 4, 0.9) ** 2
    return _band(_coloured_noise(n, rng, 2.0), rate, 25, 600) * passes


@generator("applause")
def applause(params: dict, duration_s: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    n = int(duration_s * rate)
    clap_len = int(0.012 * rate)

    def clap(r):
        return _band(r.standard_normal(clap_len), rate, r.uniform(600, 1200), r.uniform(3000, 6000)) \
            * np.exp(-np.linspace(0, 5, clap_len))

    claps = _scatter(n, rate, rng, float(params.get("claps_per_s", 120)), clap)
    swell = np.minimum(1.0, np.linspace(0, 4, n)) * np.minimum(1.0, np.linspace(4, 0, n) + 0.5)
    return claps * swell


@generator("typing")
def typing(params: dict, duration_s: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    n = int(duration_s * rate)
    key_len = int(0.03 * rate)
    # two resonances per key: the key cap's click and the board's thump
    keys = []
    for _ in range(12):
        noise = rng.standard_normal(key_len) * np.exp(-np.linspace(0, 9, key_len))
        keys.append(_band(noise, rate, rng.uniform(1500, 2500), 7000) + 0.6 * _band(noise, rate, 150, 500))
    out = np.zeros(n)
    pos = 0
    while pos < n:  # bursts of words with pauses
        for _ in range(rng.integers(3, 9)):
            key = keys[rng.integers(len(keys))] * rng.uniform(0.5, 1)
            end = min(n, pos + key_len)
            out[pos:end] += key[: end - pos]
            pos += int(rate / float(params.get("keys_per_s", 7)) * rng.uniform(0.6, 1.4))
        pos += int(rng.uniform(0.15, 0.6) * rate)
    return out


_BABBLE_LINES = (
    "did you see that one coming honestly", "we should grab something after this",
    "no I think it was the other way round", "that's what I told her last week",
    "can you pass me that over there", "it's been a really long day for everyone",
    "I'm not sure we have time for that", "they said it starts in ten minutes",
    "oh come on that's not fair at all", "where did you park the car this morning",
    "let's wait and see what happens next", "I love this part it's my favourite",
)


@generator("crowd_babble")
def crowd_babble(params: dict, duration_s: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Six or more espeak talkers at random offsets, summed and softened: unintelligible."""
    import soxr

    from aorgen.tts import Prosody, get_engine

    engine = get_engine("espeak")
    voices = engine.voices()
    n = int(duration_s * rate)
    out = np.zeros(n)
    for _ in range(max(6, int(params.get("talkers", 8)))):
        voice = voices[rng.integers(len(voices))]
        pos = int(rng.uniform(-1.0, 0.5) * rate)
        while pos < n:
            line = _BABBLE_LINES[rng.integers(len(_BABBLE_LINES))]
            speech = engine.synthesize(line, voice, Prosody(rate=rng.uniform(0.9, 1.2), pitch=rng.uniform(0.8, 1.2)))
            samples = soxr.resample(speech.samples, speech.sample_rate, rate)
            start, end = max(pos, 0), min(n, pos + len(samples))
            if end > start:
                out[start:end] += samples[start - pos : end - pos] * rng.uniform(0.4, 1.0)
            pos += len(samples) + int(rng.uniform(0.1, 0.8) * rate)
    return _band(out, rate, 150, 3500)


def synthesise(name: str, params: dict, duration_s: float, rate: int, seed: int) -> np.ndarray:
    """The texture ``name`` at a fixed level (-20 dBFS RMS), float32 mono."""
    x = GENERATORS[name](params, duration_s, rate, np.random.default_rng(seed))
    x = x / (np.sqrt(np.mean(x**2)) + 1e-12) * 0.1
    return x.astype(np.float32)
