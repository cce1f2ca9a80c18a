"""Text-in, text-out backends for model judges: an OpenAI-compatible endpoint or a local
transformers causal LM (greedy, batched with left padding)."""

from __future__ import annotations

from typing import Any

from aorgen.errors import AorgenError, require

from .base import ERROR, Judge, JudgeRequest, Verdict


class TextGenerator:
    """``backend="openai"``: ``model`` is served at ``base_url`` (or the environment's, see
    :func:`aorgen.evaluate.models.openai_compat.endpoint_client`); ``chat`` picks the chat
    endpoint over the raw completions one. ``backend="transformers"``: ``model`` is a local
    folder or Hub id loaded with ``AutoModelForCausalLM``; ``chat`` wraps the prompt in the
    tokenizer's chat template."""

    def __init__(
        self,
        model: str,
        *,
        backend: str = "openai",
        chat: bool = True,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        max_new_tokens: int = 32,
        batch_size: int = 8,
        revision: str | None = None,
        dtype: str = "auto",
        trust_remote_code: bool = False,
        timeout: float = 120.0,
    ) -> None:
        if backend not in ("openai", "transformers"):
            raise AorgenError("backend must be 'openai' or 'transformers'", item=backend, field="backend")
        self.model_id, self.backend, self.chat = str(model), backend, chat
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size
        if backend == "openai":
            from aorgen.evaluate.models.openai_compat import endpoint_client

            self.client = endpoint_client(base_url, api_key_env, timeout, max_retries=3)
            return
        require("torch", extra="eval")
        transformers = require("transformers", extra="eval")
        from aorgen.evaluate.models.dtype import torch_dtype

        hub: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.model_id, **hub)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = transformers.AutoModelForCausalLM.from_pretrained(
            self.model_id, dtype=torch_dtype(dtype), **hub
        ).eval()
        import torch

        self.model.to("cuda" if torch.cuda.is_available() else "cpu")

    def generate(self, prompts: list[str]) -> list[str | Exception]:
        """One completion per prompt; an endpoint failure comes back as the exception."""
        if self.backend == "openai":
            return [self._remote(p) for p in prompts]
        out: list[str | Exception] = []
        for start in range(0, len(prompts), self.batch_size):
            out.extend(self._local(prompts[start : start + self.batch_size]))
        return out

    def _remote(self, prompt: str) -> str | Exception:
        import openai

        try:
            if self.chat:
                reply = self.client.chat.completions.create(
                    model=self.model_id, messages=[{"role": "user", "content": prompt}],
                    max_tokens=self.max_new_tokens, temperature=0.0,
                )
                return reply.choices[0].message.content or ""
            reply = self.client.completions.create(
                model=self.model_id, prompt=prompt, max_tokens=self.max_new_tokens, temperature=0.0
            )
            return reply.choices[0].text or ""
        except openai.APIError as exc:
            return exc

    def _local(self, prompts: list[str]) -> list[str]:
        import torch

        if self.chat and self.tokenizer.chat_template:
            prompts = [
                self.tokenizer.apply_chat_template(
                    [{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False
                )
                for p in prompts
            ]
        # prompts carry their own special tokens (chat template, WildGuard's "<s>")
        inputs = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        inputs = inputs.to(self.model.device)
        with torch.inference_mode():
            out = self.model.generate(
                **inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                temperature=None, top_p=None, top_k=None, pad_token_id=self.tokenizer.pad_token_id,
            )
        return self.tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)


class GeneratingJudge(Judge):
    """A judge that fills ``template`` with (query, response), has a :class:`TextGenerator`
    complete it and parses the completion. Stores the prompt and the raw answer; a failed
    request is an ``error`` verdict."""

    template: str
    chat: bool = True

    def __init__(self, model: str, *, backend: str, **options: Any) -> None:
        self.generator = TextGenerator(model, backend=backend, chat=self.chat, **options)

    @property
    def id(self) -> str:
        return f"{self.name}:{self.generator.backend}:{self.generator.model_id}"

    def parse(self, raw: str, prompt: str) -> Verdict:
        raise NotImplementedError

    def _judge(self, requests: list[JudgeRequest]) -> list[Verdict]:
        texts = [self.template.format(query=r.query, response=r.response) for r in requests]
        verdicts = []
        for text, raw in zip(texts, self.generator.generate(texts), strict=True):
            if isinstance(raw, Exception):
                verdicts.append(Verdict(ERROR, prompt=text, detail={"error": f"{type(raw).__name__}: {raw}"}))
            else:
                verdicts.append(self.parse(raw, text))
        return verdicts
