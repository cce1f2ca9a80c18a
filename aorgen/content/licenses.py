"""Licence filter of a recipe (``licenses`` allow-list / ``exclude_licenses``), shared by the
bank recordings and the voices, and the licences of voices whose engine has no catalogue
licence of its own.

Entries are SPDX ids (compared case-insensitively) or one of the groups ``copyleft`` (GPL,
LGPL, AGPL), ``share-alike`` (copyleft plus CC-BY-SA, GFDL, LAL) and ``non-commercial`` (NC
licences and the non-commercial model licences)."""

from __future__ import annotations

from collections.abc import Iterable

# Engines whose voices carry no licence in their catalogue: (licence, note).
ENGINE_LICENSES = {
    "espeak": ("GPL-3.0-or-later", "espeak-ng program and voice data (the GPL does not reach the "
                                   "speech it outputs; listed for completeness)"),
    "piper": ("LicenseRef-unclear", "Piper voice: the training data's licence is unclear (see the voice's card)"),
    "coqui": ("LicenseRef-per-model", "see the Coqui model's own licence (XTTS v2: CPML, non-commercial)"),
}

# Licences of programs whose output they do not cover: no filter or dataset term applies to them.
OUTPUT_FREE = {"GPL-3.0-or-later"}


def voice_allowed(voice, allow: Iterable[str] | None = None, exclude: Iterable[str] | None = None) -> bool:
    """Whether a voice passes a recipe's licence filter (a licence that does not reach the
    speech, such as espeak-ng's GPL, always passes)."""
    license_id = voice_license(voice)[0]
    return license_id in OUTPUT_FREE or allowed(license_id, allow, exclude)


def _in_group(lid: str, group: str) -> bool:
    if group == "copyleft":
        return any(lid.startswith(p) for p in ("gpl-", "lgpl-", "agpl-"))
    if group == "share-alike":
        return _in_group(lid, "copyleft") or "-sa-" in lid or lid.startswith(("gfdl-", "lal-"))
    if group == "non-commercial":
        return "-nc-" in lid or lid.endswith("-nc") or lid == "licenseref-coqui-cpml"
    return False


def _matches(lid: str, entries: Iterable[str]) -> bool:
    return any(lid == e.strip().lower() or _in_group(lid, e.strip().lower()) for e in entries)


def allowed(license_id: str, allow: Iterable[str] | None = None, exclude: Iterable[str] | None = None) -> bool:
    """True when ``license_id`` passes: matched by ``allow`` (when given) and not by ``exclude``."""
    lid = license_id.strip().lower()
    if allow is not None and not _matches(lid, allow):
        return False
    return not (exclude is not None and _matches(lid, exclude))


def voice_license(voice) -> tuple[str, str]:
    """(licence, note) of a voice: its catalogue's, else its engine's."""
    if getattr(voice, "license", ""):
        return voice.license, getattr(voice, "license_note", "")
    return ENGINE_LICENSES.get(voice.engine, ("LicenseRef-unknown", "not recorded"))
