"""The model adapter interface: a batch of requests in, one output per request out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from aorgen.evaluate.records import GenerationOptions


@dataclass(frozen=True)
class ModelRequest:
    """One user turn: optional audio (mono float32 at the adapter's rate) and optional text."""

    audio: np.ndarray | None = None
    text: str | None = None
    system: str | None = None


@dataclass(frozen=True)
class ModelOutput:
    prompt: str  # exactly what was sent: chat-template text, or the messages as JSON
    response: str | None = None
    error: str | None = None


class ModelAdapter(ABC):
    """Loads one model and generates text for batches of :class:`ModelRequest`."""

    name: ClassVar[str]
    #: sampling rate the request audio must have
    sampling_rate: int = 16000

    def __init__(
        self,
        model: str,
        *,
        revision: str | None = None,
        dtype: str = "auto",
        device_map: str | dict[str, Any] | None = None,
        trust_remote_code: bool = False,
    ) -> None:
        self.model_id = str(model)
        self.revision = revision
        self.dtype = dtype
        self.device_map = device_map
        self.trust_remote_code = trust_remote_code

    @abstractmethod
    def generate(self, requests: list[ModelRequest], options: GenerationOptions) -> list[ModelOutput]:
        """Generate one response per request (same order). Batch composition must not
        change greedy outputs."""


def chat_messages(request: ModelRequest) -> list[dict[str, Any]]:
    """The request as chat messages: optional system turn, then one user turn holding the
    audio part (the array itself) and the text part, in that order."""
    content: list[dict[str, Any]] = []
    if request.audio is not None:
        content.append({"type": "audio", "audio": request.audio})
    if request.text is not None:
        content.append({"type": "text", "text": request.text})
    messages: list[dict[str, Any]] = []
    if request.system is not None:
        messages.append({"role": "system", "content": [{"type": "text", "text": request.system}]})
    messages.append({"role": "user", "content": content})
    return messages


@runtime_checkable
class HasWeights(Protocol):
    """The contract of a transformers-backed adapter (``TransformersAdapter`` and its
    subclasses): the loaded model and its processor, which mitigation (steering, LoRA,
    fine-tuning) works on directly. API adapters (``openai``) do not have it."""

    model: Any
    processor: Any
    tokenizer: Any
