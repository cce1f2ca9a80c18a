"""espeak-ng through the ``espeakng-loader`` wheel (bundled library and voice data, offline)."""

from __future__ import annotations

import ctypes
import json
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from aorgen.errors import AorgenError, require
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis
from aorgen.content.voices import Voice

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

_SERVER = Path(__file__).with_name("_espeak_server.py")


class EspeakEngine(SpeechEngine):
    """Formant synthesis: fast, robotic, 8 English accents × 11 male/female variants.

    Synthesis runs in a small server process (``_espeak_server.py``) that forks a pristine
    child per utterance, so output depends only on the request (see that module)."""

    name = "espeak"

    def __init__(self) -> None:
        loader = require("espeakng_loader", extra="core")
        self._library, self._data = loader.get_library_path(), loader.get_data_path()
        lib = ctypes.CDLL(self._library)
        lib.espeak_Info.restype = ctypes.c_char_p
        self._version = lib.espeak_Info(None).decode()
        self._lock = threading.Lock()
        self._server: subprocess.Popen | None = None
        self._server_pid = -1  # the process that started the server (workers start their own)
        self.sample_rate = 22050

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

    def _ensure_server(self) -> subprocess.Popen:
        if self._server is None or self._server_pid != os.getpid() or self._server.poll() is not None:
            self._server = subprocess.Popen(
                [sys.executable, "-S", str(_SERVER), self._library, self._data, str(os.getpid())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            )
            self._server_pid = os.getpid()
            rate = struct.unpack("<i", self._server.stdout.read(4))[0]
            if rate <= 0:
                raise AorgenError("espeak-ng failed to initialise from the espeakng-loader data")
            self.sample_rate = rate
        return self._server

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> Synthesis:
        rate_mul, pitch_mul, pitch_range = _STYLE_PROSODY.get(prosody.style, (1.0, 1.0, 50))
        request = {
            "voice": voice.id,
            "rate": round(_BASE_RATE_WPM * prosody.rate * rate_mul),
            "pitch": min(99, round(_BASE_PITCH * prosody.pitch * pitch_mul)),
            "range": pitch_range,
            "text": text,
        }
        with self._lock:
            server = self._ensure_server()
            server.stdin.write(json.dumps(request).encode() + b"\n")
            server.stdin.flush()
            header = server.stdout.read(8)
            if len(header) < 8:
                raise AorgenError("the espeak-ng server stopped unexpectedly", field="text")
            status, size = struct.unpack("<ii", header)
            samples = np.frombuffer(server.stdout.read(size), dtype=np.int16)
        if status == -2:
            raise AorgenError(f"espeak-ng has no voice '{voice.id}'", field="voice")
        if status != 0 or not len(samples):
            raise AorgenError(f"espeak-ng could not speak {text!r}", field="text")
        return Synthesis(samples.astype(np.float32) / 32768.0 * prosody.volume, self.sample_rate)
