"""Model adapters, registered by name. A new model family is one file plus one entry here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aorgen.common.registry import Registry
from aorgen.errors import AorgenError

from .base import HasWeights, ModelAdapter, ModelOutput, ModelRequest

#: adapter name -> "module:Class" (imported on demand: torch loads only when needed)
ADAPTERS = Registry("adapter", {
    "qwen2_audio": "aorgen.evaluate.models.qwen2_audio:Qwen2AudioAdapter",
    "qwen2_5_omni": "aorgen.evaluate.models.qwen2_5_omni:Qwen25OmniAdapter",
    "hf": "aorgen.evaluate.models.hf:HFAudioTextAdapter",
    "openai": "aorgen.evaluate.models.openai_compat:OpenAIChatAdapter",
}, field="adapter")

_BY_MODEL_TYPE = {
    "qwen2_audio": "qwen2_audio",
    "qwen2_5_omni": "qwen2_5_omni",
    "qwen2_5_omni_thinker": "qwen2_5_omni",
}


def resolve_adapter(model: str, adapter: str | None = None, *, revision: str | None = None) -> str:
    """The adapter name for ``model``: ``adapter`` if given, else from the checkpoint's
    ``config.json`` model type (Qwen2-Audio, Qwen2.5-Omni, or the generic ``hf``)."""
    if adapter is not None:
        return ADAPTERS.check(adapter)
    config_file = Path(model) / "config.json"
    try:
        if not config_file.is_file():
            from huggingface_hub import hf_hub_download

            config_file = Path(hf_hub_download(model, "config.json", revision=revision))
        model_type = json.loads(config_file.read_text()).get("model_type", "")
    except Exception as exc:  # no network, no such repo, not a transformers checkpoint
        raise AorgenError(
            f"cannot read the model's config.json ({type(exc).__name__}); pass --adapter "
            f"({', '.join(ADAPTERS)})",
            item=model,
            field="model",
        ) from exc
    return _BY_MODEL_TYPE.get(model_type, "hf")


def get_adapter(name: str | None, model: str, **options: Any) -> ModelAdapter:
    """Instantiate (and so load) the adapter ``name`` for ``model`` (``None``: resolved
    from the checkpoint, see :func:`resolve_adapter`). Transformers adapters expose
    ``.model`` and ``.processor``."""
    return ADAPTERS.load(resolve_adapter(model, name))(model, **options)


__all__ = ["ADAPTERS", "HasWeights", "ModelAdapter", "ModelOutput", "ModelRequest", "get_adapter", "resolve_adapter"]
