"""Refusal judges, registered by name: ``rules``, ``llm``, ``wildguard``, ``ensemble``."""

from __future__ import annotations

import importlib
from typing import Any

from .base import (
    EMPTY,
    ERROR,
    FULL_COMPLIANCE,
    FULL_REFUSAL,
    JUDGED_LABELS,
    LABELS,
    PARTIAL_REFUSAL,
    REFUSAL_LABELS,
    Judge,
    JudgeRequest,
    Verdict,
)

#: judge name -> "module:Class" (imported on demand so heavy deps load only when used)
JUDGES: dict[str, str] = {
    "rules": "aorgen.evaluate.judges.rules:RulesJudge",
    "llm": "aorgen.evaluate.judges.llm:LLMJudge",
    "wildguard": "aorgen.evaluate.judges.wildguard:WildGuardJudge",
    "ensemble": "aorgen.evaluate.judges.ensemble:EnsembleJudge",
}


def get_judge(name: str, **options: Any) -> Judge:
    """Instantiate a registered judge by name with its options."""
    from aorgen.errors import AorgenError

    if name not in JUDGES:
        raise AorgenError(f"unknown judge (choose from {', '.join(sorted(JUDGES))})", item=name, field="judge")
    module, cls = JUDGES[name].split(":")
    return getattr(importlib.import_module(module), cls)(**options)


__all__ = [
    "EMPTY", "ERROR", "FULL_COMPLIANCE", "FULL_REFUSAL", "JUDGED_LABELS", "JUDGES", "LABELS",
    "PARTIAL_REFUSAL", "REFUSAL_LABELS", "Judge", "JudgeRequest", "Verdict", "get_judge",
]
