"""Speech engines behind one interface, registered by name."""

from __future__ import annotations

import importlib

from aorgen.errors import AorgenError
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis

# name -> "module:Class"; a new engine is one file plus one line here.
ENGINES: dict[str, str] = {
    "espeak": "aorgen.tts.espeak:EspeakEngine",
    "piper": "aorgen.tts.piper:PiperEngine",
    "coqui": "aorgen.tts.coqui:CoquiEngine",
    "flite": "aorgen.tts.flite:FliteEngine",
    "festival": "aorgen.tts.festival:FestivalEngine",
    "rhvoice": "aorgen.tts.rhvoice:RHVoiceEngine",
    "kokoro": "aorgen.tts.kokoro:KokoroEngine",
}

_instances: dict[tuple[str, tuple], SpeechEngine] = {}


def get_engine(name: str, **options) -> SpeechEngine:
    """The engine registered as ``name`` (one instance per process and options)."""
    if name not in ENGINES:
        raise AorgenError(f"unknown speech engine '{name}' (known: {', '.join(sorted(ENGINES))})")
    key = (name, tuple(sorted(options.items())))
    if key not in _instances:
        module_name, cls_name = ENGINES[name].split(":")
        cls = getattr(importlib.import_module(module_name), cls_name)
        _instances[key] = cls(**options)
    return _instances[key]


__all__ = ["ENGINES", "Prosody", "SpeechEngine", "Synthesis", "get_engine"]
