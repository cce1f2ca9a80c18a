"""Kokoro-82M (the ``kokoro`` package, Apache-2.0): a StyleTTS 2 / iSTFTNet model with dozens
of American and British English voices.

The model is the ``model`` option or ``AORGEN_KOKORO_MODEL``: a Hugging Face repo id
(default ``hexgrad/Kokoro-82M``, downloaded on first use by huggingface_hub, as ``kokoro``
itself does) or a local folder holding ``config.json``, one ``*.pth`` checkpoint and a
``voices/`` folder of voice packs (``NAME.pt``), the layout of the Hugging Face repo. Voice ids
are the voice-pack names (``af_heart``, ``bm_george``): the first letter is the accent
(a = American, b = British), the second the gender (f, m). A voice pack is a [510, 1, 256]
tensor of style vectors, one per phoneme count.

G2P is misaki's English G2P (its gold and silver lexicons, shipped inside the package, with
espeak-ng for words outside them). misaki normally tags words with the spaCy model
``en_core_web_sm`` and downloads it when missing; aorgen uses it when it is installed and
otherwise tokenises with spaCy's built-in English tokenizer (no download, no tagger: the
lexicon then reads heteronyms such as "read" or "live" in their most common form). The G2P
in use is part of ``version``, so the two never share cached audio.

Kokoro's decoder draws random phases and noise: every synthesis runs under a torch seed
derived from (voice, text, prosody), so the samples are a pure function of the line on CPU.
Rate maps to Kokoro's speed; Kokoro has no pitch or style control (clips are "neutral").
torch, kokoro and misaki are imported when the engine is created, never by the core.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from aorgen.render.cache import content_key
from aorgen.errors import AorgenError, MissingExtra
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis
from aorgen.tts.model_source import ModelSource
from aorgen.content.voices import Voice

MODEL_ENV = "AORGEN_KOKORO_MODEL"
DEFAULT_MODEL = "hexgrad/Kokoro-82M"
SAMPLE_RATE = 24000
MAX_PHONEMES = 510  # a voice pack has one style vector per phoneme count up to this
SPACY_MODEL = "en_core_web_sm"
LICENSE = "Apache-2.0"
LICENSE_NOTE = "Kokoro-82M weights and voice packs: Apache-2.0 (hexgrad/Kokoro-82M model card)"
ACCENTS = {"a": "en-us", "b": "en-gb"}
GENDERS = {"f": "female", "m": "male"}
# The English voice packs of hexgrad/Kokoro-82M v1.0 (its VOICES.md).
VOICES = (
    "af_heart af_alloy af_aoede af_bella af_jessica af_kore af_nicole af_nova af_river af_sarah af_sky "
    "am_adam am_echo am_eric am_fenrir am_liam am_michael am_onyx am_puck am_santa "
    "bf_alice bf_emma bf_isabella bf_lily bm_daniel bm_fable bm_george bm_lewis"
).split()


def _import_kokoro():
    """torch, kokoro's KModel and misaki's English G2P modules, or MissingExtra naming the
    ``kokoro`` extra."""
    try:
        import torch
        from kokoro.model import KModel
        from misaki import en, espeak
    except ImportError as exc:
        missing = exc.name if exc.name in ("torch", "misaki") else "kokoro"
        raise MissingExtra(missing, extra="kokoro") from exc
    return torch, KModel, en, espeak


def voice_attributes(voice_id: str) -> tuple[str, str]:
    """(accent, gender) from a Kokoro voice name such as ``bf_emma``."""
    prefix = voice_id.partition("_")[0]
    if len(prefix) != 2 or prefix[0] not in ACCENTS:
        return "en", "unknown"
    return ACCENTS[prefix[0]], GENDERS.get(prefix[1], "unknown")


class _KokoroSource(ModelSource):
    """A Hugging Face repo id or a local folder with config.json, a .pth and voices/ (spec,
    folder and the digest of the folder's files)."""

    def files(self) -> tuple[Path, Path]:
        """(config.json, checkpoint) of a local folder."""
        folder = self.folder
        config = folder / "config.json"
        checkpoints = sorted(folder.glob("*.pth"))
        if not config.is_file() or len(checkpoints) != 1:
            raise AorgenError("a Kokoro model folder needs config.json and exactly one *.pth checkpoint",
                              file=folder, field="model")
        return config, checkpoints[0]

    def voice_names(self) -> list[str]:
        if self.folder is None:
            return list(VOICES)
        return sorted(p.stem for p in (self.folder / "voices").glob("*.pt"))


class KokoroEngine(SpeechEngine):
    """Kokoro-82M voices, on the GPU when torch sees one."""

    name = "kokoro"

    def __init__(self, model: str | None = None, device: str | None = None) -> None:
        self._torch, self._KModel, self._en, self._espeak = _import_kokoro()
        self._source = _KokoroSource(model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL)
        if self._source.folder is not None:
            self._source.files()  # a bad folder fails now, naming the file
        self.device = device or ("cuda" if self._torch.cuda.is_available() else "cpu")
        self._lock = threading.Lock()
        self._g2ps: dict[bool, object] = {}
        self._packs: dict[str, object] = {}

    @cached_property
    def g2p_mode(self) -> str:
        import spacy

        return f"misaki+{SPACY_MODEL}" if spacy.util.is_package(SPACY_MODEL) else "misaki+spacy-blank-en"

    @cached_property
    def version(self) -> str:
        """kokoro, misaki and torch versions, the device, the G2P and the model (a digest of a
        local folder's files)."""
        return (f"kokoro {importlib.metadata.version('kokoro')} misaki {importlib.metadata.version('misaki')} "
                f"torch {self._torch.__version__} {self.device} g2p={self.g2p_mode} "
                f"model={self._digest()}")

    def _digest(self) -> str:
        sha = hashlib.sha256(self._source.spec.encode())
        self._source.digest(sha)
        return sha.hexdigest()[:16]

    @cached_property
    def _model(self):
        source = self._source
        if source.folder is not None:
            config, checkpoint = source.files()
            model = self._KModel(repo_id=source.spec, config=str(config), model=str(checkpoint))
        else:
            model = self._KModel(repo_id=source.spec)  # config.json and weights from the Hub
        return model.to(self.device).eval()

    def _g2p(self, british: bool):
        """misaki's English G2P with espeak-ng for words outside its lexicons (offline)."""
        if british not in self._g2ps:
            en = self._en
            fallback = self._espeak.EspeakFallback(british=british)
            if self.g2p_mode.endswith(SPACY_MODEL):
                g2p = en.G2P(british=british, fallback=fallback, unk="")
            else:  # what en.G2P.__init__ sets, less the spaCy model it would download
                import spacy

                g2p = en.G2P.__new__(en.G2P)
                g2p.version, g2p.british, g2p.fallback, g2p.unk = None, british, fallback, ""
                g2p.nlp = spacy.blank("en")
                g2p.lexicon = en.Lexicon(british)
            self._g2ps[british] = g2p
        return self._g2ps[british]

    def _pack(self, voice_id: str):
        if voice_id not in self._packs:
            if voice_id not in self._source.voice_names():
                raise AorgenError(f"Kokoro has no voice '{voice_id}' (known: {', '.join(self._source.voice_names())})",
                                  item=voice_id, field="voice")
            if self._source.folder is not None:
                path = self._source.folder / "voices" / f"{voice_id}.pt"
            else:
                from huggingface_hub import hf_hub_download

                path = hf_hub_download(repo_id=self._source.spec, filename=f"voices/{voice_id}.pt")
            pack = self._torch.load(path, map_location="cpu", weights_only=True)
            if pack.dim() != 3 or pack.shape[0] < MAX_PHONEMES or pack.shape[1:] != (1, 256):
                raise AorgenError(f"voice pack of shape {tuple(pack.shape)}, expected [510, 1, 256]",
                                  file=path, field="voice")
            self._packs[voice_id] = pack
        return self._packs[voice_id]

    def voices(self) -> list[Voice]:
        model = self._source.spec if self._source.folder is None else self._source.folder.name
        return [Voice(engine=self.name, id=vid, model=model, language="en", accent=accent, gender=gender,
                      license=LICENSE, license_note=LICENSE_NOTE)
                for vid in self._source.voice_names() for accent, gender in [voice_attributes(vid)]]

    def phonemes(self, text: str, voice_id: str) -> str:
        """The phoneme string Kokoro speaks for ``text`` in the voice's accent."""
        phonemes, _ = self._g2p(british=voice_attributes(voice_id)[0] == "en-gb")(text)
        return phonemes.strip()

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> Synthesis:
        pack = self._pack(voice.id)
        torch = self._torch
        with self._lock:
            phonemes = self.phonemes(text, voice.id)
            if not phonemes:
                raise AorgenError(f"Kokoro's G2P gave no phonemes for {text!r}", item=voice.id, field="text")
            if len(phonemes) > MAX_PHONEMES:
                raise AorgenError(f"text too long for Kokoro ({len(phonemes)} phonemes > {MAX_PHONEMES})",
                                  item=voice.id, field="text")
            model = self._model
            seed = int(content_key("kokoro", voice.id, text, prosody)[:8], 16)
            with torch.random.fork_rng(devices=[] if self.device == "cpu" else [self.device]):
                torch.manual_seed(seed)
                audio = model(phonemes, pack[len(phonemes) - 1], prosody.rate)
        samples = audio.float().numpy() * prosody.volume
        if not samples.size or not np.any(samples):
            raise AorgenError(f"Kokoro could not speak {text!r}", item=voice.id, field="text")
        return Synthesis(np.clip(samples, -1.0, 1.0).astype(np.float32), SAMPLE_RATE)
