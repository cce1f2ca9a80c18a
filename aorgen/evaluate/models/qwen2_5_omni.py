"""Qwen2.5-Omni, text out only: the *thinker*. From a full Omni checkpoint only the
thinker's weights are loaded; the speech talker is never built."""

from __future__ import annotations

from typing import Any

from aorgen.errors import AorgenError

from ._hf import TransformersAdapter


class Qwen25OmniAdapter(TransformersAdapter):
    name = "qwen2_5_omni"

    def load_model(self, kwargs: dict[str, Any]):
        import transformers
        from transformers import AutoConfig

        thinker_cls = getattr(transformers, "Qwen2_5OmniThinkerForConditionalGeneration", None)
        if thinker_cls is None:
            raise AorgenError(
                f"transformers {transformers.__version__} has no Qwen2.5-Omni; upgrade transformers",
                item=self.model_id,
                field="model",
            )
        config = AutoConfig.from_pretrained(self.model_id, **self._hub)
        if config.model_type not in ("qwen2_5_omni", "qwen2_5_omni_thinker"):
            raise AorgenError(
                f"not a Qwen2.5-Omni checkpoint (model type {config.model_type!r})",
                item=self.model_id,
                field="model",
            )
        if config.model_type == "qwen2_5_omni_thinker":
            return thinker_cls.from_pretrained(self.model_id, **kwargs)
        # a full Omni checkpoint: load only the thinker's weights (the talker's are skipped)
        return thinker_cls.from_pretrained(
            self.model_id, config=config.thinker_config, key_mapping={r"^thinker\.": ""}, **kwargs
        )
