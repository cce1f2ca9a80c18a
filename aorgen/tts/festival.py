"""The Festival Speech Synthesis System 2.5 through its ``text2wave`` script (Debian packages
``festival``, ``festvox-us-slt-hts``, ``festvox-kallpc16k``, ``festvox-kdlpc16k``).

Rate maps to Festival's ``Duration_Stretch`` (diphone voices) or the HTS engine's speed
option ``-r`` (HTS voices, which ignore Duration_Stretch). Pitch and styles are not applied (Festival's
intonation models differ per voice and have no common control; the HTS engine's half-tone
option ``-fm`` left the slt voice's F0 unchanged when tried), so clips are "neutral" and
planned at pitch 1.0 (``Voice.pitch``).
Each call is a fresh process, so the output depends only on the request.
"""

from __future__ import annotations

import subprocess
from functools import cached_property
from pathlib import Path

from aorgen.errors import AorgenError
from aorgen.tts._system import find_program, run_to_wav, versions
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis
from aorgen.content.voices import Voice

VOICE_ROOT = Path("/usr/share/festival/voices")
_EDINBURGH = ("Festival diphone voice (Alan W Black, Kevin Lenzo, CMU/Edinburgh): permissive, "
              "use/modify/redistribute with the notice kept and changes marked")
# voice -> (folder under VOICE_ROOT, package, gender, accent, licence, note)
VOICES = {
    "cmu_us_slt_arctic_hts": ("us/cmu_us_slt_arctic_hts", "festvox-us-slt-hts", "female", "en-us",
                              "LicenseRef-EST-2003",
                              "CMU ARCTIC slt HTS voice: CMU/EST-2003 and BSD-3-Clause (Nagoya Institute of "
                              "Technology) per /usr/share/doc/festvox-us-slt-hts/copyright"),
    "kal_diphone": ("english/kal_diphone", "festvox-kallpc16k", "male", "en-us", "LicenseRef-CMU-Festvox",
                    f"{_EDINBURGH}; /usr/share/doc/festvox-kallpc16k/copyright"),
    "ked_diphone": ("english/ked_diphone", "festvox-kdlpc16k", "male", "en-us", "LicenseRef-CMU-Festvox",
                    f"{_EDINBURGH}; /usr/share/doc/festvox-kdlpc16k/copyright"),
}
GENDER_OF = {vid: v[2] for vid, v in VOICES.items()}


class FestivalEngine(SpeechEngine):
    name = "festival"

    def __init__(self) -> None:
        self._program = find_program("text2wave", "festival")
        self._festival = find_program("festival", "festival")

    @cached_property
    def version(self) -> str:
        banner = subprocess.run([self._festival, "--version"], capture_output=True, text=True).stdout.strip()
        packages = ["festival", *sorted({v[1] for v in VOICES.values()})]
        return f"{banner} {versions(packages)} (aorgen festival engine r2)"

    def voices(self) -> list[Voice]:
        return [Voice(engine=self.name, id=vid, model=f"festival {vid}", language="en", accent=accent,
                      gender=gender, license=license, license_note=note, pitch=False,
                      speaker="cmu-arctic-slt" if "slt" in vid else f"cmu-{vid.split('_')[0]}")
                for vid, (folder, _, gender, accent, license, note) in VOICES.items()
                if (VOICE_ROOT / folder).is_dir()]

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> Synthesis:
        if voice.id not in VOICES:
            raise AorgenError(f"festival has no voice '{voice.id}' (known: {', '.join(VOICES)})",
                              item=voice.id, field="voice")
        folder, package = VOICES[voice.id][:2]
        if not (VOICE_ROOT / folder).is_dir():
            raise AorgenError(f"festival voice '{voice.id}' is missing (system package '{package}'); "
                              "install it with: sudo bash scripts/system-packages.sh voices",
                              item=voice.id, field="voice")
        if voice.id.endswith("_hts"):
            speed = f'(set! hts_engine_params (append hts_engine_params (list (list "-r" {prosody.rate:.4f}))))'
        else:
            speed = f"(Parameter.set 'Duration_Stretch {1.0 / prosody.rate:.4f})"
        command = [self._program, "-eval", f"(voice_{voice.id})", "-eval", speed, "-o", "{out}", "{text}"]
        return run_to_wav(command, text=text, voice=voice.id, engine=self.name, volume=prosody.volume)
