"""Coqui TTS models (the ``coqui-tts`` package): multi-speaker VITS, XTTS v2 and the rest.

Models come from the ``models`` option or ``AORGEN_COQUI_MODELS`` (``os.pathsep``-separated):
each is a Coqui model name (``tts_models/en/vctk/vits``, downloaded by coqui-tts on first use)
or a local folder holding ``config.json`` and the checkpoint. Voice ids are ``MODEL#SPEAKER``
where MODEL is the model name, or the folder's name for a local model. Models that clone
voices (XTTS) also get one voice per reference clip in the ``references`` folder
(``AORGEN_COQUI_REFERENCES``): ``NAME.wav`` is voice ``MODEL#ref:NAME``, and ``NAME.STYLE.wav``
(e.g. ``alice.angry.wav``) is the clip used when a line's style is STYLE — XTTS takes voice
and emotion from the reference. An optional ``speakers.json`` there gives
``{"NAME": {"gender": ..., "accent": ...}}``.

Every synthesis runs under a torch seed derived from (voice, text, prosody), so VITS's noise
and XTTS's sampling are a pure function of the line (bit-exact on CPU). Rate maps to VITS's
length scale and XTTS's speed; pitch is not controllable and is ignored. torch and coqui-tts
are imported when the engine is created, never by the core.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from aorgen.render.cache import content_key
from aorgen.errors import AorgenError, MissingExtra
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis
from aorgen.tts.model_source import ModelSource, digest_references, reference_clips
from aorgen.content.voices import Voice

MODELS_ENV = "AORGEN_COQUI_MODELS"
REFERENCES_ENV = "AORGEN_COQUI_REFERENCES"
DEFAULT_MODELS = ("tts_models/en/vctk/vits",)
SPEAKER_SEP = "#"
REFERENCE_PREFIX = "ref:"
CHECKPOINT_NAMES = ("model.pth", "model_file.pth", "best_model.pth", "checkpoint.pth")

# VCTK's speaker-info.txt (gender and accent of each speaker), by aorgen accent label.
_VCTK = {
    "en-gb": "F225 M226 M227 F228 F229 F230 F231 M232 F233 F236 F239 F240 M243 F244 F250 M254 "
             "M256 F257 M258 M259 F267 F268 F269 M270 M273 M274 F276 F277 M278 M279 F282 M286 M287",
    "en-gb-scotland": "F234 M237 M241 M246 M247 F249 M252 M255 M260 F262 M263 F264 F265 M271 "
                      "M272 M275 M281 M284 M285",
    "en-gb-northernireland": "F238 F261 M292 F293 M304 F351",
    "en-gb-wales": "F253",
    "en-ie": "M245 F266 F283 F288 F295 M298 F313 F340 M364",
    "en-in": "F248 M251 M376",
    "en-us": "F294 F297 F299 F300 F301 F305 F306 F308 F310 M311 M315 F318 F329 F330 F333 M334 "
             "F339 F341 M345 M360 F361 F362",
    "en-ca": "M302 F303 F307 F312 M316 F317 F343 M363",
    "en-za": "F314 F323 F336 M347",
    "en-au": "M326 M374",
    "en-nz": "F335",
    "en": "F280",
}
VCTK_SPEAKERS: dict[str, tuple[str, str]] = {
    f"p{code[1:]}": ("female" if code[0] == "F" else "male", accent)
    for accent, codes in _VCTK.items() for code in codes.split()
}


def _import_coqui():
    """torch and coqui-tts's API, or MissingExtra naming the ``coqui`` extra."""
    try:
        import torch
        from TTS.api import TTS
    except (ImportError, OSError) as exc:  # OSError: a torchaudio build that does not load
        missing = "torch" if getattr(exc, "name", None) == "torch" else "coqui-tts"
        raise MissingExtra(missing, extra="coqui") from exc
    _read_references_with_soundfile()
    return torch, TTS


def _read_references_with_soundfile() -> None:
    """XTTS reads reference clips with ``torchaudio.load``, which needs torchcodec and FFmpeg's
    shared libraries. Swap in a soundfile reader with the same contract (mono float tensor of
    shape [1, T] at ``sampling_rate``, resampled with torchaudio's pure-torch resampler), so the
    engine needs neither."""
    import soundfile as sf
    import torch
    import torchaudio.functional
    from TTS.tts.models import xtts

    def load_audio(audiopath, sampling_rate):
        samples, rate = sf.read(str(audiopath), dtype="float32", always_2d=True)
        audio = torch.from_numpy(samples.mean(axis=1)).unsqueeze(0)
        if rate != sampling_rate:
            audio = torchaudio.functional.resample(audio, rate, sampling_rate)
        return audio.clamp_(-1.0, 1.0)

    xtts.load_audio = load_audio


class _CoquiSource(ModelSource):
    """A Coqui model name or a local folder with config.json and a checkpoint."""

    def checkpoint(self) -> Path:
        folder = self.folder
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if config.get("model") == "xtts":  # XTTS loads itself from its folder
            return folder
        for name in CHECKPOINT_NAMES:
            if (folder / name).is_file():
                return folder / name
        found = sorted(p for p in folder.glob("*.pth") if not p.name.startswith("speaker"))
        if not found:
            raise AorgenError("no checkpoint (*.pth) beside config.json", file=folder, field="models")
        return found[-1]


class CoquiEngine(SpeechEngine):
    """Neural voices from coqui-tts, on the GPU when torch sees one."""

    name = "coqui"

    def __init__(self, models: str | Sequence[str] | None = None, references: str | Path | None = None,
                 language: str = "en", device: str | None = None) -> None:
        self._torch, self._TTS = _import_coqui()
        if models is None:
            models = [m for m in os.environ.get(MODELS_ENV, "").split(os.pathsep) if m] or DEFAULT_MODELS
        elif isinstance(models, str):
            models = [models]
        self._sources = {s.key: s for s in map(_CoquiSource, models)}
        references = references or os.environ.get(REFERENCES_ENV) or None
        self._references_dir = Path(references) if references else None
        self._references = reference_clips(self._references_dir)
        self._speaker_info = self._read_speaker_info()
        self.language = language
        self.device = device or ("cuda" if self._torch.cuda.is_available() else "cpu")
        self._models: dict[str, object] = {}
        self._lock = threading.Lock()

    def _read_speaker_info(self) -> dict[str, dict]:
        path = self._references_dir / "speakers.json" if self._references_dir else None
        if not path or not path.is_file():
            return {}
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise AorgenError(f"invalid JSON ({exc})", file=path) from exc

    @cached_property
    def version(self) -> str:
        """coqui-tts and torch versions, the device, the model names and a digest of local
        model folders and reference clips (their content decides the audio)."""
        sha = hashlib.sha256()
        for key in sorted(self._sources):
            self._sources[key].digest(sha)
        digest_references(self._references, sha)
        return (f"coqui-tts {importlib.metadata.version('coqui-tts')} torch {self._torch.__version__} "
                f"{self.device} models={sha.hexdigest()[:16]}")

    def _model(self, key: str):
        if key not in self._sources:
            raise AorgenError(f"unknown Coqui model '{key}' (set {MODELS_ENV}; known: "
                              f"{', '.join(sorted(self._sources))})", field="voice")
        with self._lock:
            if key not in self._models:
                source = self._sources[key]
                if source.folder:
                    tts = self._TTS(model_path=str(source.checkpoint()),
                                    config_path=str(source.folder / "config.json"), progress_bar=False)
                else:
                    tts = self._TTS(source.spec, progress_bar=False)
                self._models[key] = tts.to(self.device)
            return self._models[key]

    def voices(self) -> list[Voice]:
        voices = []
        for key in self._sources:
            tts = self._model(key)
            model = tts.synthesizer.tts_model
            for speaker in tts.speakers or ([] if model.config.supports_cloning else [""]):
                gender, accent = VCTK_SPEAKERS.get(speaker.strip(), ("unknown", self.language))
                voices.append(Voice(engine=self.name, id=f"{key}{SPEAKER_SEP}{speaker}".rstrip(SPEAKER_SEP),
                                    model=key, language=self.language, accent=accent, gender=gender))
            if model.config.supports_cloning:
                for name, styles in self._references.items():
                    info = self._speaker_info.get(name, {})
                    voices.append(Voice(
                        engine=self.name, id=f"{key}{SPEAKER_SEP}{REFERENCE_PREFIX}{name}", model=key,
                        language=self.language, accent=info.get("accent", self.language),
                        gender=info.get("gender", "unknown"), styles=tuple(sorted(s for s in styles if s)),
                    ))
        return voices

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> Synthesis:
        key, _, speaker = voice.id.partition(SPEAKER_SEP)
        tts = self._model(key)
        model = tts.synthesizer.tts_model
        kwargs: dict = {"language": self.language if tts.is_multi_lingual else None}
        if speaker.startswith(REFERENCE_PREFIX):
            styles = self._references.get(speaker.removeprefix(REFERENCE_PREFIX))
            if styles is None:
                raise AorgenError(f"no reference clip for '{speaker}' in {self._references_dir}",
                                  item=voice.id, field="voice")
            kwargs["speaker_wav"] = str(styles.get(prosody.style, styles[""]))
        elif speaker:
            if speaker not in (tts.speakers or []):
                raise AorgenError(f"Coqui model '{key}' has no speaker '{speaker}'", item=voice.id, field="voice")
            kwargs["speaker"] = speaker
        if model.config.model == "xtts":
            kwargs["speed"] = prosody.rate
        seed = int(content_key("coqui", voice.id, text, prosody)[:8], 16)
        torch = self._torch
        with self._lock, torch.random.fork_rng(devices=[] if self.device == "cpu" else [self.device]):
            torch.manual_seed(seed)
            base_length = getattr(model, "length_scale", None)
            if base_length is not None and "speed" not in kwargs:
                model.length_scale = base_length / prosody.rate
            try:
                wav = tts.tts(text, **kwargs)
            finally:
                if base_length is not None:
                    model.length_scale = base_length
        # the synthesizer pads every sentence with zeros: keep the pauses, drop the tail
        samples = np.trim_zeros(np.asarray(wav, dtype=np.float32), "b") * prosody.volume
        if not samples.size or not np.any(samples):
            raise AorgenError(f"Coqui could not speak {text!r}", item=voice.id, field="text")
        return Synthesis(np.clip(samples, -1.0, 1.0), int(tts.synthesizer.output_sample_rate))
