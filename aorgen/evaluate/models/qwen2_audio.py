"""Qwen2-Audio-Instruct (``Qwen2AudioForConditionalGeneration`` + ``AutoProcessor``)."""

from __future__ import annotations

from typing import Any

from ._hf import TransformersAdapter


class Qwen2AudioAdapter(TransformersAdapter):
    name = "qwen2_audio"

    def load_model(self, kwargs: dict[str, Any]):
        from transformers import Qwen2AudioForConditionalGeneration

        return Qwen2AudioForConditionalGeneration.from_pretrained(self.model_id, **kwargs)
