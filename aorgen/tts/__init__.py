"""Speech engines behind one interface, registered by name."""

from __future__ import annotations

from aorgen.common.registry import Registry
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis

# name -> "module:Class"; a new engine is one file plus one line here.
ENGINES = Registry("speech engine", {
    "espeak": "aorgen.tts.espeak:EspeakEngine",
    "piper": "aorgen.tts.piper:PiperEngine",
    "coqui": "aorgen.tts.coqui:CoquiEngine",
    "flite": "aorgen.tts.flite:FliteEngine",
    "festival": "aorgen.tts.festival:FestivalEngine",
    "rhvoice": "aorgen.tts.rhvoice:RHVoiceEngine",
    "kokoro": "aorgen.tts.kokoro:KokoroEngine",
    "chatterbox": "aorgen.tts.chatterbox:ChatterboxEngine",
})

_instances: dict[tuple[str, tuple], SpeechEngine] = {}


def get_engine(name: str, **options) -> SpeechEngine:
    """The engine registered as ``name`` (one instance per process and options)."""
    ENGINES.check(name)
    key = (name, tuple(sorted(options.items())))
    if key not in _instances:
        _instances[key] = ENGINES.load(name)(**options)
    return _instances[key]


__all__ = ["ENGINES", "Prosody", "SpeechEngine", "Synthesis", "get_engine"]
