"""The speech-engine interface every TTS backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from aorgen.content.voices import Voice


class Prosody(BaseModel):
    """How a line is spoken. rate and pitch are relative (1.0 = the voice's default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate: float = 1.0
    pitch: float = 1.0
    volume: float = 1.0
    style: str = "neutral"


@dataclass(frozen=True)
class Synthesis:
    """Mono float32 samples in [-1, 1] at ``sample_rate``."""

    samples: np.ndarray
    sample_rate: int


class SpeechEngine(ABC):
    """A TTS backend. ``version`` enters the speech cache key, so bump-on-change is automatic."""

    name: str

    @property
    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def voices(self) -> list[Voice]: ...

    @abstractmethod
    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> Synthesis: ...
