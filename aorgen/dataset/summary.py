"""A dataset folder at a glance: counts, durations, SNRs, voices, QC."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from aorgen.dataset.schema import iter_rows

_COLUMNS = ["id", "category", "label", "duration_s", "snr_db", "achieved_snr_db", "rt60_s",
            "voice_engine", "voice_gender", "voice_accent", "qc_passed", "peak_dbfs"]


def inspect_dataset(folder: Path) -> str:
    rows = [r.data for r in iter_rows(folder, columns=_COLUMNS)]
    if not rows:
        return f"{folder}: empty"
    lines = [f"{folder}: {len(rows)} clips"]

    def counter(title: str, values) -> None:
        lines.append(f"{title}:")
        lines.extend(f"  {k:40s} {v}" for k, v in sorted(Counter(str(x) for x in values).items()))

    def spread(title: str, values) -> None:
        v = np.array([x for x in values if x is not None], dtype=float)
        if len(v):
            lines.append(f"{title}: median {np.median(v):.2f}, min {v.min():.2f}, max {v.max():.2f}, total {v.sum():.1f}")

    counter("category / label", (f"{r['category']} / {r['label']}" for r in rows))
    spread("duration_s", (r["duration_s"] for r in rows))
    spread("snr_db (target)", (r["snr_db"] for r in rows))
    errors = [abs(r["achieved_snr_db"] - r["snr_db"]) for r in rows
              if r["achieved_snr_db"] is not None and r["snr_db"] is not None]
    if errors:
        lines.append(f"snr error |achieved - target|: median {np.median(errors):.3f} dB, max {max(errors):.3f} dB")
    spread("rt60_s (rooms)", (r["rt60_s"] for r in rows))
    spread("peak_dbfs", (r["peak_dbfs"] for r in rows))
    counter("voice engine / gender", (f"{r['voice_engine']} / {r['voice_gender']}" for r in rows))
    counter("voice accent", (r["voice_accent"] for r in rows))
    lines.append(f"QC passed: {sum(bool(r['qc_passed']) for r in rows)} / {len(rows)}")
    return "\n".join(lines)
