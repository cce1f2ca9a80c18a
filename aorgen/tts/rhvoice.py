"""RHVoice 1.8 through ``RHVoice-test`` (Debian packages ``rhvoice`` and ``rhvoice-english``,
the latter in Debian's non-free section because its voices are trained models without
their training scripts).

Voices are read from the installed voice folders (``voice.info``: name, language, gender).
Rate and pitch map to RHVoice's percent controls (100 = the voice's default); RHVoice has no
styles, so clips are "neutral". RHVoice's statistical synthesis draws nothing at random: the
same request gives the same samples.

Licences: the engine and the English voices alan, bdl, clb and slt are LGPL-2.1+ per Debian's
copyright file (CMU ARCTIC recordings); the Russian-speaker English voices evgeniy-eng and
lyubov are CC-BY-NC-ND-4.0 (their README), which a recipe can exclude with
``exclude_license: [NC, ND]``.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from aorgen.errors import AorgenError
from aorgen.tts._system import find_program, require_path, run_to_wav, versions
from aorgen.tts.base import Prosody, SpeechEngine, Synthesis
from aorgen.content.voices import Voice

VOICE_ROOT = Path("/usr/share/RHVoice/voices")
PACKAGES = ("rhvoice", "rhvoice-english")
_LGPL_NOTE = "RHVoice English voice (CMU ARCTIC data): LGPL-2.1+ per /usr/share/doc/rhvoice-english/copyright"
_NC_ND_NOTE = ("CC-BY-NC-ND-4.0 (non-commercial, no derivatives) per the voice's Readme-en.txt; "
               "integration needs the authors' permission")
# voice -> (accent, licence, note); gender and language come from voice.info
ARCTIC = {"bdl", "clb", "slt"}  # built from the CMU ARCTIC speakers of those names
VOICES = {
    "alan": ("en-gb-scotland", "LGPL-2.1-or-later", _LGPL_NOTE),
    "bdl": ("en-us", "LGPL-2.1-or-later", _LGPL_NOTE),
    "clb": ("en-us", "LGPL-2.1-or-later", _LGPL_NOTE),
    "slt": ("en-us", "LGPL-2.1-or-later", _LGPL_NOTE),
    "evgeniy-eng": ("en-ru", "CC-BY-NC-ND-4.0", _NC_ND_NOTE),
    "lyubov": ("en-ru", "CC-BY-NC-ND-4.0", _NC_ND_NOTE),
}


def _info(folder: Path) -> dict[str, str]:
    lines = (folder / "voice.info").read_text(encoding="utf-8", errors="replace").splitlines()
    return {k.strip(): v.strip() for k, _, v in (l.partition("=") for l in lines) if k}


class RHVoiceEngine(SpeechEngine):
    name = "rhvoice"

    def __init__(self) -> None:
        self._program = find_program("RHVoice-test", "rhvoice")
        require_path(VOICE_ROOT, "rhvoice-english")

    @cached_property
    def version(self) -> str:
        return f"RHVoice {versions(PACKAGES)} (aorgen rhvoice engine r1)"

    @cached_property
    def _installed(self) -> dict[str, dict[str, str]]:
        found = {}
        for folder in sorted(VOICE_ROOT.iterdir()):
            if (folder / "voice.info").is_file():
                info = _info(folder)
                if info.get("language") == "English" and folder.name in VOICES:
                    found[folder.name] = info
        return found

    def voices(self) -> list[Voice]:
        return [Voice(engine=self.name, id=vid, model=f"RHVoice {info.get('name', vid)}", language="en",
                      accent=VOICES[vid][0], gender=info.get("gender", "unknown"),
                      license=VOICES[vid][1], license_note=VOICES[vid][2],
                      speaker=f"cmu-arctic-{vid}" if vid in ARCTIC else "")
                for vid, info in self._installed.items()]

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> Synthesis:
        if voice.id not in self._installed:
            raise AorgenError(f"RHVoice has no English voice '{voice.id}' (installed: "
                              f"{', '.join(self._installed) or 'none'}; system package 'rhvoice-english')",
                              item=voice.id, field="voice")
        command = [self._program, "-p", voice.id, "-r", str(round(100 * prosody.rate)),
                   "-t", str(round(100 * prosody.pitch)), "-i", "{text}", "-o", "{out}"]
        return run_to_wav(command, text=text, voice=voice.id, engine=self.name, volume=prosody.volume)
