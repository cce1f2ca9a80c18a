"""ASR seconds per clip for the intelligibility gate, and what a faster setting costs in
verdicts: Whisper tiny.en (faster-whisper, int8) on the speech stems and mixtures of a built
dataset, through ``WhisperModel.transcribe`` (a 30 s window per clip, as listen.py hears)
and through the gate's ``FasterWhisperTranscriber`` with the 30 s window and with the
clip-sized window (loops re-heard in 30 s), at batch 1 and 8. Prints a markdown table: s/clip,
ratio to ``WhisperModel.transcribe``, and how many gate verdicts (stem WER <= 0.1, mixture
<= 0.25) differ from its.

usage: python benchmarks/asr_batch.py DATASET_DIR [--n 40] [--threads 2]
"""

from __future__ import annotations

import argparse
import glob
import io
import time

import pyarrow.parquet as pq
import soundfile as sf

from aorgen.render.intelligibility import FasterWhisperTranscriber, word_error_rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--n", type=int, default=40, help="clips (half stems, half mixtures)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    rows = []
    for f in sorted(glob.glob(f"{a.dataset}/data/*/*.parquet")):
        rows += pq.read_table(f, columns=["transcript", "audio", "speech"]).to_pylist()
    rows = rows[:: max(1, len(rows) // (a.n // 2))][: a.n // 2]
    clips = [(sf.read(io.BytesIO(r[c]["bytes"]), dtype="float32"), r["transcript"], 0.1 if c == "speech" else 0.25)
             for r in rows for c in ("speech", "audio")]
    audio = [c[0] for c in clips]
    full = FasterWhisperTranscriber(cpu_threads=a.threads, full_window=True)
    clipwin = FasterWhisperTranscriber(cpu_threads=a.threads)

    def one_at_a_time():
        out = []
        for x, sr in audio:
            segments, _ = full.model.transcribe(x, language="en", beam_size=1, temperature=0.0,
                                                without_timestamps=True, condition_on_previous_text=False)
            out.append(" ".join(s.text.strip() for s in segments).strip())
        return out

    settings = [("WhisperModel.transcribe, 30 s window", 1, one_at_a_time)]
    for name, asr in (("gate, 30 s window", full), ("gate, clip window", clipwin)):
        settings += [(name, b, lambda asr=asr, b=b: asr.transcribe(audio, batch_size=b)) for b in (1, 8)]
    print(f"{len(clips)} clips, {sum(len(x) / sr for x, sr in audio) / len(clips):.1f} s each, {a.threads} threads")
    print("| decoding | batch | s/clip | ratio | verdicts differing |\n| --- | --- | --- | --- | --- |")
    base = base_s = None
    for name, batch, run in settings:
        start = time.perf_counter()
        texts = run()
        per_clip = (time.perf_counter() - start) / len(clips)
        verdicts = [word_error_rate(ref, text) <= thr for (_, ref, thr), text in zip(clips, texts)]
        if base is None:
            base, base_s = verdicts, per_clip
        differ = sum(x != y for x, y in zip(verdicts, base))
        print(f"| {name} | {batch} | {per_clip:.2f} | {per_clip / base_s:.2f} | {differ} of {len(clips)} |", flush=True)


if __name__ == "__main__":
    main()
