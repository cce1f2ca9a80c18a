"""How the benchmark's content reads: whether the harmful-contrast set can be told from the
pseudo-harmful set by its wording alone, the form of each label's scripts, and its harm types.

The contrast set must differ from the pseudo-harmful set in meaning, not in form; otherwise a
text filter scores perfectly without hearing anything. ``wording_auroc`` measures that as the
cross-validated AUROC of a bag-of-words classifier (TF-IDF word 1-2-grams, logistic regression)
separating the two sets, with every variant of a script kept in one fold. XSTest's own
safe/unsafe prompts score about 0.58 on the same test; the target here is at most 0.70.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from aorgen.common.taxonomy import HARMFUL_CONTRAST, PSEUDO_HARMFUL
from aorgen.content.templates import LoadedScript

AUROC_TARGET = 0.70
HARM_TYPE_CAP = 0.35  # no harm type above this share of a label's scripts
_FIRST = {"i", "i'm", "i'll", "i've", "i'd", "me", "my", "we", "we're", "we'll", "our", "us", "let's"}
_SECOND = {"you", "you're", "you'll", "your", "yourself"}
_HOW = re.compile(r"^(how|what's the best way|what is the best way) (do|can|should|would|to)\b", re.I)


@dataclass(frozen=True)
class AurocResult:
    auroc: float
    folds: int
    texts: dict[str, int]  # texts per label (slot variants counted)
    per_category: dict[str, float] = None  # the same cross-validated scores, AUROC within each category
    seed: int = 0

    def line(self) -> str:
        verdict = "meets" if self.auroc <= AUROC_TARGET else "ABOVE"
        cats = ""
        if self.per_category:
            cats = "; per category " + ", ".join(f"{c} {v:.2f}" for c, v in sorted(self.per_category.items()))
        return (f"wording AUROC pseudo_harmful vs harmful_contrast: {self.auroc:.3f} ({verdict} the target "
                f"<= {AUROC_TARGET:.2f}; {self.folds}-fold grouped CV, seed {self.seed}, over "
                f"{', '.join(f'{n} {label}' for label, n in sorted(self.texts.items()))} texts{cats})")


def wording_auroc(scripts: list[LoadedScript], *, folds: int = 5, seed: int = 0) -> AurocResult:
    """Cross-validated AUROC of TF-IDF word 1-2-grams + logistic regression, pseudo_harmful (0)
    vs harmful_contrast (1); a script's slot variants stay in one fold."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.pipeline import make_pipeline

    texts, labels, groups, categories = [], [], [], []
    for item in scripts:
        if item.label not in (PSEUDO_HARMFUL, HARMFUL_CONTRAST):
            continue
        for text in item.script.variants():
            texts.append(text)
            labels.append(int(item.label == "harmful_contrast"))
            groups.append(item.script.id)
            categories.append(item.category)
    y = np.array(labels)
    counts = {PSEUDO_HARMFUL: int((y == 0).sum()), HARMFUL_CONTRAST: int((y == 1).sum())}
    if min(counts.values()) < folds:
        raise ValueError(f"too few scripts for {folds}-fold cross-validation: {counts}")
    scores = np.zeros(len(y))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(texts, y, groups):
        model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), lowercase=True, sublinear_tf=True),
                              LogisticRegression(max_iter=2000, class_weight="balanced"))
        model.fit([texts[i] for i in train], y[train])
        scores[test] = model.predict_proba([texts[i] for i in test])[:, 1]
    cats = np.array(categories)
    per_category = {c: float(roc_auc_score(y[cats == c], scores[cats == c]))
                    for c in sorted(set(categories)) if len(set(y[cats == c])) == 2}
    return AurocResult(float(roc_auc_score(y, scores)), folds, counts, per_category, seed)


def _form(text: str) -> str:
    stripped = text.strip()
    if stripped.endswith("?"):
        return "question"
    if stripped.endswith("!"):
        return "exclamation"
    return "statement"


def _person(text: str) -> str:
    words = set(re.findall(r"[a-z']+", text.lower()))
    if words & _FIRST:
        return "1st"
    if words & _SECOND:
        return "2nd"
    return "3rd"


def form_stats(scripts: list[LoadedScript]) -> dict[str, Counter]:
    """Per label: sentence form, "how do/can" openers, grammatical person, length, harm type."""
    out: dict[str, Counter] = {}
    for item in scripts:
        text, label = item.script.text, item.label
        out.setdefault(f"form ({label})", Counter())[_form(text)] += 1
        out.setdefault(f"opener ({label})", Counter())["how do/can..." if _HOW.match(text) else "other"] += 1
        out.setdefault(f"person ({label})", Counter())[_person(text)] += 1
        words = len(text.split())
        out.setdefault(f"words ({label})", Counter())[f"{(words - 1) // 5 * 5 + 1}-{(words - 1) // 5 * 5 + 5}"] += 1
        out.setdefault(f"harm_type ({label})", Counter())[item.script.harm_type or "(not set)"] += 1
    return out


def harm_type_warnings(scripts: list[LoadedScript]) -> list[str]:
    """Labels where one harm type is above the cap (benign controls are exempt)."""
    warnings = []
    for label in (PSEUDO_HARMFUL, HARMFUL_CONTRAST):
        kinds = Counter(s.script.harm_type for s in scripts if s.label == label and s.script.harm_type)
        total = sum(kinds.values())
        for kind, n in kinds.items():
            if total and n / total > HARM_TYPE_CAP:
                warnings.append(f"{label}: harm type '{kind}' is {100 * n / total:.0f} % of scripts "
                                f"(cap {100 * HARM_TYPE_CAP:.0f} %)")
    return warnings


NEAR_DUPLICATE_SHARE = 0.8  # two texts share at least this fraction of the shorter one's words
NEAR_DUPLICATE_CAP = 0.02  # at most this share of a label's scripts may have a near-duplicate


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z']+", text.lower()))


def _near_pairs(items: list[tuple[str, str]], share: float) -> list[tuple[str, str, float]]:
    """Pairs (id, id, overlap) whose word sets share ``share`` of the smaller set's words."""
    sets = [(key, _words(text)) for key, text in items]
    pairs = []
    for i, (a, wa) in enumerate(sets):
        for b, wb in sets[i + 1:]:
            if wa and wb:
                overlap = len(wa & wb) / min(len(wa), len(wb))
                if overlap >= share:
                    pairs.append((a, b, overlap))
    return pairs


def near_duplicates(scripts: list[LoadedScript], *, share: float = NEAR_DUPLICATE_SHARE) -> dict[str, tuple[float, list]]:
    """Per label: the share of scripts whose text shares >= ``share`` of its words with another
    script of the same label, and the pairs. For benign controls the rationales are checked
    too ("benign_control rationale"), since a templated rationale says nothing about its script."""
    out = {}
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in scripts:
        groups.setdefault(item.label, []).append((item.script.id, item.script.text))
        if item.label == "benign_control":
            groups.setdefault("benign_control rationale", []).append((item.script.id, item.script.rationale))
    for name, items in sorted(groups.items()):
        pairs = _near_pairs(items, share)
        involved = {a for a, _, _ in pairs} | {b for _, b, _ in pairs}
        out[name] = (len(involved) / len(items), pairs)
    return out


def near_duplicate_lines(scripts: list[LoadedScript]) -> list[str]:
    lines = []
    for name, (frac, pairs) in near_duplicates(scripts).items():
        verdict = "meets" if frac <= NEAR_DUPLICATE_CAP else "ABOVE"
        lines.append(f"near-duplicates ({name}): {100 * frac:.1f} % of scripts share >= "
                     f"{100 * NEAR_DUPLICATE_SHARE:.0f} % of their words with another ({verdict} the cap "
                     f"{100 * NEAR_DUPLICATE_CAP:.0f} %)"
                     + (": " + ", ".join(f"{a}~{b}" for a, b, _ in pairs[:8]) + (" ..." if len(pairs) > 8 else "")
                        if pairs else ""))
    return lines
