"""``aorgen report --wandb PROJECT`` / ``--trackio PROJECT``: log a report's metrics to an
experiment tracker. Both are optional and imported only when asked for (trackio has
wandb's ``init``/``log``/``finish`` API); a missing one is one clear error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aorgen.errors import AorgenError

TRACKERS = ("wandb", "trackio")


def tracker_payload(results: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """(config, metrics) from a ``results.json``: each run's configuration, and every
    summary rate with its interval and n as ``<run>/<condition>/<metric>`` scalars."""
    config = {"judge": results.get("judge"), "schema_version": results.get("schema_version"),
              "runs": results.get("runs", {})}
    metrics: dict[str, float] = {}
    for row in results.get("summary", []):
        base = f"{row.get('run')}/{row.get('condition')}"
        for key, value in row.items():
            if key not in ("run", "condition") and isinstance(value, (int, float)) and not isinstance(value, bool):
                metrics[f"{base}/{key}"] = value
    return config, metrics


def log_to_tracker(tracker: str, project: str, report_dir: str | Path, *, name: str | None = None) -> None:
    """Start a tracker run in ``project`` named ``name`` (default: the report folder's name),
    log the report's config and metrics, and finish it."""
    if tracker not in TRACKERS:
        raise AorgenError(f"unknown tracker '{tracker}' (known: {', '.join(TRACKERS)})", field="--tracker")
    path = Path(report_dir) / "results.json"
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AorgenError(f"unreadable results: {exc}", file=path) from None
    try:
        module = __import__(tracker)
    except ImportError:
        raise AorgenError(f"{tracker} is not installed: pip install {tracker}", field=f"--{tracker}") from None
    config, metrics = tracker_payload(results)
    run = module.init(project=project, name=name or Path(report_dir).name, config=config)
    try:
        module.log(metrics)
    finally:
        (run.finish if hasattr(run, "finish") else module.finish)()
