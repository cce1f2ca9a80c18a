"""Append-only JSONL record files: the resumable generation cache and judgement files.

Each line is one JSON record with a ``key``. Appends are flushed and fsynced per batch, so
a killed run loses at most the batch in flight; a torn last line (or any line that does
not parse) is ignored on load. A later record with the same key replaces an earlier one,
which is how ``force`` recomputation stays append-only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from aorgen.cache import content_key

R = TypeVar("R", bound=BaseModel)

__all__ = ["RecordCache", "content_key"]


class RecordCache(Generic[R]):
    def __init__(self, path: Path, record_type: type[R]) -> None:
        self.path = Path(path)
        self.record_type = record_type
        self.records: dict[str, R] = {}
        self.ignored_lines = 0
        if self.path.exists():
            with self.path.open("rb") as fh:
                for line in fh:
                    try:
                        record = record_type.model_validate_json(line)
                    except (ValidationError, ValueError):
                        self.ignored_lines += 1
                        continue
                    self.records[record.key] = record  # type: ignore[attr-defined]

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def get(self, key: str) -> R | None:
        return self.records.get(key)

    def append(self, records: Iterable[R]) -> None:
        records = list(records)
        if not records:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # a torn last line (killed mid-write) must not swallow the next record
        torn = self.path.exists() and self.path.stat().st_size > 0 and not self._ends_with_newline()
        with self.path.open("ab") as fh:
            if torn:
                fh.write(b"\n")
            for record in records:
                fh.write(record.model_dump_json().encode() + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        for record in records:
            self.records[record.key] = record  # type: ignore[attr-defined]

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"
