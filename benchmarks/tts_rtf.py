"""Speech synthesis real-time factor (synthesis seconds / audio seconds; below 1 is faster than
real time), median and 90th percentile over benchmark sentences, per engine available here.
Model loading is excluded (one warm-up call per voice). Prints a markdown table.

    python benchmarks/tts_rtf.py                 # 20 sentences from templates/pseudo_harmful
    python benchmarks/tts_rtf.py --sentences 5

Engines: espeak (always); flite, festival, rhvoice where their system packages are installed; piper with a tiny random 3-speaker VITS built like the tests' (label
"tiny") and with the bundled en_US-joe-medium voice if installed; coqui with a tiny random
VITS if coqui-tts is importable (run this script through .ci/coqui_env.sh to include it).
Tiny models measure the engine's overhead, not a real voice's speed.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tiny-model builders live beside their tests (tests/tts/)

from aorgen.content.textnorm import normalise  # noqa: E402
from aorgen.tts import Prosody, get_engine  # noqa: E402
from aorgen.content.voices import Voice  # noqa: E402


def sentences(n: int) -> list[str]:
    texts = []
    for path in sorted((ROOT / "templates" / "pseudo_harmful").glob("*.yaml")):
        texts += [s["text"] for s in yaml.safe_load(path.read_text())["scripts"] if "{" not in s["text"]]
    return [normalise(t) for t in texts[:: max(1, len(texts) // n)][:n]]


def measure(engine, voice: Voice, texts: list[str]) -> dict:
    engine.synthesize(texts[0], voice, Prosody())  # warm-up: loads the model
    rtfs, audio = [], []
    for text in texts:
        start = time.perf_counter()
        out = engine.synthesize(text, voice, Prosody())
        seconds = len(out.samples) / out.sample_rate
        rtfs.append((time.perf_counter() - start) / seconds)
        audio.append(seconds)
    rtfs.sort()
    return {"median": statistics.median(rtfs), "p90": rtfs[int(0.9 * (len(rtfs) - 1))],
            "audio_s": statistics.mean(audio)}


def candidates(tmp: Path):
    """(label, engine, voice) for every engine that runs here."""
    espeak = get_engine("espeak")
    yield "espeak (formant)", espeak, Voice(engine="espeak", id="en-us+m3")
    for name, voice_id in (("flite", "slt"), ("flite", "kal16"), ("festival", "cmu_us_slt_arctic_hts"),
                           ("festival", "kal_diphone"), ("rhvoice", "clb")):
        try:
            yield f"{name} (system program, a process per clip)", get_engine(name), Voice(engine=name, id=voice_id)
        except Exception as exc:  # noqa: BLE001 - not installed here: go on with the others
            print(f"{name} skipped: {exc}", file=sys.stderr)
    try:
        from aorgen.tts.piper import PiperEngine
        from tests.tts.test_piper import build_tiny_piper_voice

        tiny = build_tiny_piper_voice(tmp / "piper")
        piper = PiperEngine(voices=tiny.parent)
        yield "piper, tiny random VITS (16 kHz)", piper, Voice(engine="piper", id=f"{tiny.stem}#alice")
        if any(v.id == "en_US-joe-medium" for v in piper.voices()):
            yield "piper, en_US-joe-medium (real, 22 kHz)", piper, Voice(engine="piper", id="en_US-joe-medium")
    except Exception as exc:  # noqa: BLE001 - report and go on with the other engines
        print(f"piper skipped: {exc}", file=sys.stderr)
    try:
        from aorgen.tts.coqui import CoquiEngine
        from tests.tts.test_coqui import build_tiny_vits, coqui_available

        if coqui_available():
            folder = build_tiny_vits(tmp / "coqui" / "tiny_vctk_vits")
            yield "coqui, tiny random VITS (16 kHz)", CoquiEngine(models=[str(folder)]), \
                Voice(engine="coqui", id="tiny_vctk_vits#p225")
        else:
            print("coqui skipped: coqui-tts not importable (run via .ci/coqui_env.sh)", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001
        print(f"coqui skipped: {exc}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=20)
    args = parser.parse_args()
    texts = sentences(args.sentences)
    print(f"{len(texts)} sentences, {platform.processor() or platform.machine()}, CPU\n")
    print("| engine | voice | median RTF | p90 RTF | mean audio s |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for label, engine, voice in candidates(Path(tmp)):
            r = measure(engine, voice, texts)
            print(f"| {label} | {voice.id} | {r['median']:.3f} | {r['p90']:.3f} | {r['audio_s']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
