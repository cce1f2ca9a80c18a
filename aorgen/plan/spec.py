"""SampleSpec: everything needed to render one clip, byte for byte (DESIGN invariant 1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_serializer

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
    presence: float | None = None  # target energy share above 1 kHz (aorgen.render.presence); None: as synthesised

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler):
        """``presence`` is left out while unset, so older specs' JSON is unchanged."""
        data = handler(self)
        if data.get("presence", 0) is None:
            del data["presence"]
        return data


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


class CueSpec(_Frozen):
    """A scene speech cue: a background voice naming the situation (aorgen.content.cues)."""

    text: str  # the line as written in the cue file
    role: str  # announcer, referee, guide, director, tv, ...
    channel: Literal["direct", "loudspeaker", "tv", "radio", "phone"]
    speech: SpeechSpec  # the voice that says it (never the foreground speaker's)
    anchor: Literal["before", "during", "after"]  # in the lead-in, under the speech, or after it
    position: float  # 0..1 within the room its region leaves it
    cue_to_speech_db: float  # the cue's loudness relative to the foreground speech's


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
    background: BackgroundSpec | None  # None: no background (a minimal pair's no_scene row)
    events: tuple[EventSpec, ...]
    room: RoomSpec | None
    mix: MixSpec
    augment: tuple[AugmentSpec, ...]
    sample_rate: int
    audio_format: Literal["flac", "wav"]
    stems: bool
    attempt: int = 0  # the intelligibility gate's re-draws of this sample (0: the first draw)
    cues: tuple[CueSpec, ...] = ()  # scene speech cues in the background
    scene_attempt: int = 0  # the scene-match check's re-draws of the scene (aorgen.plan.sceneqc)
    scene_margin: float | None = None  # its CLAP margin: own scene text minus the best other
    # audio minimal pairs (aorgen.plan.minimal_pairs): the row's condition and the row it pairs with
    pair_condition: Literal["own_scene", "no_scene", "other_scene", "harmful_scene"] | None = None
    pair_of: str | None = None

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler):
        """The cue, scene-check and pair fields are left out while unset, so the spec JSON of a row
        that uses none of them (and with it the row's reuse and byte-identical re-render) is
        unchanged by them."""
        data = handler(self)
        for name, unset in (("cues", ()), ("scene_attempt", 0), ("scene_margin", None), ("pair_condition", None),
                            ("pair_of", None)):
            if name in data and (data[name] == unset or (unset == () and not data[name])):
                del data[name]
        return data

    @property
    def config(self) -> str:
        """The dataset config (folder under data/) the row belongs to."""
        return "minimal_pairs" if self.pair_condition else self.label

    @property
    def sources(self) -> list[SourceRef]:
        background = [self.background.source] if self.background is not None else []
        return [*background, *(e.source for e in self.events)]
