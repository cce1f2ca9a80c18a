"""ASR seconds per clip for the intelligibility gate, and how well each decoding predicts the
measure (``listen.py``: faster-whisper's ``WhisperModel.transcribe`` with its defaults,
temperature fallback included): Whisper tiny.en (faster-whisper, int8) on the speech stems
and mixtures of a built (ideally ungated) dataset, through

- the gate's listener decoding (``FasterWhisperTranscriber.hear``: the same transcribe,
  greedy only; a transcript it would re-decode by sampling counts as failed),
- the batched greedy decoding in the 30 s window, in a 20 s window and in the clip's window.

Prints a markdown table: s/clip, ratio to the listener, and against listen.py's verdicts
(stem WER <= 0.1, mixture <= 0.25): verdicts differing, and clips the setting passes at the
gate's thresholds (stem 0.1, mixture 0.2) that listen.py fails ("false passes": what a
gated build would still ship unheard).

usage: python benchmarks/asr_batch.py DATASET_DIR [--n 40] [--threads 1]
"""

from __future__ import annotations

import argparse
import glob
import io
import time

import pyarrow.parquet as pq
import soundfile as sf

from aorgen.render.intelligibility import (FasterWhisperTranscriber, _to_whisper_rate, edit_distance, plain_words,
                                           strict_word_error_rate)


def listen_wer(reference: str, hypothesis: str) -> float:
    """listen.py's score: lowercase words without punctuation, jiwer-style WER."""
    ref, hyp = plain_words(reference), plain_words(hypothesis) or ["x"]
    return edit_distance(ref, hyp) / max(1, len(ref))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--n", type=int, default=40, help="clips (half stems, half mixtures)")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    rows = []
    for f in sorted(glob.glob(f"{a.dataset}/data/*/*.parquet")):
        if "minimal_pairs" not in f:
            rows += pq.read_table(f, columns=["transcript", "audio", "speech"]).to_pylist()
    rows = rows[:: max(1, len(rows) // (a.n // 2))][: a.n // 2]
    clips = [(sf.read(io.BytesIO(r[c]["bytes"]), dtype="float32"), r["transcript"], c)
             for r in rows for c in ("speech", "audio")]
    audio = [c[0] for c in clips]
    asr = FasterWhisperTranscriber(cpu_threads=a.threads, full_window=True)

    def listen() -> list[tuple[str, bool]]:
        out = []
        for x, _ in audio:
            segments, _ = asr.model.transcribe(x, language="en", beam_size=1, condition_on_previous_text=False)
            out.append((" ".join(s.text for s in segments), True))
        return out

    clipwin = FasterWhisperTranscriber(cpu_threads=a.threads, full_window=False)

    def greedy(frames: int | None):
        def run():
            if frames is None:  # the clip's own window
                return [(t, True) for t in clipwin.transcribe(audio, batch_size=1)]
            return [(asr._batch([_to_whisper_rate(x, sr)], frames)[0], True) for x, sr in audio]
        return run
    settings = [("listen.py's decoding (reference)", listen),
                ("gate: listener (greedy, unsure fails)", lambda: [asr.hear(x, sr) for x, sr in audio]),
                ("gate: greedy, 30 s window", greedy(3000)),
                ("gate: greedy, 20 s window", greedy(2000)),
                ("gate: greedy, clip window", greedy(None))]
    print(f"{len(clips)} clips, {sum(len(x) / sr for x, sr in audio) / len(clips):.1f} s each, {a.threads} threads")
    print("| decoding | s/clip | ratio | verdicts differing from listen.py | false passes |\n| --- | --- | --- | --- | --- |")
    reference = base_s = None
    for name, run in settings:
        start = time.perf_counter()
        heard = run()
        per_clip = (time.perf_counter() - start) / len(clips)
        verdicts = [listen_wer(ref, text) <= (0.1 if part == "speech" else 0.25)
                    for (_, ref, part), (text, _) in zip(clips, heard)]
        passes = [sure and strict_word_error_rate(ref, text) <= (0.1 if part == "speech" else 0.2)
                  for (_, ref, part), (text, sure) in zip(clips, heard)]
        if reference is None:
            reference = verdicts
        if base_s is None and name.startswith("gate: listener"):
            base_s = per_clip
        differ = sum(x != y for x, y in zip(verdicts, reference))
        false = sum(p and not r for p, r in zip(passes, reference))
        ratio = f"{per_clip / base_s:.2f}" if base_s else "-"
        print(f"| {name} | {per_clip:.2f} | {ratio} | {differ} of {len(clips)} | {false} of {sum(passes)} |", flush=True)


if __name__ == "__main__":
    main()
