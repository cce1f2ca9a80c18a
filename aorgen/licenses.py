"""Licence filter of a recipe (``licenses`` allow-list / ``exclude_licenses`` of SPDX ids),
shared by the bank recordings and the voices."""

from __future__ import annotations

from collections.abc import Iterable


def allowed(license_id: str, allow: Iterable[str] | None = None, exclude: Iterable[str] | None = None) -> bool:
    """True when ``license_id`` passes: in ``allow`` (when given) and not in ``exclude``.
    SPDX ids compare case-insensitively."""
    lid = license_id.strip().lower()
    if allow is not None and lid not in {a.strip().lower() for a in allow}:
        return False
    return not (exclude is not None and lid in {e.strip().lower() for e in exclude})
