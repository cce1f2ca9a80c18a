"""The dataset card (README.md with YAML metadata) and the ATTRIBUTION file."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import yaml

from aorgen.soundbank import SPDX_TERMS
from aorgen.spec import SampleSpec, SourceRef

# Strictness ladder: the dataset takes the strictest terms among the clips it uses.
_LADDER = (
    ("cc0-1.0", {"CC0-1.0", "Unlicense", "LicenseRef-public-domain"}),
    ("cc-by-4.0", {"CC-BY-3.0", "CC-BY-4.0", "BSD-3-Clause", "MIT", "LicenseRef-Freesound-Sampling-Plus"}),
    ("cc-by-sa-4.0", {"CC-BY-SA-3.0", "CC-BY-SA-4.0", "LAL-1.2"}),
    ("gpl-3.0", {"GPL-2.0-or-later", "GPL-2.0-only", "GPL-3.0-or-later", "GFDL-1.3-only"}),
    ("cc-by-nc-4.0", {"CC-BY-NC-3.0", "CC-BY-NC-4.0"}),
    ("cc-by-nc-sa-4.0", {"CC-BY-NC-SA-4.0"}),
)


@dataclass(frozen=True)
class LicenseTerms:
    license: str  # Hugging Face licence id
    commercial_ok: bool
    share_alike: bool
    inputs: tuple[str, ...]  # SPDX ids of what was used


def dataset_license(spdx_ids: set[str]) -> LicenseTerms:
    rank = max((i for i, (_, members) in enumerate(_LADDER) if members & spdx_ids), default=0)
    commercial = all(SPDX_TERMS[s][0] for s in spdx_ids)
    share_alike = any(SPDX_TERMS[s][1] for s in spdx_ids)
    name = _LADDER[rank][0]
    if share_alike and name == "cc-by-nc-4.0":
        name = "cc-by-nc-sa-4.0"
    return LicenseTerms(name, commercial, share_alike, tuple(sorted(spdx_ids)))


def used_sources(specs: list[SampleSpec]) -> dict[str, tuple[SourceRef, int]]:
    uses = Counter(f"{s.bank}/{s.clip_id}" for spec in specs for s in spec.sources)
    refs = {f"{s.bank}/{s.clip_id}": s for spec in specs for s in spec.sources}
    return {key: (refs[key], uses[key]) for key in sorted(refs)}


def attribution(specs: list[SampleSpec], terms: LicenseTerms) -> str:
    lines = [
        "# Attribution",
        "",
        "Every background recording and texture used in this dataset, with its licence. Speech is",
        "synthesised by aorgen (see each row's `voice_engine`). Dataset licence: "
        f"`{terms.license}` (the strictest terms among the inputs; commercial use "
        f"{'allowed' if terms.commercial_ok else 'NOT allowed'}, share-alike "
        f"{'required' if terms.share_alike else 'not required'}).",
        "",
        "| clip | licence | clips using it | attribution |",
        "| --- | --- | --- | --- |",
    ]
    for key, (ref, count) in used_sources(specs).items():
        lines.append(f"| `{key}` | {ref.license} | {count} | {ref.attribution.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def card(specs: list[SampleSpec], name: str, version: str, description: str,
         terms: LicenseTerms, splits: dict[str, set[str]]) -> str:
    """README.md with YAML metadata: configs per label, licence, task categories, citation."""
    labels = sorted({s.label for s in specs})
    configs = [{
        "config_name": "default",
        "default": True,
        "data_files": [{"split": split, "path": f"data/*/{split}-*.parquet"} for split in sorted(splits)],
    }] + [{
        "config_name": label,
        "data_files": [{"split": split, "path": f"data/{label}/{split}-*.parquet"}
                       for split in sorted(splits) if label in splits[split]],
    } for label in labels]
    meta = {
        "license": terms.license,
        "language": ["en"],
        "pretty_name": name,
        "task_categories": ["audio-text-to-text", "audio-classification"],
        "tags": ["audio", "safety", "over-refusal", "benchmark", "synthetic", "aorgen"],
        "size_categories": [_size_category(len(specs))],
        "configs": configs,
    }
    counts = Counter((s.label, s.category) for s in specs)
    categories = sorted({s.category for s in specs})
    table = ["| category | " + " | ".join(labels) + " |", "| --- |" + " --- |" * len(labels)]
    table += [f"| {c} | " + " | ".join(str(counts[(lab, c)]) for lab in labels) + " |" for c in categories]
    split_counts = Counter(s.split for s in specs)
    body = f"""# {name} {version}

{description or 'An audio over-refusal benchmark built with aorgen.'}

Spoken requests that sound harmful on their own but are benign in their acoustic context
(`pseudo_harmful`), requests that stay harmful in any context (`harmful_contrast`, a model
should refuse them) and plainly harmless requests (`benign_control`). Each clip is
synthesised speech placed in a background scene and, for most clips, a simulated room.

## Counts

{chr(10).join(table)}

Splits (by script, no script in both): {', '.join(f'{k}: {v}' for k, v in sorted(split_counts.items()))}.

## Columns

`audio` is the mixture; `speech` and `background` (when present) are its stems at the
same levels. Levels: `snr_db` is the active-speech loudness minus the background loudness
over the speech, both ITU-R BS.1770 integrated loudness; `achieved_snr_db` is that measure
on the encoded audio; `limiter_gain_db` is the attenuation that kept the peak at or below
the ceiling (no clipping). `spec` holds the JSON that re-renders the row byte for byte
(`aorgen render`).

## Licence

`{terms.license}`: the strictest terms among the recordings used ({', '.join(terms.inputs)}).
Commercial use {'allowed' if terms.commercial_ok else 'not allowed'}; share-alike
{'required' if terms.share_alike else 'not required'}. See ATTRIBUTION.md for every clip.

## Loading

```python
from datasets import load_dataset, Audio
ds = load_dataset("path/or/repo", "pseudo_harmful", split="test")
ds = ds.cast_column("audio", Audio(decode=False))  # bytes, no torchcodec needed
```

## Citation

```bibtex
@software{{aorgen,
  title = {{aorgen: audio over-refusal benchmark generator}},
  year = {{2026}},
  note = {{{name} {version}}}
}}
```
"""
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n\n" + body


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return label
    return "100K<n<1M"
