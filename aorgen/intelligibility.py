"""Intelligibility check: transcribe synthesised speech with Whisper and flag clips whose word
error rate against the text the engine was given is above a threshold.

An optional build stage: a flagged clip is one a listener (or an audio model) may not hear
as written, so the recipe can drop it or draw another voice. Whisper runs through
``transformers`` (``WhisperForConditionalGeneration`` + ``WhisperProcessor``), loaded by Hub
name on a user's machine or from a local folder; torch and transformers are imported only
when a ``Transcriber`` is made. Decoding is greedy, so results are repeatable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from aorgen.errors import AorgenError, MissingExtra
from aorgen.textnorm import normalise

WHISPER_RATE = 16000
DEFAULT_MODEL = "openai/whisper-small.en"
DEFAULT_THRESHOLD = 0.3


def words(text: str) -> list[str]:
    """Words for scoring: numbers spelled out, lowercase, no punctuation (hyphens split)."""
    text = normalise(text).lower().replace("-", " ")
    return re.sub(r"[^\w\s]", "", text).split()


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two word sequences (substitutions, insertions, deletions)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edits needed to turn the hypothesis into the reference, per reference word."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


@dataclass(frozen=True)
class SpokenClip:
    """A synthesised line: its id, mono samples, and the text the engine was asked to say."""

    id: str
    samples: np.ndarray
    sample_rate: int
    text: str


@dataclass(frozen=True)
class ClipCheck:
    id: str
    reference: str
    transcript: str
    wer: float
    flagged: bool


class Transcriber:
    """Whisper speech recognition, on the GPU when torch sees one."""

    def __init__(self, model: str | Path = DEFAULT_MODEL, *, device: str | None = None,
                 language: str = "en", max_new_tokens: int = 128) -> None:
        try:
            import torch
            from transformers import WhisperForConditionalGeneration, WhisperProcessor
        except ImportError as exc:
            raise MissingExtra(exc.name or "transformers", extra="eval") from exc
        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self.processor = WhisperProcessor.from_pretrained(str(model))
            self.model = WhisperForConditionalGeneration.from_pretrained(str(model)).to(self.device).eval()
        except (OSError, ValueError) as exc:  # ValueError: neither a folder nor a Hub id
            raise AorgenError(f"cannot load Whisper model '{model}' ({exc})", field="intelligibility.model") from exc
        gen = self.model.generation_config
        max_new_tokens = min(max_new_tokens, self.model.config.max_target_positions // 2)
        self._generate_kwargs = {"max_new_tokens": max_new_tokens, "num_beams": 1, "do_sample": False}
        if getattr(gen, "is_multilingual", False):
            self._generate_kwargs.update(language=language, task="transcribe")

    def transcribe(self, audio: Sequence[tuple[np.ndarray, int]], batch_size: int = 8) -> list[str]:
        """The text Whisper hears in each (samples, sample_rate) clip (at most 30 s each)."""
        texts: list[str] = []
        for start in range(0, len(audio), batch_size):
            batch = [soxr.resample(np.asarray(x, np.float32), rate, WHISPER_RATE) if rate != WHISPER_RATE
                     else np.asarray(x, np.float32) for x, rate in audio[start : start + batch_size]]
            features = self.processor.feature_extractor(batch, sampling_rate=WHISPER_RATE, return_tensors="pt",
                                                        return_attention_mask=True)
            with self._torch.inference_mode():
                ids = self.model.generate(features.input_features.to(self.device, self.model.dtype),
                                          attention_mask=features.attention_mask.to(self.device),
                                          **self._generate_kwargs)
            texts.extend(t.strip() for t in self.processor.batch_decode(ids, skip_special_tokens=True))
        return texts


def check_intelligibility(clips: Iterable[SpokenClip], transcriber: Transcriber, *,
                          threshold: float = DEFAULT_THRESHOLD, batch_size: int = 8) -> list[ClipCheck]:
    """One result per clip, in order; ``flagged`` when its WER is above ``threshold``."""
    clips = list(clips)
    transcripts = transcriber.transcribe([(c.samples, c.sample_rate) for c in clips], batch_size=batch_size)
    checks = []
    for clip, transcript in zip(clips, transcripts):
        wer = word_error_rate(clip.text, transcript)
        checks.append(ClipCheck(clip.id, clip.text, transcript, round(wer, 4), wer > threshold))
    return checks
