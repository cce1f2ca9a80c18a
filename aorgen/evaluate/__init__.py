"""Evaluation: generate (model adapter × condition) → judge → metrics → report.

Library entry points (each wrapped by one CLI command):

- :func:`aorgen.evaluate.run.run_eval` — ``aorgen eval``
- :func:`aorgen.evaluate.judge_runs.run_judge` — ``aorgen judge``
- :func:`aorgen.evaluate.report.build_report` — ``aorgen report``
- :func:`aorgen.evaluate.judge_runs.judge_eval` — ``aorgen judge-eval``
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "run_eval": "aorgen.evaluate.run",
    "run_judge": "aorgen.evaluate.judge_runs",
    "judge_eval": "aorgen.evaluate.judge_runs",
    "format_judge_eval": "aorgen.evaluate.judge_runs",
    "build_report": "aorgen.evaluate.report",
    "GenerationOptions": "aorgen.evaluate.records",
    "CONDITIONS": "aorgen.evaluate.conditions",
    "ADAPTERS": "aorgen.evaluate.models",
    "JUDGES": "aorgen.evaluate.judges",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # imported on first use: keeps `import aorgen.evaluate` light
    if name not in _EXPORTS:
        raise AttributeError(name)
    return getattr(importlib.import_module(_EXPORTS[name]), name)
