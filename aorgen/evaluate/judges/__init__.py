"""Refusal judges, registered by name: ``rules``, ``llm``, ``wildguard``, ``ensemble``."""

from __future__ import annotations

from typing import Any

from aorgen.common.registry import Registry

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
JUDGES = Registry("judge", {
    "rules": "aorgen.evaluate.judges.rules:RulesJudge",
    "llm": "aorgen.evaluate.judges.llm:LLMJudge",
    "wildguard": "aorgen.evaluate.judges.wildguard:WildGuardJudge",
    "ensemble": "aorgen.evaluate.judges.ensemble:EnsembleJudge",
}, field="judge")


def get_judge(name: str, **options: Any) -> Judge:
    """Instantiate a registered judge by name with its options."""
    return JUDGES.load(name)(**options)


__all__ = [
    "EMPTY", "ERROR", "FULL_COMPLIANCE", "FULL_REFUSAL", "JUDGED_LABELS", "JUDGES", "LABELS",
    "PARTIAL_REFUSAL", "REFUSAL_LABELS", "Judge", "JudgeRequest", "Verdict", "get_judge",
]
