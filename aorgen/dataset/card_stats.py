"""Statistics of a built dataset for its card: tables (markdown) and plots (PNG files in the
dataset folder, embedded by the card). Read from the shards' metadata columns, never the audio."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from aorgen.dataset.schema import shard_files

IMAGES = "images"  # folder of the card's plots, inside the dataset folder
COLUMNS = ("label", "category", "duration_s", "snr_db", "achieved_snr_db", "rt60_s", "voice_engine",
           "voice_id", "voice_gender", "voice_accent", "scene_tags", "qc_passed", "asr_wer", "asr_mixture_wer",
           "harm_type", "style")
WER_LEVELS = (0.1, 0.25)


@dataclass
class DatasetStats:
    """The metadata columns of every row, with the split taken from the shard's file name."""

    rows: list[dict] = field(default_factory=list)

    @classmethod
    def read(cls, folder: Path) -> DatasetStats:
        rows: list[dict] = []
        for file in shard_files(Path(folder)):
            parquet = pq.ParquetFile(file)
            names = [c for c in COLUMNS if c in parquet.schema_arrow.names]
            split = file.name.split("-")[0]
            for row in parquet.read(columns=names).to_pylist():
                rows.append(row | {"split": split})
        return cls(rows)

    def values(self, column: str) -> list:
        return [r[column] for r in self.rows if r.get(column) is not None]

    def count(self, column: str) -> Counter:
        counter: Counter = Counter()
        for value in self.values(column):
            counter.update(value if isinstance(value, list) else [value])
        return counter


def _summary(values: list[float], unit: str) -> str:
    if not values:
        return "none"
    return (f"median {statistics.median(values):.2f} {unit}, mean {statistics.fmean(values):.2f}, "
            f"range {min(values):.2f}–{max(values):.2f} (n = {len(values)})")


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.1f} %)" if whole else "0"


def tables(stats: DatasetStats) -> dict[str, str]:
    """Markdown tables and lines, by section title."""
    n = len(stats.rows)
    out: dict[str, str] = {}
    room = stats.values("rt60_s")
    out["Levels and rooms"] = "\n".join([
        f"- Duration: {_summary(stats.values('duration_s'), 's')}",
        f"- Target SNR: {_summary(stats.values('snr_db'), 'dB')}",
        f"- Achieved SNR: {_summary(stats.values('achieved_snr_db'), 'dB')}",
        f"- Clips in a simulated room: {_share(len(room), n)}; RT60 {_summary(room, 's')}",
    ])
    gender = stats.count("voice_gender")
    voices = Counter((r.get("voice_engine"), r.get("voice_id"), r.get("voice_gender"), r.get("voice_accent"))
                     for r in stats.rows)
    out["Voices"] = (
        "By gender: " + ", ".join(f"{g} {_share(c, n)}" for g, c in gender.most_common()) + ".\n\n"
        + _table(("engine", "voice", "gender", "accent", "clips"),
                 [(*key, count) for key, count in sorted(voices.items(), key=lambda kv: -kv[1])]))
    scenes = stats.count("scene_tags")
    out["Scenes"] = _table(("scene tag", "clips"), scenes.most_common())
    if stats.values("harm_type"):
        by_label = Counter((r["label"], r["harm_type"]) for r in stats.rows if r.get("harm_type"))
        labels = sorted({label for label, _ in by_label})
        kinds = sorted({kind for _, kind in by_label})
        out["Harm types"] = _table(("harm type", *labels),
                                   [(k, *(by_label[(lab, k)] for lab in labels)) for k in kinds])
    wers, mixture_wers = stats.values("asr_wer"), stats.values("asr_mixture_wer")
    passed = stats.values("qc_passed")
    lines = [f"- QC passed: {_share(sum(bool(p) for p in passed), len(passed))}"]
    for what, heard in (("Speech stems", wers),
                        ("Mixtures", mixture_wers)):
        lines += [f"- {what} heard by the ASR at WER ≤ {level}: {_share(sum(w <= level for w in heard), len(heard))}"
                  for level in WER_LEVELS if heard]
    if not wers and not mixture_wers:
        lines.append("- Intelligibility: not measured in this build (no ASR stage)")
    out["Intelligibility and QC"] = "\n".join(lines)
    return out


def write_plots(stats: DatasetStats, folder: Path) -> dict[str, str]:
    """PNG plots in ``folder/images``; returns {title: relative path}. Needs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = Path(folder) / IMAGES
    images.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}

    def save(fig, name: str, title: str) -> None:
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(images / f"{name}.png", dpi=90)
        plt.close(fig)
        written[title] = f"{IMAGES}/{name}.png"

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for ax, (column, unit) in zip(axes, (("duration_s", "s"), ("snr_db", "dB"), ("rt60_s", "s"))):
        values = stats.values(column)
        ax.hist(values, bins=30, color="#4c72b0")
        ax.set_xlabel(f"{column} ({unit})")
        ax.set_ylabel("clips")
        ax.set_title(f"n = {len(values)}", fontsize=9)
    save(fig, "levels", "Duration, target SNR and room RT60")

    voices = Counter((r.get("voice_gender") or "unknown", r.get("voice_accent") or "?") for r in stats.rows)
    accents = sorted({a for _, a in voices})
    genders = sorted({g for g, _ in voices})
    fig, ax = plt.subplots(figsize=(max(5, 1.1 * len(accents)), 3.2))
    width = 0.8 / max(1, len(genders))
    for i, gender in enumerate(genders):
        ax.bar([j + i * width for j in range(len(accents))], [voices[(gender, a)] for a in accents],
               width=width, label=gender)
    ax.set_xticks([j + width * (len(genders) - 1) / 2 for j in range(len(accents))], accents, rotation=30)
    ax.set_ylabel("clips")
    ax.legend(fontsize=8)
    save(fig, "voices", "Clips by voice accent and gender")

    scenes = stats.count("scene_tags").most_common(40)
    fig, ax = plt.subplots(figsize=(7, max(3, 0.18 * len(scenes))))
    ax.barh([s for s, _ in scenes][::-1], [c for _, c in scenes][::-1], color="#55a868")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("clips")
    save(fig, "scenes", "Clips per scene tag (top 40)")

    harm = stats.count("harm_type")
    if harm:
        fig, ax = plt.subplots(figsize=(6, 3.2))
        kinds = sorted(harm)
        ax.bar(kinds, [harm[k] for k in kinds], color="#c44e52")
        ax.tick_params(axis="x", rotation=40, labelsize=8)
        ax.set_ylabel("clips")
        save(fig, "harm_types", "Clips per harm type")

    wers = stats.values("asr_wer")
    if wers:
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.hist([min(w, 1.5) for w in wers], bins=30, color="#8172b2")
        for level in WER_LEVELS:
            ax.axvline(level, color="k", linestyle="--", linewidth=1)
        ax.set_xlabel("ASR word error rate of the speech (clipped at 1.5)")
        ax.set_ylabel("clips")
        ax.set_title(f"n = {len(wers)}", fontsize=9)
        save(fig, "intelligibility", "Intelligibility")
    return written
