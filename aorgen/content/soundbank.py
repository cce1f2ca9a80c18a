"""Sound banks: catalogues of licensed recordings and procedural textures, validated on load."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aorgen.errors import AorgenError
from aorgen.common.yamlio import load_model

SPDX_TERMS = {  # licence -> (commercial_ok, share_alike)
    "CC0-1.0": (True, False),
    "LicenseRef-public-domain": (True, False),
    "CC-BY-3.0": (True, False),
    "CC-BY-4.0": (True, False),
    "CC-BY-SA-3.0": (True, True),
    "CC-BY-SA-4.0": (True, True),
    "CC-BY-NC-3.0": (False, False),
    "CC-BY-NC-4.0": (False, False),
    "CC-BY-NC-SA-4.0": (False, True),
    "GPL-2.0-or-later": (True, True),
    "GPL-2.0-only": (True, True),
    "GPL-3.0-or-later": (True, True),
    "GFDL-1.3-only": (True, True),
    "LAL-1.2": (True, True),
    "BSD-3-Clause": (True, False),
    "MIT": (True, False),
    "Unlicense": (True, False),
    "LicenseRef-Freesound-Sampling-Plus": (True, False),
}


class Clip(BaseModel):
    """One catalogue entry: a recording (``path``) or a procedural texture (``generator``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # no NaN/inf anywhere

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    path: str | None = None
    sha256: str | None = None
    generator: str | None = None
    params: dict[str, float | int | str] = {}
    duration_s: float = Field(gt=0, le=24 * 3600)
    sample_rate: int = Field(ge=1000, le=384000)
    channels: int | None = Field(None, ge=1, le=8)  # checked against the file when given
    role: Literal["background", "event"]
    loopable: bool = False
    scene_tags: tuple[str, ...] = Field(min_length=1)
    event_labels: tuple[str, ...] = ()
    context_cue: str = ""
    contains_speech: bool = False
    loudness_lufs: float = Field(ge=-120, le=0)
    license: str
    attribution: str = Field(min_length=1)
    source_url: str = ""
    commercial_ok: bool
    share_alike: bool
    redistributable: bool = True

    @model_validator(mode="after")
    def _one_source(self) -> Clip:
        if (self.path is None) == (self.generator is None):
            raise ValueError("exactly one of 'path' and 'generator' must be given")
        if self.path is not None and not self.sha256:
            raise ValueError("a recording needs its sha256")
        return self

    @field_validator("license")
    @classmethod
    def _known_license(cls, value: str) -> str:
        if value not in SPDX_TERMS:
            raise ValueError(f"unknown licence '{value}' (known SPDX ids: {', '.join(SPDX_TERMS)})")
        return value


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    clips: list[Clip]


@dataclass(eq=False)
class Bank:
    """A catalogue plus the folder its paths are relative to."""

    catalogue: Catalogue
    folder: Path
    file: Path

    @property
    def name(self) -> str:
        return self.catalogue.bank

    @cached_property
    def by_id(self) -> dict[str, Clip]:
        return {c.id: c for c in self.catalogue.clips}

    def clip(self, clip_id: str) -> Clip:
        try:
            return self.by_id[clip_id]
        except KeyError:
            raise AorgenError(f"no clip '{clip_id}' in bank '{self.name}'", file=self.file) from None

    def audio_path(self, clip: Clip) -> Path:
        """The recording's resolved path, confined to the bank's folder (checked again at each
        read: a symlink swapped in after loading cannot point outside)."""
        assert clip.path is not None
        resolved = (self.folder / clip.path).resolve()
        if not resolved.is_relative_to(self.folder):
            raise AorgenError("path leaves the bank's folder", file=self.file, item=clip.id, field="path")
        return resolved

    def read(self, clip: Clip) -> tuple[np.ndarray, int]:
        """The clip's samples (mono float32): a checked recording or a synthesised texture."""
        if clip.generator is not None:
            from aorgen.render.procedural import synthesise

            try:
                seed = int(clip.params.get("seed", 0))
                samples = synthesise(clip.generator, dict(clip.params), clip.duration_s, clip.sample_rate, seed)
            except (ValueError, TypeError, KeyError, ZeroDivisionError) as exc:
                raise AorgenError(f"cannot synthesise with these params: {exc}", file=self.file, item=clip.id,
                                  field="params") from None
            return samples, clip.sample_rate
        path = self.audio_path(clip)
        try:
            blob = path.read_bytes()
        except OSError:
            raise AorgenError("audio file missing", file=path, item=clip.id, field="path") from None
        if hashlib.sha256(blob).hexdigest() != clip.sha256:
            raise AorgenError("audio file does not match its sha256 (corrupt or changed)",
                              file=path, item=clip.id, field="sha256")
        try:
            data, rate = sf.read(io.BytesIO(blob), dtype="float32", always_2d=True)
        except Exception as exc:  # soundfile raises several types for bad files
            raise AorgenError(f"unreadable audio: {exc}", file=path, item=clip.id, field="path") from None
        return check_audio(data, rate, clip, self.file), rate

    @property
    def scene_tags(self) -> set[str]:
        return {t for c in self.catalogue.clips for t in c.scene_tags}


SILENCE_PEAK = 10 ** (-80 / 20)  # a clip whose mono mix never exceeds -80 dBFS is silent
CANCELLED_RATIO = 10 ** (-30 / 20)  # mono mix 30 dB below its channels: phase-cancelled stereo


def check_audio(data: np.ndarray, rate: int, clip: Clip, file: Path) -> np.ndarray:
    """The mono mix of a recording (frames x channels) after checking it against its
    catalogue entry: sample rate, duration, finite samples, not silent, not cancelling
    itself when the channels are summed."""
    def problem(message: str, field: str) -> AorgenError:
        return AorgenError(message, file=file, item=clip.id, field=field)

    if rate != clip.sample_rate:
        raise problem(f"sample rate is {rate}, catalogue says {clip.sample_rate}", "sample_rate")
    if clip.channels is not None and data.shape[1] != clip.channels:
        raise problem(f"has {data.shape[1]} channel(s), catalogue says {clip.channels}", "channels")
    if abs(len(data) / rate - clip.duration_s) > 0.05:
        raise problem(f"duration is {len(data) / rate:.2f}s, catalogue says {clip.duration_s}", "duration_s")
    if not np.isfinite(data).all():
        raise problem("audio has NaN or infinite samples", "path")
    mono = data.mean(axis=1)
    if not len(mono) or np.abs(mono).max() < SILENCE_PEAK:
        if data.shape[1] > 1 and len(mono) and np.abs(data).max() >= SILENCE_PEAK:
            raise problem(f"its {data.shape[1]} channels cancel out when mixed to mono (phase-inverted)", "path")
        raise problem("audio is silent (peak below -80 dBFS)", "path")
    if data.shape[1] > 1:
        channels = float(np.sqrt(np.mean(data.astype(np.float64) ** 2)))
        if float(np.sqrt(np.mean(mono.astype(np.float64) ** 2))) < CANCELLED_RATIO * channels:
            raise problem(f"its {data.shape[1]} channels cancel out when mixed to mono (phase-inverted)", "path")
    return mono


def load_bank(path: str | Path) -> Bank:
    """Load and check a bank: a catalogue.yaml file or the folder that holds one."""
    path = Path(path)
    file = path / "catalogue.yaml" if path.is_dir() else path
    catalogue = load_model(file, Catalogue)
    folder = file.parent.resolve()
    seen: set[str] = set()
    for clip in catalogue.clips:
        if clip.id in seen:
            raise AorgenError("duplicate clip id", file=file, item=clip.id, field="id")
        seen.add(clip.id)
        if clip.generator is not None:
            from aorgen.render.procedural import GENERATORS

            if clip.generator not in GENERATORS:
                raise AorgenError(f"unknown generator '{clip.generator}' (known: {', '.join(sorted(GENERATORS))})",
                                  file=file, item=clip.id, field="generator")
        if clip.path is not None:
            resolved = (folder / clip.path).resolve()
            if not resolved.is_relative_to(folder):
                raise AorgenError("path leaves the bank's folder", file=file, item=clip.id, field="path")
        if (clip.commercial_ok, clip.share_alike) != SPDX_TERMS[clip.license]:
            raise AorgenError(
                f"commercial_ok/share_alike contradict licence {clip.license}",
                file=file, item=clip.id, field="license",
            )
    return Bank(catalogue, folder, file)


def validate_bank(bank: Bank) -> list[str]:
    """Deep check of every recording (exists, hash, rate, duration, content); returns problems found."""
    from aorgen.render.procedural import GENERATORS

    problems = []
    for clip in bank.catalogue.clips:
        try:
            if clip.generator is not None:
                if clip.generator not in GENERATORS:
                    raise AorgenError(f"unknown generator '{clip.generator}'", file=bank.file,
                                      item=clip.id, field="generator")
                continue
            bank.read(clip)  # hash, rate, duration and content (see check_audio)
        except AorgenError as err:
            problems.append(str(err))
    return problems


def bank_stats(banks: list[Bank]) -> dict[str, Counter]:
    clips = [c for b in banks for c in b.catalogue.clips]
    return {
        "role": Counter(c.role for c in clips),
        "license": Counter(c.license for c in clips),
        "kind": Counter("procedural" if c.generator else "recording" for c in clips),
        "scene_tag": Counter(t for c in clips for t in c.scene_tags),
    }


def builtin_bank_paths() -> list[Path]:
    from aorgen.resources import SOUND_BANKS_DIR

    return sorted(p for p in SOUND_BANKS_DIR.glob("*/catalogue.yaml"))
