"""The engine-agnostic voice catalogue: what voices exist and how recipes select them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from aorgen.errors import AorgenError


class Voice(BaseModel):
    """One speaker an engine can render. ``key`` ("engine:id") names it everywhere."""

    model_config = ConfigDict(frozen=True)

    engine: str
    id: str
    model: str = ""
    language: str = "en"
    accent: str = ""
    gender: str = "unknown"  # female | male | unknown
    styles: tuple[str, ...] = ()  # styles the engine really renders (others are planned "neutral")
    pitch: bool = True  # the engine applies Prosody.pitch to this voice (if not, clips are planned at 1.0)
    license: str = ""  # SPDX id (or LicenseRef-...) of the voice's model/data
    # the recorded person the voice was built from, where known ("cmu-arctic-slt"): voices of
    # different engines built from one person sound alike (``same_speaker``)
    speaker: str = ""
    license_note: str = ""

    @property
    def key(self) -> str:
        return f"{self.engine}:{self.id}"


def same_speaker(a: Voice, b: Voice) -> bool:
    """One voice, or two voices built from the recordings of one person."""
    return (a.engine, a.id) == (b.engine, b.id) or bool(a.speaker) and a.speaker == b.speaker


class VoiceFilter(BaseModel):
    """Select voices by id or by attributes; an empty list means 'any'."""

    model_config = ConfigDict(extra="forbid")

    engine: str = "espeak"
    ids: list[str] = []
    gender: list[str] = []
    accent: list[str] = []
    language: list[str] = ["en"]
    # drop voices whose licence id has any of these parts, e.g. [NC, ND] drops CC-BY-NC-ND-4.0
    exclude_license: list[str] = []

    def excluded(self, voice: Voice) -> bool:
        parts = voice.license.upper().split("-")
        return any(tag.upper() in parts or tag.upper() == voice.license.upper() for tag in self.exclude_license)

    def matches(self, voice: Voice) -> bool:
        def ok(wanted: list[str], value: str) -> bool:
            return not wanted or any(value == w or value.startswith(w + "-") for w in wanted)

        return (
            voice.engine == self.engine
            and (not self.ids or voice.id in self.ids)
            and ok(self.gender, voice.gender)
            and ok(self.accent, voice.accent)
            and ok(self.language, voice.language)
            and not self.excluded(voice)
        )


def select_voices(catalogue: Sequence[Voice], wanted: VoiceFilter, *, file: str | None = None) -> list[Voice]:
    """The voices of ``catalogue`` that ``wanted`` picks; unknown ids name the closest matches."""
    known = {v.id for v in catalogue if v.engine == wanted.engine}
    for voice_id in wanted.ids:
        if voice_id not in known:
            close = difflib.get_close_matches(voice_id, sorted(known), n=3, cutoff=0.4)
            hint = f" (closest: {', '.join(close)})" if close else ""
            raise AorgenError(
                f"unknown {wanted.engine} voice '{voice_id}'{hint}", file=file, field="voices.ids"
            )
    chosen = [v for v in catalogue if wanted.matches(v)]
    if not chosen:
        raise AorgenError(
            f"no {wanted.engine} voice matches {wanted.model_dump(exclude_defaults=True)}",
            file=file,
            field="voices",
        )
    return chosen


def group_voices(voices: Iterable[Voice], by: Sequence[str]) -> list[list[Voice]]:
    """Voices grouped by the attributes in ``by`` (e.g. gender × accent). Groups are ordered
    so that the first attribute varies fastest: taking them round-robin alternates it."""
    groups: dict[tuple, list[Voice]] = {}
    for voice in voices:
        groups.setdefault(tuple(getattr(voice, attr) for attr in reversed(by)), []).append(voice)
    return [sorted(groups[k], key=lambda v: v.id) for k in sorted(groups)]
