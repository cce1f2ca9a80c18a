"""Real-time factor of the neural engines on a real checkpoint (synthesis seconds / audio
seconds, median and p90 over benchmark sentences, model loading excluded), per voice, on the
GPU when torch sees one. Prints a markdown table.

    pip install 'aorgen[kokoro]'
    python benchmarks/neural_rtf.py                          # Kokoro-82M from the Hub
    AORGEN_KOKORO_MODEL=/path/to/Kokoro-82M python benchmarks/neural_rtf.py --sentences 10
    python benchmarks/neural_rtf.py --voices af_heart,bm_george
    python benchmarks/neural_rtf.py --engine chatterbox      # ResembleAI/chatterbox, its built-in voice

The weights must be reachable (network, or a local copy of the Hugging Face repo): the tests'
toy models have random weights and Kokoro's fixed 1024-wide decoder, so their RTF says nothing
about a real voice. The figure belongs to a machine with network and, for the release, a GPU.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tts_rtf import measure, sentences  # noqa: E402

from aorgen.tts import get_engine  # noqa: E402
from aorgen.content.voices import Voice  # noqa: E402

DEFAULT_VOICES = {"kokoro": "af_heart,am_michael,bf_emma,bm_george", "chatterbox": "default"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--engine", choices=sorted(DEFAULT_VOICES), default="kokoro")
    parser.add_argument("--voices", help=f"comma-separated voice ids (default: {DEFAULT_VOICES})")
    args = parser.parse_args()
    texts = sentences(args.sentences)
    engine = get_engine(args.engine)
    print(f"{len(texts)} sentences; {engine.version}\n")
    print("| engine | voice | device | median RTF | p90 RTF | mean audio s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for voice_id in (args.voices or DEFAULT_VOICES[args.engine]).split(","):
        r = measure(engine, Voice(engine=args.engine, id=voice_id), texts)
        print(f"| {args.engine} | {voice_id} | {engine.device} | {r['median']:.3f} | {r['p90']:.3f} | {r['audio_s']:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
