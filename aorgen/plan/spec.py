"""SampleSpec: everything needed to render one clip, byte for byte (DESIGN invariant 1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from aorgen.common.taxonomy import Label
from aorgen.tts.base import Prosody

SPEC_VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpeechSpec(_Frozen):
    engine: str
    voice_id: str
    gender: str
    accent: str
    text: str  # what the engine is given (normalised transcript)
    prosody: Prosody


class SourceRef(_Frozen):
    """A sound-bank entry, pinned by content hash (or generator parameters)."""

    bank: str
    clip_id: str
    sha256: str | None = None
    license: str
    attribution: str


class BackgroundSpec(_Frozen):
    source: SourceRef
    offset_s: float  # where in the source the bed starts; it loops with crossfades


class EventSpec(_Frozen):
    source: SourceRef
    anchor: Literal["before", "during", "after"]  # relative to the speech
    position: float  # 0..1 within that region
    event_to_bed_db: float  # the event's loudest 400 ms relative to the bed's loudness


class RoomSpec(_Frozen):
    pool_index: int
    dims_m: tuple[float, float, float]
    rt60_s: float
    source_m: tuple[float, float, float]
    mic_m: tuple[float, float, float]
    wet: float
    apply_to_background: bool


class MixSpec(_Frozen):
    snr_db: float
    lead_in_s: float
    tail_s: float
    target_lufs: float
    max_peak_dbfs: float


class AugmentSpec(_Frozen):
    name: str
    params: dict[str, float | int | str | bool]


class SampleSpec(_Frozen):
    spec_version: int = SPEC_VERSION
    id: str
    category: str
    label: Label
    split: Literal["train", "test"]
    script_id: str
    transcript: str
    scene_tags: tuple[str, ...]
    context: str
    rationale: str
    style: str
    harm_type: str | None = None  # the script's harm type (templates' HARM_TYPES)
    intended_context: str | None = None  # the script's context; ``context`` is what was rendered
    speech: SpeechSpec
    background: BackgroundSpec
    events: tuple[EventSpec, ...]
    room: RoomSpec | None
    mix: MixSpec
    augment: tuple[AugmentSpec, ...]
    sample_rate: int
    audio_format: Literal["flac", "wav"]
    stems: bool
    attempt: int = 0  # the intelligibility gate's re-draws of this sample (0: the first draw)

    @property
    def sources(self) -> list[SourceRef]:
        return [self.background.source, *(e.source for e in self.events)]
