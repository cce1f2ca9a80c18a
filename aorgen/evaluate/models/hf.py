"""Any transformers audio-text-to-text model with a chat-template processor.

The model class comes from ``AutoModelForMultimodalLM`` (transformers 5: Voxtral,
Granite Speech, Phi-4-multimodal, Gemma 3n, Qwen2-Audio, ...), falling back to
``AutoModelForImageTextToText`` and ``AutoModelForCausalLM``.
"""

from __future__ import annotations

from typing import Any

from aorgen.errors import AorgenError

from ._hf import TransformersAdapter

_AUTO_CLASSES = ("AutoModelForMultimodalLM", "AutoModelForImageTextToText", "AutoModelForCausalLM")


class HFAudioTextAdapter(TransformersAdapter):
    name = "hf"

    def load_model(self, kwargs: dict[str, Any]):
        import transformers

        errors = []
        for cls_name in _AUTO_CLASSES:
            auto = getattr(transformers, cls_name, None)
            if auto is None:
                continue
            try:
                return auto.from_pretrained(self.model_id, **kwargs)
            except ValueError as exc:  # "Unrecognized configuration class ..."
                errors.append(f"{cls_name}: {exc}")
        raise AorgenError(
            "no transformers auto class can load this model for generation ("
            + "; ".join(e.splitlines()[0] for e in errors) + ")",
            item=self.model_id,
            field="model",
        )
