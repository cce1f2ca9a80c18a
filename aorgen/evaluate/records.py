"""Records that cross module boundaries in the evaluation stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class GenerationOptions(BaseModel):
    """Decoding options. Greedy by default; part of every cache key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_tokens: int = Field(256, ge=1)
    do_sample: bool = False
    temperature: float | None = None
    top_p: float | None = None
    seed: int = 0


class SampleMeta(BaseModel):
    """A dataset row's fields that metrics and judges need (no audio)."""

    id: str
    label: str
    category: str
    transcript: str
    context: str = ""
    script_id: str = ""
    voice_gender: str = ""
    voice_accent: str = ""
    snr_db: float | None = None
    rt60_s: float | None = None
    pair_condition: str | None = None  # audio minimal pairs: own_scene, no_scene, other_scene, harmful_scene
    pair_of: str | None = None  # the pseudo_harmful row a minimal-pair row is made from


class Generation(SampleMeta):
    """One model response, as stored (one JSON line) in a run's generation cache.

    ``id`` and the other :class:`SampleMeta` fields describe the sample; ``key`` identifies
    the generation (model, revision, condition, prompt, sample, options).
    """

    key: str
    model: str
    revision: str | None = None
    adapter: str
    condition: str
    system: str | None = None
    prompt: str | None = None  # the text part of the user turn (None: audio only)
    rendered_prompt: str = ""  # exactly what was sent (chat template text or messages JSON)
    options: GenerationOptions
    response: str | None = None
    error: str | None = None
    timing_s: float = 0.0  # wall time of the batch this generation was part of
    batch_size: int = 1
    created: str = ""
    config_hash: str = ""  # the run configuration (run.json) this generation came from
    audio_hash: str | None = None  # sha256 of the audio bytes the model received


class Judgement(BaseModel):
    """One judge verdict on one generation (keyed by the generation's key)."""

    key: str
    judge: str
    verdict: str
    judge_prompt: str | None = None
    raw: str | None = None
    detail: dict = Field(default_factory=dict)
