"""espeak-ng through the ``espeakng-loader`` wheel (bundled library and voice data, offline)."""

from __future__ import annotations

import ctypes
import os
import struct
import threading

import numpy as np

from aorgen.errors import AorgenError, require
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis
from aorgen.voices import Voice

# espeak-ng language id -> accent label recorded on every row.
ACCENTS = {
    "en-us": "en-us",
    "en-us-nyc": "en-us-nyc",
    "en": "en-gb",
    "en-gb-x-rp": "en-gb-rp",
    "en-gb-scotland": "en-gb-scotland",
    "en-gb-x-gbclan": "en-gb-lancashire",
    "en-gb-x-gbcwmd": "en-gb-westmidlands",
    "en-029": "en-caribbean",
}
# variant -> gender (from espeak-ng's voices/!v files)
VARIANTS = {
    **{f"f{i}": "female" for i in range(1, 6)},
    **{f"m{i}": "male" for i in (1, 2, 3, 4, 6, 7)},
}
_BASE_RATE_WPM = 165
_BASE_PITCH = 50
_STYLE_PROSODY = {  # espeak has no emotions; styles shift rate/pitch/range a little
    "excited": (1.12, 1.15, 75),
    "urgent": (1.15, 1.05, 60),
    "calm": (0.92, 0.95, 35),
    "sad": (0.88, 0.9, 25),
    "happy": (1.05, 1.1, 70),
    "angry": (1.08, 0.95, 70),
    "fearful": (1.1, 1.12, 65),
    "whisper": (0.95, 1.0, 30),
}

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class EspeakEngine(SpeechEngine):
    """Formant synthesis: fast, robotic, 8 English accents × 11 male/female variants."""

    name = "espeak"

    def __init__(self) -> None:
        loader = require("espeakng_loader", extra="core")
        self._lib = ctypes.CDLL(loader.get_library_path())
        self._lib.espeak_Info.restype = ctypes.c_char_p
        self._lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # keep a reference: C holds the pointer
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, loader.get_data_path().encode(), 0
        )
        if rate <= 0:
            raise AorgenError("espeak-ng failed to initialise from the espeakng-loader data")
        self.sample_rate = int(rate)
        self._lib.espeak_SetSynthCallback(self._callback)
        self._version = self._lib.espeak_Info(None).decode()

    @property
    def version(self) -> str:
        return f"espeak-ng {self._version} (aorgen espeak engine r2)"

    def voices(self) -> list[Voice]:
        return [
            Voice(
                engine=self.name,
                id=f"{lang}+{variant}",
                model="espeak-ng",
                language="en",
                accent=accent,
                gender=gender,
                styles=tuple(sorted(_STYLE_PROSODY)),
            )
            for lang, accent in ACCENTS.items()
            for variant, gender in VARIANTS.items()
        ]

    def _collect(self, wav, numsamples, events) -> int:
        if numsamples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
        return 0

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> Synthesis:
        """Synthesise in a forked child, so the library's internal state (jitter, flutter and
        echo buffers that persist between utterances) is the pristine post-initialisation
        state every time: the same text, voice and prosody always give the same samples."""
        with self._lock:
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # child: synthesise, send the samples, exit without cleanup
                try:
                    os.close(read_fd)
                    status, samples = self._synthesize_here(text, voice, prosody)
                    with os.fdopen(write_fd, "wb") as out:
                        out.write(struct.pack("<i", status) + samples.tobytes())
                finally:
                    os._exit(0)
            os.close(write_fd)
            with os.fdopen(read_fd, "rb") as inp:
                blob = inp.read()
            os.waitpid(pid, 0)
        status = struct.unpack("<i", blob[:4])[0] if len(blob) >= 4 else -1
        samples = np.frombuffer(blob[4:], dtype=np.int16)
        if status == -2:
            raise AorgenError(f"espeak-ng has no voice '{voice.id}'", field="voice")
        if status != 0 or not len(samples):
            raise AorgenError(f"espeak-ng could not speak {text!r}", field="text")
        return Synthesis(samples.astype(np.float32) / 32768.0 * prosody.volume, self.sample_rate)

    def _synthesize_here(self, text: str, voice: Voice, prosody: Prosody) -> tuple[int, np.ndarray]:
        rate_mul, pitch_mul, pitch_range = _STYLE_PROSODY.get(prosody.style, (1.0, 1.0, 50))
        self._chunks = []
        # breath noise and jitter come from libc's rand() and espeak's own generator
        ctypes.CDLL(None).srand(0)
        self._lib.espeak_ng_SetRandSeed(0)
        if self._lib.espeak_SetVoiceByName(voice.id.encode()) != 0:
            return -2, np.zeros(0, np.int16)
        self._lib.espeak_SetParameter(_RATE, round(_BASE_RATE_WPM * prosody.rate * rate_mul), 0)
        self._lib.espeak_SetParameter(_PITCH, min(99, round(_BASE_PITCH * prosody.pitch * pitch_mul)), 0)
        self._lib.espeak_SetParameter(_RANGE, pitch_range, 0)
        self._lib.espeak_SetParameter(_VOLUME, 100, 0)
        data = text.encode("utf-8") + b"\0"
        status = self._lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        self._lib.espeak_Synchronize()
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return status, samples.astype(np.int16)
