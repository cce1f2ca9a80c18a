"""Any OpenAI-compatible chat endpoint: vLLM-served models and hosted audio APIs.

Audio is sent as an ``input_audio`` content part holding a base64 WAV. The endpoint comes
from ``base_url`` or the ``AORGEN_OPENAI_BASE_URL`` / ``OPENAI_BASE_URL`` environment
variables, the key from the variable named by ``api_key_env`` (default ``OPENAI_API_KEY``;
a local server without a key gets ``EMPTY``). A request that fails after the client's
retries becomes an output with ``error`` set (judged ``error``, never a refusal).
"""

from __future__ import annotations

import base64
import io
import json
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aorgen.errors import require
from aorgen.evaluate.records import GenerationOptions

from .base import ModelAdapter, ModelOutput, ModelRequest, chat_messages


def wav_base64(audio, sampling_rate: int) -> str:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, audio, sampling_rate, format="WAV", subtype="PCM_16")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def endpoint_client(base_url: str | None, api_key_env: str, timeout: float, max_retries: int):
    """An ``openai.OpenAI`` client for ``base_url`` (or the environment's)."""
    openai = require("openai", extra="eval")
    base_url = base_url or os.environ.get("AORGEN_OPENAI_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
    api_key = os.environ.get(api_key_env) or ("EMPTY" if base_url else None)
    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries)


class OpenAIChatAdapter(ModelAdapter):
    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 8,
        timeout: float = 120.0,
        max_retries: int = 3,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)
        self.client = endpoint_client(base_url, api_key_env, timeout, max_retries)
        self.concurrency = concurrency

    def messages(self, request: ModelRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(messages to send, the same with audio replaced by a short description)."""
        sent, shown = [], []
        for message in chat_messages(request):
            parts, shown_parts = [], []
            for part in message["content"]:
                if part["type"] == "audio":
                    data = wav_base64(part["audio"], self.sampling_rate)
                    parts.append({"type": "input_audio", "input_audio": {"data": data, "format": "wav"}})
                    desc = f"<{len(part['audio'])} samples at {self.sampling_rate} Hz>"
                    shown_parts.append({"type": "input_audio", "input_audio": {"data": desc, "format": "wav"}})
                else:
                    parts.append(part)
                    shown_parts.append(part)
            if message["role"] == "system":  # plain string: the widest-supported form
                parts = shown_parts = parts[0]["text"]
            sent.append({"role": message["role"], "content": parts})
            shown.append({"role": message["role"], "content": shown_parts})
        return sent, shown

    def _one(self, request: ModelRequest, options: GenerationOptions) -> ModelOutput:
        import openai

        sent, shown = self.messages(request)
        prompt = json.dumps(shown, ensure_ascii=False)
        kwargs: dict[str, Any] = {"max_tokens": options.max_new_tokens, "seed": options.seed}
        if options.do_sample:
            kwargs.update({k: v for k, v in (("temperature", options.temperature), ("top_p", options.top_p)) if v is not None})
        else:
            kwargs["temperature"] = 0.0
        try:
            reply = self.client.chat.completions.create(model=self.model_id, messages=sent, **kwargs)
        except openai.APIError as exc:
            return ModelOutput(prompt=prompt, error=f"{type(exc).__name__}: {exc}")
        return ModelOutput(prompt=prompt, response=(reply.choices[0].message.content or "").strip())

    def generate(self, requests: list[ModelRequest], options: GenerationOptions) -> list[ModelOutput]:
        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(requests)))) as pool:
            return list(pool.map(lambda r: self._one(r, options), requests))
