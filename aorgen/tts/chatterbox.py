"""Chatterbox (Resemble AI's ``chatterbox-tts``, MIT): a 0.5B Llama text-to-speech-token model
(T3), a flow-matching token-to-mel decoder with a HiFi-GAN vocoder (S3Gen) and a voice
encoder; it clones the voice of a reference clip, and its ``exaggeration`` control sets the
emotional intensity.

The model is the ``model`` option or ``AORGEN_CHATTERBOX_MODEL``: a Hugging Face repo id
(default ``ResembleAI/chatterbox``, downloaded on first use by huggingface_hub) or a local
folder laid out as that repo is (``ve.safetensors``, ``t3_cfg.safetensors``,
``s3gen.safetensors``, ``tokenizer.json`` and, optionally, ``conds.pt``); both load through
``ChatterboxTTS.from_local``.

Voices: ``default`` is the model's built-in conditioning (``conds.pt``; MIT like the weights;
the model card gives no gender or accent, so it is "unknown" unless ``speakers.json`` says
otherwise). More voices are reference clips in the ``voices`` folder (``AORGEN_CHATTERBOX_VOICES``):
``NAME.wav`` is voice NAME, ``NAME.STYLE.wav`` (e.g. ``alice.angry.wav``) the clip used when a
line's style is STYLE, as for the Coqui engine. Cloning a recorded voice needs its licence:
``speakers.json`` there must give each clip ``{"license": SPDX id, "gender": ..., "accent": ...,
"license_note": ...}``, or the engine stops with one line naming the file.

Styles: ``calm`` and ``excited`` are rendered with Chatterbox's controls (exaggeration 0.3 /
0.75, cfg_weight 0.5 / 0.3, Resemble's advice for expressive speech), every other style only
where a styled reference clip exists; anything else is planned "neutral" (0.5 / 0.5, the
upstream defaults). Chatterbox has no rate or pitch control: rate time-stretches the output
(librosa's phase vocoder, pitch kept), pitch is not applied (``Voice.pitch`` is False).

Generation follows ``ChatterboxTTS.generate`` (chatterbox-tts 0.1.7) step by step, with two
changes: T3 may emit at most 25 + 5 * len(text) speech tokens (1 s plus 1 s per 5 characters,
at 25 tokens/s; upstream allows 1000 whatever the text, so a run-on generation costs 40 s of
audio) and the flow-matching steps are the ``cfm_steps`` option (upstream's 10 by default).
The Perth implicit watermark that Resemble applies to every clip is kept, applied last.
T3 samples and S3Gen draws noise: each synthesis runs under a torch seed derived from (voice,
text, prosody), so a line's samples are a pure function of it on CPU. torch and chatterbox
are imported when the engine is created, never by the core.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import json
import os
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from aorgen.content.voices import Voice
from aorgen.errors import AorgenError, MissingExtra
from aorgen.render.cache import content_key
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis
from aorgen.tts.model_source import ModelSource, digest_references, reference_clips

MODEL_ENV = "AORGEN_CHATTERBOX_MODEL"
VOICES_ENV = "AORGEN_CHATTERBOX_VOICES"
DEFAULT_MODEL = "ResembleAI/chatterbox"
FILES = ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json")
CONDS = "conds.pt"
DEFAULT_VOICE = "default"
SAMPLE_RATE = 24000
LICENSE = "MIT"
LICENSE_NOTE = ("Chatterbox weights and built-in voice: MIT (ResembleAI/chatterbox); "
                "clips carry Resemble's Perth implicit watermark")
# style -> (exaggeration, cfg_weight); "neutral" is chatterbox's default
NEUTRAL = (0.5, 0.5)
STYLE_CONTROLS = {"calm": (0.3, 0.5), "excited": (0.75, 0.3)}
SAMPLING = {"temperature": 0.8, "repetition_penalty": 1.2, "min_p": 0.05, "top_p": 1.0}  # generate()'s
MAX_TOKENS_BASE, MAX_TOKENS_PER_CHAR = 25, 5


def _import_chatterbox():
    """torch and chatterbox's modules, or MissingExtra naming the ``chatterbox`` extra."""
    try:
        import torch
        from chatterbox import tts
        from chatterbox.models import s3tokenizer
        from chatterbox.models.t3.modules.cond_enc import T3Cond

        t3 = importlib.import_module("chatterbox.models.t3.t3")
    except (ImportError, OSError) as exc:  # OSError: a torchaudio build that does not load
        missing = "torch" if getattr(exc, "name", None) == "torch" else "chatterbox-tts"
        raise MissingExtra(missing, extra="chatterbox") from exc
    if not getattr(t3.tqdm, "_aorgen_quiet", False):  # T3 draws a progress bar per clip
        t3.tqdm = functools.partial(t3.tqdm, disable=True)
        t3.tqdm._aorgen_quiet = True
    return torch, tts, s3tokenizer, T3Cond


def max_speech_tokens(text: str) -> int:
    """The most speech tokens T3 may emit for ``text``."""
    return MAX_TOKENS_BASE + MAX_TOKENS_PER_CHAR * len(text)


class _ChatterboxSource(ModelSource):
    """A Hugging Face repo id or a local folder with the repo's files."""

    def check(self) -> None:
        missing = [name for name in FILES if not (self.folder / name).is_file()]
        if missing:
            raise AorgenError(f"a Chatterbox model folder needs {', '.join(FILES)} (missing: {', '.join(missing)})",
                              file=self.folder, field="model")

    def has_builtin_voice(self) -> bool:
        return self.folder is None or (self.folder / CONDS).is_file()

    @cached_property
    def local(self) -> Path:
        """The folder itself, or the repo's snapshot in the Hugging Face cache (downloaded once)."""
        if self.folder is not None:
            return self.folder
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=self.spec, allow_patterns=[*FILES, CONDS]))


class ChatterboxEngine(SpeechEngine):
    """Chatterbox voices (built-in and cloned from reference clips), on the GPU when torch sees one."""

    name = "chatterbox"

    def __init__(self, model: str | None = None, voices: str | Path | None = None, device: str | None = None,
                 cfm_steps: int = 10, max_new_tokens: int = 1000) -> None:
        self._torch, self._tts, self._s3tokenizer, self._T3Cond = _import_chatterbox()
        self._source = _ChatterboxSource(model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL)
        if self._source.folder is not None:
            self._source.check()  # a bad folder fails now, naming the file
        voices = voices or os.environ.get(VOICES_ENV) or None
        self._voices_dir = Path(voices) if voices else None
        if self._voices_dir is not None and not self._voices_dir.is_dir():
            raise AorgenError("no such folder of reference voices", file=self._voices_dir, field="voices")
        self._references = reference_clips(self._voices_dir, field="voices")
        self._info = self._read_speakers()
        self.device = device or ("cuda" if self._torch.cuda.is_available() else "cpu")
        self.cfm_steps, self.max_new_tokens = cfm_steps, max_new_tokens
        self._lock = threading.Lock()
        self._conds: dict[tuple[str, str], object] = {}

    def _read_speakers(self) -> dict[str, dict]:
        """speakers.json of the voices folder; every reference voice needs a licence there."""
        path = self._voices_dir / "speakers.json" if self._voices_dir else None
        info = {}
        if path and path.is_file():
            try:
                info = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise AorgenError(f"invalid JSON ({exc})", file=path) from exc
        for name in self._references:
            if not info.get(name, {}).get("license"):
                raise AorgenError(f"reference voice '{name}' needs a licence (SPDX id) to be cloned",
                                  file=path or self._voices_dir, item=name, field="license")
        return info

    @cached_property
    def version(self) -> str:
        """chatterbox-tts, resemble-perth and torch versions, the device, the generation settings
        and the model: a digest of a local folder's files, or the Hub snapshot's commit; and
        of the reference clips."""
        sha = hashlib.sha256(repr((STYLE_CONTROLS, NEUTRAL, SAMPLING, MAX_TOKENS_BASE, MAX_TOKENS_PER_CHAR,
                                   self.cfm_steps, self.max_new_tokens)).encode())
        if self._source.folder is not None:
            self._source.digest(sha)
        else:
            sha.update(f"{self._source.spec}@{self._source.local.name}".encode())  # snapshots/<commit>
        digest_references(self._references, sha)
        packages = " ".join(f"{p} {importlib.metadata.version(p)}" for p in ("chatterbox-tts", "resemble-perth"))
        return f"{packages} torch {self._torch.__version__} {self.device} model={sha.hexdigest()[:16]}"

    @cached_property
    def _model(self):
        torch = self._torch
        with torch.random.fork_rng(devices=[]):  # parts a checkpoint lacks keep a fixed initialisation
            torch.manual_seed(0)
            return self._tts.ChatterboxTTS.from_local(self._source.local, self.device)

    def voices(self) -> list[Voice]:
        model = self._source.spec if self._source.folder is None else self._source.folder.name
        names = dict.fromkeys(([DEFAULT_VOICE] if self._source.has_builtin_voice() else []) + list(self._references))
        voices = []
        for name in names:
            info = self._info.get(name, {})
            clip_styles = {s for s in self._references.get(name, {}) if s}
            voices.append(Voice(engine=self.name, id=name, model=model, language="en",
                                accent=info.get("accent", "en"), gender=info.get("gender", "unknown"),
                                styles=tuple(sorted(clip_styles | set(STYLE_CONTROLS))), pitch=False,
                                license=info.get("license", LICENSE),
                                license_note=info.get("license_note", LICENSE_NOTE if name == DEFAULT_VOICE else "")))
        return voices

    def _conditionals(self, voice_id: str, style: str):
        """Chatterbox's conditioning for a voice: conds.pt, or one computed from its reference clip
        (the styled clip when there is one); held under the lock."""
        clips = self._references.get(voice_id)
        if clips is None and not (voice_id == DEFAULT_VOICE and self._source.has_builtin_voice()):
            known = [v.id for v in self.voices()]
            raise AorgenError(f"Chatterbox has no voice '{voice_id}' (known: {', '.join(known)})",
                              item=voice_id, field="voice")
        style = style if clips and style in clips else ""
        if (voice_id, style) not in self._conds:
            model = self._model
            if clips is None:
                self._conds[voice_id, style] = model.conds
            else:
                builtin = model.conds
                try:
                    model.prepare_conditionals(str(clips[style]), exaggeration=NEUTRAL[0])
                    self._conds[voice_id, style] = model.conds
                finally:
                    model.conds = builtin
        return self._conds[voice_id, style]

    def _generate(self, text: str, conds, exaggeration: float, cfg_weight: float) -> np.ndarray:
        """ChatterboxTTS.generate (0.1.7) with a text-length cap on speech tokens, without the
        watermark; mono float samples at 24 kHz."""
        torch, model = self._torch, self._model
        text = self._tts.punc_norm(text)
        tokens = model.tokenizer.text_to_tokens(text).to(self.device)
        tokens = torch.cat([tokens, tokens], dim=0)  # conditional and unconditional rows for CFG
        tokens = torch.nn.functional.pad(tokens, (1, 0), value=model.t3.hp.start_text_token)
        tokens = torch.nn.functional.pad(tokens, (0, 1), value=model.t3.hp.stop_text_token)
        t3_cond = self._T3Cond(speaker_emb=conds.t3.speaker_emb,
                               cond_prompt_speech_tokens=conds.t3.cond_prompt_speech_tokens,
                               emotion_adv=exaggeration * torch.ones(1, 1, 1)).to(device=self.device)
        with torch.inference_mode():
            speech = model.t3.inference(t3_cond=t3_cond, text_tokens=tokens, cfg_weight=cfg_weight,
                                        max_new_tokens=min(self.max_new_tokens, max_speech_tokens(text)),
                                        **SAMPLING)[0]
            speech = self._s3tokenizer.drop_invalid_tokens(speech)
            speech = speech[speech < self._s3tokenizer.SPEECH_VOCAB_SIZE].to(self.device)
            if not speech.numel():
                return np.zeros(0, dtype=np.float32)
            wav, _ = model.s3gen.inference(speech_tokens=speech, ref_dict=conds.gen, n_cfm_timesteps=self.cfm_steps)
        return wav.squeeze(0).float().cpu().numpy()

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> Synthesis:
        torch = self._torch
        exaggeration, cfg_weight = STYLE_CONTROLS.get(prosody.style, NEUTRAL)
        seed = int(content_key("chatterbox", voice.id, text, prosody)[:8], 16)
        with self._lock:
            conds = self._conditionals(voice.id, prosody.style)
            with torch.random.fork_rng(devices=[] if self.device == "cpu" else [self.device]):
                torch.manual_seed(seed)
                samples = self._generate(text, conds, exaggeration, cfg_weight)
            if samples.size and prosody.rate != 1.0:
                import librosa

                samples = librosa.effects.time_stretch(samples, rate=prosody.rate)
            if samples.size:
                samples = self._model.watermarker.apply_watermark(samples, sample_rate=SAMPLE_RATE)
        samples = np.asarray(samples, dtype=np.float32) * prosody.volume
        if not samples.size or not np.any(samples):
            raise AorgenError(f"Chatterbox could not speak {text!r}", item=voice.id, field="text")
        return Synthesis(np.clip(samples, -1.0, 1.0).astype(np.float32), SAMPLE_RATE)
