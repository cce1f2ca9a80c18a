"""Append-only JSONL record files: the resumable generation cache and judgement files.

Each line is one JSON record with a ``key``. Appends are flushed and fsynced per batch, so
a killed run loses at most the batch in flight; a line that is not JSON (torn by a kill)
is ignored on load; a JSON line that is not a record, or a file of nothing but junk, is
an error. A later record with the same key replaces an earlier one, which is how
``force`` recomputation stays append-only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from aorgen.render.cache import content_key
from aorgen.errors import AorgenError

R = TypeVar("R", bound=BaseModel)

__all__ = ["RecordCache", "content_key"]


class RecordCache(Generic[R]):
    def __init__(self, path: Path, record_type: type[R]) -> None:
        self.path = Path(path)
        self.record_type = record_type
        self.records: dict[str, R] = {}
        self.ignored_lines = 0
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        """Lines that are not JSON are taken for writes torn by a kill and skipped; a JSON
        line that is not a record, or a file where no line is one, is corrupt: an error
        naming the line."""
        if not self.path.is_file():
            raise AorgenError("expected a JSONL file, found a folder or device", file=self.path)
        first_bad, torn_tail = 0, False
        with self.path.open("rb") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = self.record_type.model_validate_json(line)
                except ValidationError as exc:
                    err = exc.errors()[0]
                    if err["type"] != "json_invalid":
                        field = ".".join(map(str, err["loc"])) or None
                        raise AorgenError(err["msg"], file=self.path, item=f"line {number}", field=field) from None
                    self.ignored_lines += 1
                    first_bad = first_bad or number
                    torn_tail = not line.endswith(b"\n")
                    continue
                self.records[record.key] = record  # type: ignore[attr-defined]
        if self.ignored_lines and not self.records and not (self.ignored_lines == 1 and torn_tail):
            raise AorgenError("not JSON (corrupt file?)", file=self.path, item=f"line {first_bad}")

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
