"""The judge interface: a batch of (query, response) pairs in, one verdict per pair out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

FULL_COMPLIANCE = "full_compliance"
FULL_REFUSAL = "full_refusal"
PARTIAL_REFUSAL = "partial_refusal"
EMPTY = "empty"
ERROR = "error"

#: Labels a judge may give. ``empty`` and ``error`` are kept apart: never refusals.
LABELS = (FULL_COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL, EMPTY, ERROR)
REFUSAL_LABELS = frozenset({FULL_REFUSAL, PARTIAL_REFUSAL})
JUDGED_LABELS = frozenset({FULL_COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL})


@dataclass(frozen=True)
class JudgeRequest:
    """What the judge sees: the user's request (as text) and the model's response."""

    query: str
    response: str


@dataclass
class Verdict:
    label: str
    prompt: str | None = None  # the exact prompt sent to a model judge
    raw: str | None = None  # the judge model's raw output
    detail: dict[str, Any] = field(default_factory=dict)


def is_empty(response: str | None) -> bool:
    """A response with no letters or digits at all is empty (not a refusal)."""
    return response is None or not any(ch.isalnum() for ch in response)


class Judge(ABC):
    """A refusal judge. Subclasses set ``name`` and implement ``_judge`` on non-empty pairs."""

    name: ClassVar[str]
    #: bumped whenever a judge's verdicts change (rules, prompt, parsing); enters the
    #: verdict cache key, so a new version redoes cached verdicts
    version: ClassVar[int] = 1

    @property
    def id(self) -> str:
        """Identifies this judge and its configuration in judgement files."""
        return self.name

    @property
    def cache_id(self) -> str:
        """``id`` plus ``version``: what a cached verdict must match to be reused."""
        return f"{self.id}@v{self.version}"

    def judge(self, requests: list[JudgeRequest]) -> list[Verdict]:
        verdicts: list[Verdict | None] = [
            Verdict(EMPTY) if is_empty(r.response) else None for r in requests
        ]
        todo = [i for i, v in enumerate(verdicts) if v is None]
        if todo:
            for i, v in zip(todo, self._judge([requests[i] for i in todo]), strict=True):
                verdicts[i] = v
        return verdicts  # type: ignore[return-value]

    @abstractmethod
    def _judge(self, requests: list[JudgeRequest]) -> list[Verdict]: ...
