"""Shared machinery of the transformers adapters: loading, chat template, batched greedy
generation with left padding."""

from __future__ import annotations

from typing import Any

from aorgen.errors import AorgenError, require
from aorgen.evaluate.records import GenerationOptions

from .base import ModelAdapter, ModelOutput, ModelRequest, chat_messages
from .dtype import torch_dtype  # noqa: F401  (also imported from here)



class TransformersAdapter(ModelAdapter):
    """An audio-text-to-text model driven through its processor's chat template.

    Subclasses say how to load the model (:meth:`load_model`); everything else is shared.
    Implements :class:`~aorgen.evaluate.models.base.HasWeights` (what mitigation needs).
    """

    model: Any  # the loaded transformers model (eval mode)
    processor: Any  # its processor (chat template, feature extractor)
    tokenizer: Any  # the processor's tokenizer (left padding)

    def __init__(self, model: str, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        require("torch", extra="eval")
        transformers = require("transformers", extra="eval")
        self._hub = {"revision": self.revision, "trust_remote_code": self.trust_remote_code}
        try:
            self.processor = transformers.AutoProcessor.from_pretrained(self.model_id, **self._hub)
        except (OSError, ValueError) as exc:
            raise AorgenError(f"cannot load the processor: {exc}", item=self.model_id, field="model") from exc
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        extractor = getattr(self.processor, "feature_extractor", None)
        self.sampling_rate = int(getattr(extractor, "sampling_rate", 16000))
        load = {"dtype": torch_dtype(self.dtype), **self._hub}
        if self.device_map is not None:
            load["device_map"] = self.device_map
        self.model = self.load_model(load).eval()
        if self.device_map is None:
            import torch

            self.model.to("cuda" if torch.cuda.is_available() else "cpu")

    def load_model(self, kwargs: dict[str, Any]):
        raise NotImplementedError

    def render(self, request: ModelRequest) -> str:
        return self.processor.apply_chat_template(
            chat_messages(request), add_generation_prompt=True, tokenize=False
        )

    def generate(self, requests: list[ModelRequest], options: GenerationOptions) -> list[ModelOutput]:
        import torch

        conversations = [chat_messages(r) for r in requests]
        prompts = [self.render(r) for r in requests]
        inputs = self.processor.apply_chat_template(
            conversations,
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            processor_kwargs={"sampling_rate": self.sampling_rate, "padding": True, "return_tensors": "pt"},
        ).to(self.model.device)
        for name, value in inputs.items():
            if torch.is_floating_point(value):
                inputs[name] = value.to(self.model.dtype)
        gen: dict[str, Any] = {
            "max_new_tokens": options.max_new_tokens,
            "do_sample": options.do_sample,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if options.do_sample:
            torch.manual_seed(options.seed)
            gen.update({k: v for k, v in (("temperature", options.temperature), ("top_p", options.top_p)) if v is not None})
        else:  # silence "generation flags are not valid" warnings from sampling defaults
            gen.update(temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **gen)
        new_tokens = out[:, inputs["input_ids"].shape[1]:]
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [ModelOutput(prompt=p, response=t.strip()) for p, t in zip(prompts, texts, strict=True)]
