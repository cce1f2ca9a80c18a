"""Augmentations with audiomentations; parameters are drawn at planning time and stored in
the spec, so each transform here is built with its exact values (min == max, p = 1)."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np

from aorgen.common.registry import Registry
from aorgen.errors import AorgenError
from aorgen.plan.spec import AugmentSpec

# name -> (default parameter ranges, builder from exact parameters)
Builder = Callable[[dict], object]
# (a Registry: its values are (defaults, builder) pairs, registered by @augmentation)
AUGMENTATIONS = Registry("augmentation", field="augment.name")
# augmentations that add a signal of their own (noise): part of the background, not of the speech stem
ADDITIVE: set[str] = set()


def augmentation(name: str, additive: bool = False, **defaults: tuple[float, float]):
    def register(build: Builder) -> Builder:
        AUGMENTATIONS[name] = (defaults, build)
        if additive:
            ADDITIVE.add(name)
        return build

    return register


@augmentation("telephone", low_hz=(250.0, 350.0), high_hz=(3200.0, 3600.0))
def _telephone(p: dict):
    import audiomentations as am

    return am.Compose([
        am.HighPassFilter(min_cutoff_freq=p["low_hz"], max_cutoff_freq=p["low_hz"], p=1.0),
        am.LowPassFilter(min_cutoff_freq=p["high_hz"], max_cutoff_freq=p["high_hz"], p=1.0),
    ])


@augmentation("codec", bit_depth=(6.0, 10.0), sample_rate_hz=(6000.0, 12000.0))
def _codec(p: dict):
    import audiomentations as am

    bits = int(round(p["bit_depth"]))
    rate = int(round(p["sample_rate_hz"]))
    if not 2 <= bits <= 16:
        raise ValueError(f"bit_depth must be between 2 and 16, got {p['bit_depth']}")
    aliasing = am.Aliasing(min_sample_rate=rate, max_sample_rate=rate, p=1.0)

    def transform(samples: np.ndarray, sample_rate: int) -> np.ndarray:
        from scipy.signal import butter, sosfiltfilt

        coded = companded_quantise(aliasing(samples=samples, sample_rate=sample_rate), bits)
        if rate / 2 >= sample_rate / 2 * 0.99:
            return coded
        # the decoder's reconstruction filter: nothing above the codec's Nyquist frequency
        sos = butter(8, rate / 2 * 0.95, btype="low", fs=sample_rate, output="sos")
        return sosfiltfilt(sos, coded).astype(np.float32)

    return transform


MU = 255.0


def companded_quantise(x: np.ndarray, bits: int) -> np.ndarray:
    """A G.711-style codec: mu-law companding, ``bits``-bit quantisation with TPDF dither,
    expansion. Quiet passages keep their resolution (a linear bit-crusher at 6-10 bits rounds
    a background under speech pauses to digital silence); the dither leaves a noise floor
    (about -60 dBFS at 6 bits) instead of zero runs. Dither comes from numpy's global RNG,
    which ``apply_augmentations`` seeds from the spec."""
    y = np.sign(x) * np.log1p(MU * np.clip(np.abs(x), 0.0, 1.0)) / np.log1p(MU)
    step = 2.0 / 2 ** bits
    dither = (np.random.random_sample(len(y)) - np.random.random_sample(len(y))) * step
    q = np.clip(np.round((y + dither) / step) * step, -1.0, 1.0)
    return (np.sign(q) * np.expm1(np.abs(q) * np.log1p(MU)) / MU).astype(np.float32)


@augmentation("gain", gain_db=(-6.0, 0.0))
def _gain(p: dict):
    import audiomentations as am

    return am.Gain(min_gain_db=p["gain_db"], max_gain_db=p["gain_db"], p=1.0)


@augmentation("lowpass", cutoff_hz=(2500.0, 6000.0))
def _lowpass(p: dict):
    import audiomentations as am

    return am.LowPassFilter(min_cutoff_freq=p["cutoff_hz"], max_cutoff_freq=p["cutoff_hz"], p=1.0)


@augmentation("noise", additive=True, snr_db=(20.0, 35.0))
def _noise(p: dict):
    import audiomentations as am

    return am.AddGaussianSNR(min_snr_db=p["snr_db"], max_snr_db=p["snr_db"], p=1.0)


def draw_params(name: str, overrides: dict, rng: np.random.Generator, *, file: str | None = None) -> dict:
    """Exact parameters for one application: recipe ranges override the defaults."""
    AUGMENTATIONS.check(name, file=file)
    defaults, _ = AUGMENTATIONS[name]
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise AorgenError(f"'{name}' has no parameter {sorted(unknown)[0]} (has: {', '.join(defaults)})",
                          file=file, field="augment.params")
    params: dict = {}
    for key, (low, high) in defaults.items():
        value = overrides.get(key, (low, high))
        if hasattr(value, "low"):
            value = (value.low, value.high)
        params[key] = round(float(rng.uniform(*value)), 4) if isinstance(value, tuple) else value
    params["seed"] = int(rng.integers(2**31))
    return params


def check_step(name: str, overrides: dict, sample_rate: int, *, file: str | None = None, index: int = 0) -> None:
    """Refuse, at plan time, an augmentation whose parameters cannot work: a value that is not
    a number, or one the transform rejects or turns into non-finite audio (tried at both ends
    of every range on a short noise burst at the recipe's sample rate)."""
    where = f"augment[{index}] ({name})"
    draw_params(name, overrides, np.random.default_rng(0), file=file)  # name and parameter names
    for key, value in overrides.items():
        if isinstance(value, (str, bool)):
            raise AorgenError(f"'{key}' must be a number or a {{low, high}} range, got {value!r}",
                              file=file, item=where, field=f"params.{key}")
    noise = np.random.default_rng(0).standard_normal(sample_rate // 10).astype(np.float32) * 0.1
    for end in (0, 1):
        params = {}
        for key, (low, high) in AUGMENTATIONS[name][0].items():
            value = overrides.get(key, (low, high))
            value = (value.low, value.high) if hasattr(value, "low") else value
            params[key] = float(value[end] if isinstance(value, tuple) else value)
        params["seed"] = 0
        try:
            out = apply_augmentations(noise, sample_rate, (AugmentSpec(name=name, params=params),))
        except Exception as exc:  # audiomentations and scipy raise several types
            raise AorgenError(f"unusable parameters {params}: {' '.join(str(exc).split())[:200]}",
                              file=file, item=where, field="params") from None
        if not np.isfinite(out).all():
            raise AorgenError(f"parameters {params} give non-finite audio", file=file, item=where, field="params")


def apply_augmentations(samples: np.ndarray, sample_rate: int, steps: tuple[AugmentSpec, ...],
                        *, skip_additive: bool = False) -> np.ndarray:
    """Apply the spec's augmentations in order; noise-like ones are seeded from the spec.
    ``skip_additive`` leaves out those that add a signal (the speech stem's channel)."""
    for step in steps:
        if skip_additive and step.name in ADDITIVE:
            continue
        _, build = AUGMENTATIONS[step.name]
        transform = build(dict(step.params))
        # audiomentations draws from both the `random` module and numpy's global RNG
        np_state, py_state = np.random.get_state(), random.getstate()
        np.random.seed(int(step.params["seed"]))
        random.seed(int(step.params["seed"]))
        try:
            samples = transform(samples=samples.astype(np.float32), sample_rate=sample_rate)
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)
    return samples.astype(np.float32)
