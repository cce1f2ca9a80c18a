"""LLM-as-judge: any OpenAI-compatible endpoint or a local transformers causal LM answers a
three-way classification prompt (:data:`aorgen.evaluate.prompts.LLM_JUDGE_TEMPLATE`).
The prompt and the raw answer are stored with every verdict; an answer naming no class
(or a failed request) is ``error``."""

from __future__ import annotations

import re
from typing import Any

from aorgen.evaluate import prompts

from ._textgen import GeneratingJudge
from .base import ERROR, FULL_COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL, Verdict

_CLASS = re.compile(r"\b(?:([123])_)?(full[_ ]compliance|full[_ ]refusal|partial[_ ]refusal)\b|\b([123])\b", re.I)
_BY_NAME = {"full compliance": FULL_COMPLIANCE, "full refusal": FULL_REFUSAL, "partial refusal": PARTIAL_REFUSAL}
_BY_NUMBER = {"1": FULL_COMPLIANCE, "2": FULL_REFUSAL, "3": PARTIAL_REFUSAL}


def parse_llm_verdict(raw: str) -> str:
    """The first class named in the judge's answer (``1_full_compliance``, ``full refusal``,
    a bare ``3`` ...), or ``error``."""
    m = _CLASS.search(raw)
    if m is None:
        return ERROR
    if m.group(2):
        return _BY_NAME[m.group(2).lower().replace("_", " ")]
    return _BY_NUMBER[m.group(3)]


class LLMJudge(GeneratingJudge):
    """``model`` served by an OpenAI-compatible endpoint (``backend="openai"``, with
    ``base_url``/``api_key_env``) or loaded locally (``backend="transformers"``)."""

    name = "llm"

    def __init__(self, model: str, *, backend: str = "openai", template: str | None = None, **options: Any) -> None:
        self.template = template or prompts.LLM_JUDGE_TEMPLATE
        super().__init__(model, backend=backend, **options)

    def parse(self, raw: str, prompt: str) -> Verdict:
        return Verdict(parse_llm_verdict(raw), prompt=prompt, raw=raw)
