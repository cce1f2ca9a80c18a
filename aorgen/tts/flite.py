"""CMU Flite 2.2 through the ``flite`` program (Debian package ``flite``): small, fast,
offline and intelligible voices built into the binary.

Rate maps to Flite's ``duration_stretch``. Pitch maps to ``int_f0_target_mean`` (the mean
F0 the clustergen voices slt and awb aim at): the voice's own mean F0 times the pitch
factor. rms and the diphone voices ignore that feature, so their clips are planned at pitch
1.0 (``Voice.pitch``). No styles: every clip is "neutral". Output depends only on the text,
voice, rate and pitch (no random draws).
"""

from __future__ import annotations

import subprocess
from functools import cached_property

from aorgen.errors import AorgenError
from aorgen.tts._system import find_program, run_to_wav, versions
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis
from aorgen.content.voices import Voice

PACKAGE = "flite"
LICENSE = "LicenseRef-CMU-Flite"
LICENSE_NOTE = ("Flite and its CMU ARCTIC/diphone voices: CMU's BSD-style licence (free use, "
                "modification and redistribution with the notice kept); /usr/share/doc/flite/copyright")
# the mean F0 (Hz) of the voices whose pitch Flite can move: median autocorrelation F0 of
# their default rendering; with int_f0_target_mean = F, their output measures F within 3 %
BASE_F0 = {"slt": 170.0, "awb": 131.0}
# voice -> (gender, accent, note)
VOICES = {
    "slt": ("female", "en-us", "CMU ARCTIC slt, clustergen"),
    "rms": ("male", "en-us", "CMU ARCTIC rms, clustergen"),
    "awb": ("male", "en-gb-scotland", "CMU ARCTIC awb, clustergen"),
    "kal16": ("male", "en-us", "kal diphone, 16 kHz"),
    "kal": ("male", "en-us", "kal diphone, 8 kHz"),
}


class FliteEngine(SpeechEngine):
    name = "flite"

    def __init__(self) -> None:
        self._program = find_program("flite", PACKAGE)

    @cached_property
    def version(self) -> str:
        banner = subprocess.run([self._program, "--version"], capture_output=True, text=True).stdout
        line = next((l.strip() for l in banner.splitlines() if "version" in l), "")
        return f"{line} {versions([PACKAGE, 'libflite1'])} (aorgen flite engine r2)"

    @cached_property
    def _installed(self) -> set[str]:
        listing = subprocess.run([self._program, "-lv"], capture_output=True, text=True).stdout
        return set(listing.partition(":")[2].split())

    def voices(self) -> list[Voice]:
        return [Voice(engine=self.name, id=vid, model=f"flite {note}", language="en", accent=accent,
                      gender=gender, license=LICENSE, license_note=LICENSE_NOTE, pitch=vid in BASE_F0,
                      speaker=f"cmu-arctic-{vid}" if "ARCTIC" in note else "cmu-kal")
                for vid, (gender, accent, note) in VOICES.items() if vid in self._installed]

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> Synthesis:
        if voice.id not in VOICES or voice.id not in self._installed:
            raise AorgenError(f"flite has no voice '{voice.id}' (known: {', '.join(sorted(self._installed & set(VOICES)))})",
                              item=voice.id, field="voice")
        command = [self._program, "-voice", voice.id, "-f", "{text}", "-o", "{out}",
                   "--setf", f"duration_stretch={1.0 / prosody.rate:.4f}"]
        if voice.id in BASE_F0 and prosody.pitch != 1.0:
            command += ["--setf", f"int_f0_target_mean={BASE_F0[voice.id] * prosody.pitch:.2f}"]
        return run_to_wav(command, text=text, voice=voice.id, engine=self.name, volume=prosody.volume)
