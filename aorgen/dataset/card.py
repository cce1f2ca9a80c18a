"""The dataset card (README.md with YAML metadata) and the ATTRIBUTION file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from aorgen.content.licenses import OUTPUT_FREE, voice_license
from aorgen.content.soundbank import SPDX_TERMS
from aorgen.plan.spec import SampleSpec, SourceRef
from aorgen.content.voices import Voice

# Strictness ladder: the dataset takes the strictest terms among the clips it uses.
_LADDER = (
    ("cc0-1.0", {"CC0-1.0", "Unlicense", "LicenseRef-public-domain"}),
    ("cc-by-4.0", {"CC-BY-3.0", "CC-BY-4.0", "BSD-3-Clause", "MIT", "LicenseRef-Freesound-Sampling-Plus",
                   "LicenseRef-CMU-Flite", "LicenseRef-CMU-Festvox", "LicenseRef-EST-2003"}),
    ("cc-by-sa-4.0", {"CC-BY-SA-3.0", "CC-BY-SA-4.0", "LAL-1.2"}),
    ("lgpl-2.1", {"LGPL-2.1-or-later", "LGPL-2.1-only"}),
    ("gpl-3.0", {"GPL-2.0-or-later", "GPL-2.0-only", "GPL-3.0-or-later", "GFDL-1.3-only"}),
    ("cc-by-nc-4.0", {"CC-BY-NC-3.0", "CC-BY-NC-4.0", "LicenseRef-Coqui-CPML"}),
    ("cc-by-nc-sa-4.0", {"CC-BY-NC-SA-4.0"}),
    ("cc-by-nc-nd-4.0", {"CC-BY-NC-ND-4.0"}),
)
# Terms of licences that only TTS voices and models carry: (commercial_ok, share_alike).
VOICE_TERMS = {
    "LicenseRef-CMU-Flite": (True, False),
    "LicenseRef-CMU-Festvox": (True, False),
    "LicenseRef-EST-2003": (True, False),
    "LGPL-2.1-or-later": (True, True),
    "LGPL-2.1-only": (True, True),
    "CC-BY-NC-ND-4.0": (False, True),
    "LicenseRef-Coqui-CPML": (False, False),  # XTTS v2: Coqui Public Model Licence, non-commercial
}


@dataclass(frozen=True)
class LicenseTerms:
    license: str  # Hugging Face licence id
    commercial_ok: bool
    share_alike: bool
    inputs: tuple[str, ...]  # SPDX ids of what was used


def _terms(spdx: str) -> tuple[bool, bool] | None:
    return SPDX_TERMS.get(spdx) or VOICE_TERMS.get(spdx)


def dataset_license(spdx_ids: set[str]) -> LicenseTerms:
    """The strictest terms among the inputs (recordings and voices). An input of unknown terms
    makes the dataset's licence ``other`` and not cleared for commercial use."""
    rank = max((i for i, (_, members) in enumerate(_LADDER) if members & spdx_ids), default=0)
    known = [_terms(s) for s in spdx_ids]
    commercial = all(t is not None and t[0] for t in known)
    share_alike = any(t is not None and t[1] for t in known)
    name = _LADDER[rank][0]
    if share_alike and name == "cc-by-nc-4.0":
        name = "cc-by-nc-sa-4.0"
    if any(t is None for t in known):
        name = "other"
    return LicenseTerms(name, commercial, share_alike, tuple(sorted(spdx_ids)))


def voice_licenses(specs: list[SampleSpec], voices: Iterable[Voice] = ()) -> dict[str, tuple[str, str, int]]:
    """{engine:voice: (licence, note, clips)} for every voice the specs use; the licence comes
    from the engine's catalogue (``voices``) or, for engines without one, the engine's table."""
    catalogue = {v.key: v for v in voices}
    uses = Counter(f"{s.speech.engine}:{s.speech.voice_id}" for s in specs)
    out = {}
    for key, count in sorted(uses.items()):
        voice = catalogue.get(key) or Voice(engine=key.split(":", 1)[0], id=key.split(":", 1)[1])
        out[key] = (*voice_license(voice), count)
    return out


def input_licenses(specs: list[SampleSpec], voices: Iterable[Voice] = ()) -> set[str]:
    """Licences that bind the dataset: every recording's, and every voice's that reaches its output."""
    recordings = {s.license for spec in specs for s in spec.sources}
    speech = {lic for lic, _, _ in voice_licenses(specs, voices).values() if lic not in OUTPUT_FREE}
    return recordings | speech


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


CITATIONS = r"""@software{aorgen,
  title  = {aorgen: an open toolkit for audio over-refusal benchmarks},
  author = {{aorgen contributors}},
  year   = {2026},
  note   = {NAME VERSION}
}
@article{aorbench2026,
  title   = {{AOR-Bench}: Benchmarking Over-Refusal in Large Audio Language Models},
  journal = {arXiv preprint arXiv:2606.21147},
  year    = {2026}
}
@inproceedings{unsupervised_safety_ft2025,
  title     = {Representation-reshaping safety fine-tuning without labels},
  booktitle = {Proceedings of EMNLP 2025},
  note      = {arXiv:2505.19670},
  year      = {2025}
}"""

MINIMAL_PAIRS_TEXT = """

`minimal_pairs` holds audio minimal pairs: every test-split pseudo-harmful script once more with
the same voice, words, room and levels, in each `pair_condition`: `own_scene` (its own scene, the
same audio as its row in `pseudo_harmful`), `no_scene` (no background), `other_scene` (a neutral
scene of another category) and, where the script names one, `harmful_scene` (a scene that
supports the harmful reading). `pair_of` is the id of the `pseudo_harmful` row they are made
from; their `label` stays `pseudo_harmful`. They are drawn after the intelligibility gate, from
the rows it kept. `aorgen report` reads them as each model's context sensitivity,
ORR(no or other scene) − ORR(own scene), paired by script."""

GATE_PROMPT = ("This dataset consists of spoken requests that sound harmful. It is shared for research "
               "on refusal and over-refusal of audio language models. By requesting access you agree "
               "not to use it to train models to cause harm, and to follow the licences of its inputs.")


def card(specs: list[SampleSpec], name: str, version: str, description: str,
         terms: LicenseTerms, splits: dict[str, set[str]], *, voices: Iterable[Voice] = (),
         tables: dict[str, str] | None = None, plots: dict[str, str] | None = None,
         generation: dict[str, str] | None = None) -> str:
    """README.md in the Hugging Face dataset-card layout: YAML metadata (configs per label,
    licence, gating prompt), then summary, content warning, structure, generation, statistics
    (``tables`` and the PNG ``plots`` written by :mod:`aorgen.dataset.card_stats`), uses, limitations,
    licences per input and citations."""
    labels = sorted({s.config for s in specs})  # the labels, and minimal_pairs when built
    pairs = "minimal_pairs" in labels  # a config of its own, not part of the default one
    configs = [{
        "config_name": "default",
        "default": True,
        "data_files": [{"split": split, "path": [f"data/{c}/{split}-*.parquet" for c in sorted(splits[split])
                                                 if c != "minimal_pairs"] if pairs else f"data/*/{split}-*.parquet"}
                       for split in sorted(splits)],
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
        "extra_gated_prompt": GATE_PROMPT,
        "extra_gated_fields": {"Affiliation": "text", "Intended use": "text",
                               "I will use this dataset for safety research only": "checkbox"},
        "configs": configs,
    }
    counts = Counter((s.config, s.category) for s in specs)
    categories = sorted({s.category for s in specs})
    table = ["| category | " + " | ".join(labels) + " |", "| --- |" + " --- |" * len(labels)]
    table += [f"| {c} | " + " | ".join(str(counts[(lab, c)]) for lab in labels) + " |" for c in categories]
    split_counts = Counter(s.split for s in specs)
    stats_text = "\n\n".join(f"### {title}\n\n{text}" for title, text in (tables or {}).items())
    plots_text = "\n\n".join(f"![{title}]({path})" for title, path in (plots or {}).items())
    generation_text = "\n".join(f"- **{k}**: {v}" for k, v in (generation or {}).items())
    recordings = used_sources(specs)
    rec_licences = Counter(ref.license for ref, _ in recordings.values())
    voice_rows = "\n".join(f"| `{key}` | {lic} | {clips} | {note.replace('|', '/')} |"
                           for key, (lic, note, clips) in voice_licenses(specs, voices).items())
    body = f"""# {name} {version}

{description or 'An audio over-refusal benchmark built with aorgen.'}

## Dataset summary

Spoken requests that sound harmful on their own but are benign in their acoustic context
(`pseudo_harmful`: a model that listens should answer them), requests that stay harmful in any
context (`harmful_contrast`: a model should refuse them) and plainly harmless requests in the
same scenes (`benign_control`). Each clip is synthesised speech placed in a background scene of
licensed recordings and, for most clips, a simulated room. Over-refusal is measured as the share
of `pseudo_harmful` clips a model refuses, read beside its refusal of the contrast set.

> **Content warning.** The transcripts are phrased to sound violent, criminal or otherwise
> harmful ("how do I shoot him from here?"). The harmful-contrast requests are genuinely harmful
> requests (without instructions). Listen and read with care.

## Supported tasks

- **Over-refusal evaluation** of audio language models (`audio-text-to-text`): does a model answer
  a request whose harmful reading the acoustic context rules out? (`aorgen eval`, `aorgen report`)
- **Safety fine-tuning and steering** on the `train` split (`aorgen finetune`, `aorgen steer`).
- Secondary: scene or label classification from audio (`audio-classification`).

## Languages

English (`en`) only, in synthetic voices with the accents listed under *Voices* below.

## Dataset structure

Configs: `default` (everything but the minimal pairs) and one per label ({', '.join(f'`{lab}`' for lab in labels)}).{MINIMAL_PAIRS_TEXT if pairs else ''}
Splits are **by script** (no script in both), so training on `train` never leaks into `test`:
{', '.join(f'{k}: {v} clips' for k, v in sorted(split_counts.items()))}.

{chr(10).join(table)}

Fields: `audio` is the mixture; `speech` and `background` (when present) are its stems at the
same levels. `category`, `label`, `script_id`, `transcript`, `context` (what the clip's background
holds, from the cues of the recordings drawn and what its background voices say), `speech_cues`
(the words of those scene speech cues), `intended_context` (the script's scene), `rationale`
(why the label holds), `harm_type`, `scene_tags`, `style`; the voice (`voice_engine`,
`voice_id`, `voice_gender`, `voice_accent`, `speech_rate`); levels: `snr_db` is the active-speech
loudness minus the background loudness over the speech, both ITU-R BS.1770 integrated loudness,
`achieved_snr_db` that measure on the encoded audio, `limiter_gain_db` the attenuation that kept
the peak at or below the ceiling (no clipping); `rt60_s` and `rt60_measured_s` for the room;
`background_ids` and `licenses` of the recordings used; QC (`qc_passed`, `peak_dbfs`,
`loudness_lufs`, `asr_transcript`, `asr_wer`); `spec`, the JSON that re-renders the row byte for
byte; `pair_condition` and `pair_of` in the minimal pairs.

## How the data was generated

{generation_text or '- see `recipe.yaml` in this folder'}

Every clip is a pure function of its `spec`: `aorgen render DATASET ROW_ID -o clip.wav` renders
it again, byte for byte, given the same sound banks and engine versions (`build.json`).

## Statistics

{stats_text or 'Not computed for this build.'}

{plots_text}

## Intended use

Measuring and reducing over-refusal of audio language models on speech whose meaning depends on
its acoustic context, always read beside refusal of the harmful contrast set; training
mitigations on the `train` split and evaluating them on `test`.

## Out-of-scope use

- Training models to comply with harmful requests, or using the contrast set as instructions.
- Claims about human speech or real recordings: the speech is synthetic.
- A general safety certification: the benchmark covers six everyday categories, English only.

## Limitations and biases

- **Synthetic voices**: a limited set of TTS voices (see *Voices*); their accents, genders and
  prosody do not represent real speakers, and models may treat synthetic speech differently.
- **Stand-in sounds**: some scenes are built from recordings of similar sounds (a football crowd
  for other sports) or procedural textures; a listener may not always recognise the scene.
- **English only**, scripts written by the project's authors; harm types are unevenly spread
  (see *Harm types* where present).
- Labels describe the intended reading; a model's refusal of an ambiguous clip is not always
  wrong. Read over-refusal with its confidence interval and the contrast-set refusal.

## Licensing

Dataset licence: `{terms.license}`, the strictest terms among its inputs
({', '.join(terms.inputs) or 'none'}). Commercial use {'allowed' if terms.commercial_ok else 'not allowed'};
share-alike {'required' if terms.share_alike else 'not required'}. Recipes can exclude inputs by
licence to build a more permissive variant.

Recordings ({len(recordings)} clips; every one with its credit in ATTRIBUTION.md):
{', '.join(f'{lic} × {n}' for lic, n in sorted(rec_licences.items())) or 'none'}.

Voices:

| voice | licence | clips | note |
| --- | --- | --- | --- |
{voice_rows}

## Loading

```python
from datasets import load_dataset, Audio
ds = load_dataset("path/or/repo", "pseudo_harmful", split="test")
ds = ds.cast_column("audio", Audio(decode=False))  # bytes, no torchcodec needed
```

## Extending

Add scripts under `templates/`, sound banks with `aorgen soundbank import`, or voices through
the recipe's `voices.select`, then `aorgen build --recipe recipe.yaml --overwrite`: unchanged
rows are copied, not rendered again.

## Citation

```bibtex
{CITATIONS.replace('NAME VERSION', f'{name} {version}')}
```
"""
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n\n" + body


def generation_facts(recipe: dict, specs: list[SampleSpec], bank_files: dict[str, str]) -> dict[str, str]:
    """What the card says about how the data was made, from the recipe as built and the specs."""
    from aorgen import __version__

    engines = Counter(s.speech.engine for s in specs)
    voices = {f"{s.speech.engine}:{s.speech.voice_id}" for s in specs}
    rooms = sum(s.room is not None for s in specs)
    augment = Counter(a.name for s in specs for a in s.augment)
    scene = recipe.get("scene", {})
    gate = recipe.get("intelligibility")
    bands = ", ".join(f"{b['low']:g}–{b['high']:g}" for b in scene.get("snr_bands_db", []))
    facts = {
        "Recipe": f"`{recipe.get('name')}` {recipe.get('version', '')}, seed {recipe.get('seed')} "
                  "(`recipe.yaml` in this folder is the recipe as built)",
        "aorgen": __version__,
        "Speech": f"{len(voices)} voices from {', '.join(f'{e} ({n} clips)' for e, n in engines.most_common())}; "
                  "text normalised before synthesis so the speech matches the transcript",
        "Scenes": f"recordings and textures from the sound banks {', '.join(sorted(bank_files)) or '-'}, "
                  "chosen by the script's scene tags; a looping bed plus foreground events",
        "Levels": f"SNR bands {bands} dB (BS.1770), output at "
                  f"{scene.get('target_lufs', '-')} LUFS, peaks at most {scene.get('max_peak_dbfs', '-')} dBFS",
        "Rooms": f"{rooms} of {len(specs)} clips in a pyroomacoustics shoebox room (image source method, "
                 "RT60 by inverse Sabine, measured RT60 in `rt60_measured_s`)",
        "Scene speech cues": _cue_fact(specs),
        "Augmentation": ", ".join(f"{name} ({n} clips)" for name, n in augment.most_common()) or "none",
        "QC": "achieved SNR within ±0.5 dB of the target, peak under the ceiling, no silent clip"
              + (f"; intelligibility gate: {gate}" if gate else "; no intelligibility gate in this recipe"),
    }
    return facts


_CUE_PLACES = {"before": "in the lead-in", "during": "under the request", "after": "after the speech"}


def _cue_fact(specs: list[SampleSpec]) -> str:
    """How many clips carry a background voice naming the scene, where, and how loud."""
    cued = [s for s in specs if s.cues]
    if not cued:
        return "none"
    places = Counter(c.anchor for s in cued for c in s.cues)
    levels = [c.cue_to_speech_db for s in cued for c in s.cues]
    return (f"{len(cued)} of {len(specs)} clips carry a background voice that names the scene (`speech_cues`): "
            + ", ".join(f"{n} {_CUE_PLACES[a]}" for a, n in places.most_common())
            + f"; {min(levels):.1f} to {max(levels):.1f} dB relative to the request, never the speaker's voice")


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return label
    return "100K<n<1M"
