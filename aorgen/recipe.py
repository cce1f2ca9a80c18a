"""Recipes: what a benchmark build contains, validated into a typed model."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aorgen.resources import DEFAULT_RECIPE
from aorgen.voices import VoiceFilter
from aorgen.yamlio import load_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Range(_Strict):
    """A closed interval [low, high] values are drawn from uniformly."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        return self


class VoicesConfig(_Strict):
    select: list[VoiceFilter] = [VoiceFilter()]
    balance: list[Literal["gender", "accent", "engine"]] = ["gender", "accent"]
    rates: list[float] = Field([0.9, 1.0, 1.1], min_length=1)
    pitch: Range = Range(low=0.9, high=1.1)


class SceneConfig(_Strict):
    snr_bands_db: list[Range] = Field(
        # the bed stays audible under the speech: at most 15 dB below it (README "Scene levels")
        [Range(low=0, high=5), Range(low=5, high=10), Range(low=10, high=15)], min_length=1
    )
    lead_in_s: Range = Range(low=3.0, high=5.0)  # room for the scene before the speech
    tail_s: Range = Range(low=1.0, high=2.0)
    events: Range = Range(low=2, high=3)  # how many foreground events (the first two before the speech)
    event_to_bed_db: Range = Range(low=0, high=8)
    target_lufs: float = -23.0
    max_peak_dbfs: float = -1.0
    procedural_bed_probability: float = Field(0.0, ge=0, le=1)


class RoomConfig(_Strict):
    probability: float = Field(0.6, ge=0, le=1)
    pool_size: int = Field(24, ge=1)
    rt60_s: Range = Range(low=0.2, high=0.8)
    length_m: Range = Range(low=3, high=10)
    width_m: Range = Range(low=3, high=8)
    height_m: Range = Range(low=2.4, high=4)
    wet: Range = Range(low=0.6, high=1.0)
    apply_to_background: bool = False


class AugmentStep(_Strict):
    name: str
    probability: float = Field(1.0, ge=0, le=1)
    params: dict[str, Range | float | int | str | bool] = {}


class IntelligibilityConfig(_Strict):
    """Optional QC stage: Whisper transcribes each clip's dry speech; a word error rate above
    ``threshold`` fails the clip's QC (needs the eval extra; the model loads by Hub name or path)."""

    model: str = "openai/whisper-small.en"
    threshold: float = Field(0.3, ge=0)
    batch_size: int = Field(8, ge=1)


class SplitConfig(_Strict):
    test_fraction: float = Field(0.3, ge=0, le=1)


class Recipe(_Strict):
    name: str = Field("aor-bench", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str = "1.0.0"
    description: str = ""
    templates: list[str] = ["../templates"]
    sound_banks: list[str] = ["../sound_banks/builtin", "../sound_banks/procedural"]
    categories: list[str] = []  # empty: every category in the templates
    samples_per_category: dict[Literal["pseudo_harmful", "harmful_contrast", "benign_control"], int] = {
        "pseudo_harmful": 500, "harmful_contrast": 40, "benign_control": 40,
    }
    voices: VoicesConfig = VoicesConfig()
    scene: SceneConfig = SceneConfig()
    room: RoomConfig = RoomConfig()
    augment: list[AugmentStep] = []
    split: SplitConfig = SplitConfig()
    intelligibility: IntelligibilityConfig | None = None
    sample_rate: int = Field(16000, ge=8000, le=48000)
    audio_format: Literal["flac", "wav"] = "flac"
    stems: bool = True
    licenses: list[str] | None = None  # SPDX allow-list for bank recordings (aorgen.licenses)
    exclude_licenses: list[str] = []
    shard_size: int = Field(200, ge=1)
    seed: int = 0
    license: str = ""  # empty: derived from the sound banks used
    source: Path | None = Field(None, exclude=True)

    def resolve(self, entry: str) -> Path:
        """A path of the recipe, relative to the recipe file's folder."""
        path = Path(entry)
        if path.is_absolute() or self.source is None:
            return path
        return (self.source.parent / path).resolve()


def load_recipe(path: str | Path | None = None) -> Recipe:
    """The recipe at ``path``, or the built-in default (the v1 release recipe)."""
    path = Path(path) if path is not None else DEFAULT_RECIPE
    recipe = load_model(path, Recipe)
    recipe.source = path.resolve()
    return recipe
