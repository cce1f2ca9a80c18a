"""Recipes: what a benchmark build contains, validated into a typed model."""

from __future__ import annotations

from pathlib import Path
import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aorgen.common.taxonomy import Label
from aorgen.resources import DEFAULT_RECIPE
from aorgen.content.voices import VoiceFilter
from aorgen.common.yamlio import read_yaml, validation_error
from aorgen.errors import AorgenError


class _Strict(BaseModel):
    # every float of a recipe is finite: NaN and inf are refused at load
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Range(_Strict):
    """A closed interval [low, high] values are drawn from uniformly."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        return self


def _range(name: str, ge: float | None = None, le: float | None = None, gt: float | None = None,
           kind: type = float) -> type[Range]:
    """A Range whose ends lie within the given bounds (documented in the README recipe table)."""
    bound = Field(ge=ge, le=le, gt=gt)
    return type(name, (Range,), {"__annotations__": {"low": kind, "high": kind}, "low": bound, "high": bound})


DbRange = _range("DbRange", ge=-60, le=60)
SecondsRange = _range("SecondsRange", ge=0, le=30)
EventCountRange = _range("EventCountRange", ge=0, le=16, kind=int)
PitchRange = _range("PitchRange", ge=0.25, le=4)
RT60Range = _range("RT60Range", gt=0, le=3)
RoomSideRange = _range("RoomSideRange", ge=1.5, le=50)
UnitRange = _range("UnitRange", ge=0, le=1)


class VoicesConfig(_Strict):
    select: list[VoiceFilter] = Field([VoiceFilter()], min_length=1)
    balance: list[Literal["gender", "accent", "engine"]] = ["gender", "accent"]
    rates: list[Annotated[float, Field(ge=0.25, le=4)]] = Field([0.9, 1.0, 1.1], min_length=1)
    pitch: PitchRange = PitchRange(low=0.9, high=1.1)
    # the speaker's energy share above 1 kHz is lifted to at least this (aorgen.render.presence);
    # None: voices as synthesised
    presence: float | None = Field(None, gt=0, lt=1)


class SceneConfig(_Strict):
    snr_bands_db: list[DbRange] = Field(
        # the bed stays audible under the speech: at most 15 dB below it (README "Scene levels")
        [DbRange(low=0, high=5), DbRange(low=5, high=10), DbRange(low=10, high=15)], min_length=1
    )
    lead_in_s: SecondsRange = SecondsRange(low=3.0, high=5.0)  # room for the scene before the speech
    tail_s: SecondsRange = SecondsRange(low=1.0, high=2.0)
    events: EventCountRange = EventCountRange(low=2, high=3)  # foreground events (the first two before the speech)
    event_to_bed_db: DbRange = DbRange(low=0, high=8)
    target_lufs: float = Field(-23.0, ge=-70, le=0)
    max_peak_dbfs: float = Field(-1.0, ge=-60, le=0)
    procedural_bed_probability: float = Field(0.0, ge=0, le=1)


_SPEED_OF_SOUND = 343.0


class RoomConfig(_Strict):
    probability: float = Field(0.6, ge=0, le=1)
    pool_size: int = Field(24, ge=1, le=1000)
    rt60_s: RT60Range = RT60Range(low=0.2, high=0.8)
    length_m: RoomSideRange = RoomSideRange(low=3, high=10)
    width_m: RoomSideRange = RoomSideRange(low=3, high=8)
    height_m: RoomSideRange = RoomSideRange(low=2.4, high=4)
    wet: UnitRange = UnitRange(low=0.6, high=1.0)
    apply_to_background: bool = False

    @model_validator(mode="after")
    def _reachable_rt60(self) -> RoomConfig:
        """Sabine: a room this large cannot decay faster than its fully absorbing walls allow."""
        length, width, height = self.length_m.high, self.width_m.high, self.height_m.high
        volume, surface = length * width * height, 2 * (length * width + length * height + width * height)
        shortest = 24 * math.log(10) * volume / (_SPEED_OF_SOUND * surface)
        if self.rt60_s.low < shortest:
            raise ValueError(f"rt60_s.low {self.rt60_s.low} s is shorter than a {length}x{width}x{height} m "
                             f"room can reach (at least {shortest:.3f} s)")
        return self


class AugmentStep(_Strict):
    name: str
    probability: float = Field(1.0, ge=0, le=1)
    params: dict[str, Range | float | int | str | bool] = {}


class IntelligibilityConfig(_Strict):
    """The intelligibility gate (``aorgen.plan.gate``): Whisper transcribes each clip's dry speech
    (and its mixture where ``snr_db`` is below ``mixture_below_snr_db``); a clip whose speech
    word error rate is above ``threshold`` is re-drawn with the next attempt's seed, and
    dropped after ``attempts`` tries; a mixture above ``mixture_threshold`` fails the row's QC. ``model`` empty: the
    backend's default (faster-whisper: the bundled offline Whisper tiny.en)."""

    backend: Literal["faster-whisper", "transformers"] = "faster-whisper"
    model: str = ""
    threshold: float = Field(0.3, ge=0)
    mixture_threshold: float | None = Field(None, ge=0)  # None: mixtures are not heard
    mixture_below_snr_db: float = 100.0
    attempts: int = Field(3, ge=1)
    batch_size: int = Field(8, ge=1, le=4096)
    cpu_threads: int = Field(0, ge=0)  # 0: the backend's default
    redraw_on_mixture: bool = False  # a mixture over mixture_threshold is re-drawn too (not only QC-failed)
    scoring: Literal["whisper", "strict"] = "whisper"  # strict: also WER on plain words (intelligibility.SCORERS)
    full_window: bool = True  # faster-whisper: Whisper's 30 s window; false: the clip's length (faster, riskier)
    # "when needed": the stem is not heard where the mixture already fails and is re-drawn
    # (aorgen.plan.gate.hear); "always": every stem
    hear_stem: Literal["when needed", "always"] = "when needed"
    # faster-whisper: "listener" hears as faster-whisper's own transcribe does (timestamps, 30 s
    # window) and fails a transcript it would have re-decoded by sampling (Whisper unsure);
    # "greedy": the batched greedy decoding (``full_window`` applies)
    decoding: Literal["listener", "greedy"] = "listener"


class MinimalPairsConfig(_Strict):
    """Audio minimal pairs (aorgen.plan.minimal_pairs): each test-split pseudo-harmful script again
    with no background, in a neutral scene of another category (one of ``neutral_scene_tags``)
    and, where the script names one, in a scene that supports its harmful reading."""

    neutral_scene_tags: list[str] = Field(["garden", "house_cleaning", "orchestra_rehearsal", "server_room",
                                           "home_cooking", "farm"], min_length=1)


class SceneQCConfig(_Strict):
    """The scene-match check (``aorgen.plan.sceneqc``): a CLAP model scores each clip's background
    stem against its scene's text and every other scene's text; a clip whose margin (own
    similarity minus the best other) is below ``margin`` gets its scene re-drawn, up to
    ``attempts`` draws (the best one is kept). ``model``: a Hugging Face id or a local folder."""

    model: str = "laion/clap-htsat-unfused"
    prompt: str = Field("the sound of a {scene}", pattern=r"\{scene\}")
    texts: dict[str, str] = {}  # scene tag -> its text, instead of the prompt
    margin: float = Field(0.0, ge=-2, le=2)
    attempts: int = Field(3, ge=1, le=20)
    batch_size: int = Field(8, ge=1, le=1024)


class CueConfig(_Strict):
    """Scene speech cues (``aorgen.content.cues``): a background voice naming the situation, in the
    lead-in of a share ``probability`` of the clips (every label alike), under the speech in a
    share ``during_probability`` and, quieter, after the speech in a share ``after_probability``;
    levels relative to the foreground speech. Whether a clip has each cue is drawn once per
    clip: a clip the intelligibility gate draws again keeps its cues (new line, voice, level)."""

    file: str = ""  # empty: the built-in templates/cues/cues.yaml
    probability: float = Field(0.0, ge=0, le=1)
    after_probability: float = Field(0.0, ge=0, le=1)
    cue_to_speech_db: DbRange = DbRange(low=-14, high=-8)
    after_extra_db: float = Field(-6.0, ge=-40, le=0)  # the after-speech cue is this much quieter
    during_probability: float = Field(0.0, ge=0, le=1)
    # a cue under the speech sits this far under the whole background there (whose level the
    # SNR sets): at 3 dB the cue and the bed under it are about equally loud
    during_below_background_db: DbRange = DbRange(low=2, high=4)


class SplitConfig(_Strict):
    test_fraction: float = Field(0.3, ge=0, le=1)


class Recipe(_Strict):
    name: str = Field("aor-bench", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    version: str = "1.0.0"
    description: str = ""
    templates: list[str] = Field(["../templates"], min_length=1)
    sound_banks: list[str] = Field(["../sound_banks/builtin", "../sound_banks/procedural"], min_length=1)
    categories: list[str] = []  # empty: every category in the templates
    samples_per_category: dict[Label,
                               Annotated[int, Field(ge=0, le=1_000_000)]] = {
        "pseudo_harmful": 500, "harmful_contrast": 40, "benign_control": 40,
    }
    voices: VoicesConfig = VoicesConfig()
    scene: SceneConfig = SceneConfig()
    room: RoomConfig = RoomConfig()
    augment: list[AugmentStep] = []
    split: SplitConfig = SplitConfig()
    cues: CueConfig = CueConfig()
    intelligibility: IntelligibilityConfig | None = None
    minimal_pairs: MinimalPairsConfig | None = None  # {} turns them on (the config `minimal_pairs`)
    scene_qc: SceneQCConfig | None = None  # None: no scene-match check (the offline default)
    sample_rate: int = Field(16000, ge=8000, le=48000)
    audio_format: Literal["flac", "wav"] = "flac"
    stems: bool = True
    licenses: list[str] | None = None  # SPDX allow-list for bank recordings (aorgen.content.licenses)
    exclude_licenses: list[str] = []
    shard_size: int = Field(200, ge=1, le=100_000)
    seed: int = Field(0, ge=0, lt=2**63)
    license: str = ""  # empty: derived from the sound banks used
    source: Path | None = Field(None, exclude=True)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        from aorgen.content.templates import CATEGORIES

        for category in value:
            if category not in CATEGORIES:
                raise ValueError(f"unknown category '{category}' (known: {', '.join(CATEGORIES)})")
        if len(set(value)) != len(value):
            raise ValueError("lists a category twice")
        return value

    @field_validator("samples_per_category")
    @classmethod
    def _some_samples(cls, value: dict[str, int]) -> dict[str, int]:
        if not any(value.values()):
            raise ValueError("asks for no samples at all (give at least one count >= 1)")
        return value

    def resolve(self, entry: str) -> Path:
        """A path of the recipe, relative to the recipe file's folder."""
        path = Path(entry)
        if path.is_absolute() or self.source is None:
            return path
        return (self.source.parent / path).resolve()


def load_recipe(path: str | Path | None = None) -> Recipe:
    """The recipe at ``path``, or the built-in default (the v1 release recipe)."""
    path = Path(path) if path is not None else DEFAULT_RECIPE
    data = recipe_data(path)
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, path, data) from None
    recipe.source = path.resolve()
    return recipe


def recipe_data(path: Path, extending: tuple[Path, ...] = ()) -> dict:
    """A recipe file's mapping; with ``extends: OTHER.yaml`` (relative to the file), the other
    recipe's mapping with this one's keys over it: mappings merge key by key, anything else
    (lists included) is replaced. Relative paths in either resolve against the file loaded."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise AorgenError("expected a mapping at the top level", file=path)
    if "extends" not in data:
        return data
    base = data.pop("extends")
    if not isinstance(base, str) or not base.strip():
        raise AorgenError("expected the path of the recipe this one extends", file=path, field="extends")
    base_path = (path.parent / base).resolve()
    if base_path in extending or base_path == path.resolve():
        raise AorgenError(f"recipes extend each other in a cycle ({base})", file=path, field="extends")
    if not base_path.is_file():
        raise AorgenError(f"no recipe at {base}", file=path, field="extends")
    return _merged(recipe_data(base_path, (*extending, path.resolve())), data)


def _merged(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
