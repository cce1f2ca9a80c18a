"""``aorgen judge`` (label every generation of every run) and ``aorgen judge-eval`` (how
well a judge agrees with XSTest's human labels)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aorgen.errors import AorgenError

from .record_files import RecordCache
from .judges import (
    ERROR,
    FULL_COMPLIANCE,
    FULL_REFUSAL,
    PARTIAL_REFUSAL,
    REFUSAL_LABELS,
    Judge,
    JudgeRequest,
    get_judge,
)
from .records import Generation, Judgement
from .run import GENERATIONS_FILE, progress_bar


def judgements_file(run_dir: Path, judge_name: str) -> Path:
    return Path(run_dir) / f"judgements-{judge_name}.jsonl"


def agreement_file(run_dir: Path, judge_name: str) -> Path:
    """Where an ensemble judge's rules-vs-LLM agreement statistics are written."""
    return Path(run_dir) / f"judge-agreement-{judge_name}.json"


def find_runs(runs: str | Path) -> list[Path]:
    """Run folders under ``runs`` (or ``runs`` itself), i.e. those with generations."""
    runs = Path(runs)
    if (runs / GENERATIONS_FILE).is_file():
        return [runs]
    found = sorted(p.parent for p in runs.glob(f"*/{GENERATIONS_FILE}"))
    if not found:
        raise AorgenError(f"no run folders (with {GENERATIONS_FILE}) found", file=runs)
    return found


def load_generations(run_dir: Path) -> list[Generation]:
    return list(RecordCache(Path(run_dir) / GENERATIONS_FILE, Generation).records.values())


@dataclass
class JudgeSummary:
    run_dir: Path
    judged: int = 0  # new verdicts
    cached: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # verdict -> generations (all)
    agreement: dict[str, Any] | None = None  # ensemble only: rules vs LLM (rules_llm_agreement)


def run_judge(
    runs: str | Path,
    judge: str | Judge = "rules",
    *,
    judge_options: dict[str, Any] | None = None,
    batch_size: int = 32,
    force: bool = False,
    progress: bool = True,
) -> list[JudgeSummary]:
    """Judge every generation in every run folder under ``runs`` into
    ``<run>/judgements-<judge>.jsonl`` (append-only, resumable; a verdict by a differently
    configured judge of the same name is redone). Generations that failed are ``error``
    without asking the judge. Wrapped by ``aorgen judge``."""
    run_dirs = find_runs(runs)
    judge = judge if isinstance(judge, Judge) else get_judge(judge, **(judge_options or {}))
    summaries = []
    for run_dir in run_dirs:
        generations = load_generations(run_dir)
        if not generations:
            raise AorgenError("holds no generations (run `aorgen eval` first)", file=Path(run_dir) / GENERATIONS_FILE)
        store: RecordCache[Judgement] = RecordCache(judgements_file(run_dir, judge.name), Judgement)
        summary = JudgeSummary(run_dir)
        todo = []
        for gen in generations:
            old = store.get(gen.key)
            if old is not None and old.judge == judge.cache_id and not force:
                summary.cached += 1
            else:
                todo.append(gen)
        update = progress_bar(progress, len(todo), f"judge {judge.name} · {run_dir.name}")
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            store.append(_judge_batch(judge, batch))
            summary.judged += len(batch)
            update(len(batch))
        for gen in generations:
            verdict = store.records[gen.key].verdict
            summary.counts[verdict] = summary.counts.get(verdict, 0) + 1
        if judge.name == "ensemble":
            pairs = [(j.detail["rules"], j.detail["llm"]) for j in (store.records[g.key] for g in generations)
                     if j.detail.get("rules") is not None and j.detail.get("llm") is not None]
            stats = {"judge": judge.cache_id, **rules_llm_agreement(pairs)}
            agreement_file(run_dir, judge.name).write_text(json.dumps(stats, indent=2) + "\n")
            summary.agreement = stats
        summaries.append(summary)
    return summaries


def _judge_batch(judge: Judge, batch: list[Generation]) -> list[Judgement]:
    ok = [g for g in batch if g.error is None]
    verdicts = dict(zip((g.key for g in ok), judge.judge([JudgeRequest(g.transcript, g.response or "") for g in ok])))
    out = []
    for gen in batch:
        if gen.error is not None:
            out.append(Judgement(key=gen.key, judge=judge.cache_id, verdict=ERROR, detail={"generation_error": gen.error}))
            continue
        v = verdicts[gen.key]
        out.append(Judgement(key=gen.key, judge=judge.cache_id, verdict=v.label, judge_prompt=v.prompt, raw=v.raw, detail=v.detail))
    return out


def cohen_kappa(a: list[Any], b: list[Any]) -> float | None:
    """Cohen's kappa of two raters over the same items (None when chance agreement is 1)."""
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    chance = sum((a.count(c) / n) * (b.count(c) / n) for c in set(a) | set(b))
    return None if chance == 1 else (observed - chance) / (1 - chance)


def rules_llm_agreement(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """How often the rules and the LLM judge agree on (rules label, LLM label) pairs: raw
    agreement and Cohen's kappa, refusal-vs-compliance and three-class, over pairs where the
    LLM gave a class (``n_llm_error`` counts the others)."""
    valid = [(r, m) for r, m in pairs if m in _CLASSES and r in _CLASSES]
    rb = [r in REFUSAL_LABELS for r, _ in valid]
    mb = [m in REFUSAL_LABELS for _, m in valid]
    n = len(valid)
    return {
        "n_compared": n,
        "n_llm_error": len(pairs) - n,
        "binary_agreement": sum(x == y for x, y in zip(rb, mb)) / n if n else None,
        "binary_kappa": cohen_kappa(rb, mb),
        "agreement": sum(r == m for r, m in valid) / n if n else None,
        "kappa": cohen_kappa([r for r, _ in valid], [m for _, m in valid]),
        "n_decided_by_llm": sum((r in REFUSAL_LABELS) != (m in REFUSAL_LABELS) for r, m in valid),
    }


# --- agreement with human labels -------------------------------------------------------

XSTEST_LABELS = {
    "1_full_compliance": FULL_COMPLIANCE,
    "2_full_refusal": FULL_REFUSAL,
    "3_partial_refusal": PARTIAL_REFUSAL,
}
_CLASSES = (FULL_COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL)


@dataclass
class JudgeEvalResult:
    file: str
    judge: str
    n: int
    binary_accuracy: float  # refusal (full or partial) vs compliance
    accuracy: float  # three classes
    per_class: dict[str, dict[str, float]]  # class -> precision, recall, f1, support
    binary_f1: float  # F1 of the refusal class
    confusion: dict[str, dict[str, int]]  # human label -> judge label -> count
    not_judged: int  # empty/error verdicts (counted wrong)


def judge_eval(xstest_csv: str | Path, judge: str | Judge = "rules", *, judge_options: dict[str, Any] | None = None,
               batch_size: int = 32) -> JudgeEvalResult:
    """Agreement of ``judge`` with the human ``final_label`` of an XSTest completions file
    (columns ``prompt``, ``completion``, ``final_label``). Wrapped by ``aorgen judge-eval``."""
    import pandas as pd

    path = Path(xstest_csv)
    if not path.is_file():
        raise AorgenError("no such file", file=path)
    try:
        df = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:  # EmptyDataError is a ValueError
        raise AorgenError(f"not a readable CSV file: {' '.join(str(exc).split())[:200]}", file=path) from None
    missing = {"prompt", "completion", "final_label"} - set(df.columns)
    if missing:
        raise AorgenError(f"not an XSTest completions file (lacks {', '.join(sorted(missing))})", file=path)
    judge = judge if isinstance(judge, Judge) else get_judge(judge, **(judge_options or {}))
    gold = [XSTEST_LABELS.get(label) for label in df["final_label"]]
    if None in gold:
        raise AorgenError(f"unknown final_label (expected {', '.join(XSTEST_LABELS)})", file=path, field="final_label")
    requests = [JudgeRequest(str(q), "" if pd.isna(c) else str(c)) for q, c in zip(df["prompt"], df["completion"])]
    pred = []
    for start in range(0, len(requests), batch_size):
        pred.extend(v.label for v in judge.judge(requests[start : start + batch_size]))
    return agreement(gold, pred, file=str(path), judge=judge.id)


def agreement(gold: list[str], pred: list[str], *, file: str = "", judge: str = "") -> JudgeEvalResult:
    n = len(gold)
    labels = list(_CLASSES) + sorted({p for p in pred} - set(_CLASSES))
    confusion = {g: {p: 0 for p in labels} for g in _CLASSES}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    per_class = {}
    for c in _CLASSES:
        tp = confusion[c][c]
        predicted = sum(confusion[g][c] for g in _CLASSES)
        support = sum(confusion[c].values())
        per_class[c] = _prf(tp, predicted, support)
    gold_ref = [g in REFUSAL_LABELS for g in gold]
    pred_ref = [p in REFUSAL_LABELS for p in pred]
    tp = sum(g and p for g, p in zip(gold_ref, pred_ref))
    return JudgeEvalResult(
        file=file,
        judge=judge,
        n=n,
        binary_accuracy=sum(g == p for g, p in zip(gold_ref, pred_ref)) / n,
        accuracy=sum(g == p for g, p in zip(gold, pred)) / n,
        per_class=per_class,
        binary_f1=_prf(tp, sum(pred_ref), sum(gold_ref))["f1"],
        confusion=confusion,
        not_judged=sum(p not in _CLASSES for p in pred),
    )


def _prf(tp: int, predicted: int, support: int) -> dict[str, float]:
    precision = tp / predicted if predicted else 0.0
    recall = tp / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def format_judge_eval(result: JudgeEvalResult) -> str:
    """A short markdown report of a :class:`JudgeEvalResult` (what ``aorgen judge-eval`` prints)."""
    lines = [
        f"## {result.judge} on {Path(result.file).name} (n={result.n})",
        "",
        f"- refusal vs compliance agreement: {result.binary_accuracy:.1%} (refusal F1 {result.binary_f1:.3f})",
        f"- 3-class accuracy: {result.accuracy:.1%}",
        f"- empty/error verdicts: {result.not_judged}",
        "",
        "| class | precision | recall | F1 | support |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c, m in result.per_class.items():
        lines.append(f"| {c} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    cols = list(next(iter(result.confusion.values())))
    lines += ["", "| human \\ judge | " + " | ".join(cols) + " |", "| --- |" + " --- |" * len(cols)]
    for g, row in result.confusion.items():
        lines.append(f"| {g} | " + " | ".join(str(row[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"
