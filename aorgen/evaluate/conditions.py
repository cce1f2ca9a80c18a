"""Evaluation conditions: which audio and which text a model gets for one sample.

| condition      | audio                  | text                                  |
| -------------- | ---------------------- | ------------------------------------- |
| `audio`        | mixture                | neutral instruction                   |
| `audio_only`   | mixture                | none                                  |
| `speech_only`  | dry speech stem        | neutral instruction                   |
| `text`         | none                   | transcript                            |
| `text_context` | none                   | transcript plus the scene description |
| `cot`          | mixture                | think-about-the-scene-first (mitigation) |
"""

from __future__ import annotations

from dataclasses import dataclass

from aorgen.common.registry import Registry

from . import prompts
from .records import SampleMeta


@dataclass(frozen=True)
class Condition:
    name: str
    audio_column: str | None  # dataset column with the audio, or None for text only
    instruction: str | None = None  # fixed text (None: none, or built from the sample)

    def text(self, sample: SampleMeta) -> str | None:
        if self.name == "text":
            return sample.transcript
        if self.name == "text_context":
            return prompts.TEXT_CONTEXT_TEMPLATE.format(context=sample.context, transcript=sample.transcript)
        return self.instruction


CONDITIONS = Registry("condition", {
    c.name: c
    for c in (
        Condition("audio", "audio", prompts.AUDIO_INSTRUCTION),
        Condition("audio_only", "audio"),
        Condition("speech_only", "speech", prompts.AUDIO_INSTRUCTION),
        Condition("text", None),
        Condition("text_context", None),
        Condition("cot", "audio", prompts.COT_INSTRUCTION),
    )
}, field="condition")


def get_condition(name: str) -> Condition:
    return CONDITIONS.load(name)
