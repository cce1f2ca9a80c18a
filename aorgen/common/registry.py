"""One registry mechanism for everything chosen by name: speech engines, augmentations,
executors, importers, model adapters, judges, evaluation conditions.

A :class:`Registry` is a dict ``name -> implementation`` where an implementation is either
the object itself or a ``"module:attribute"`` string imported on first use, so that looking
names up (``--help``, validation, ``aorgen voices``) never imports torch or another heavy
extra. A name it does not know gets the one error of the project for that case::

    unknown judge 'rulez' (known: ensemble, llm, rules, wildguard; closest: rules)
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from typing import Any

from aorgen.errors import AorgenError


def unknown(kind: str, name: str, known: Iterable[str], *, file: Any = None, item: str | None = None,
            field: str | None = None) -> AorgenError:
    """The error for a name that is not one of ``known``: lists them and the closest matches."""
    known = sorted(known)
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
    hint = f"; closest: {', '.join(close)}" if close else ""
    return AorgenError(f"unknown {kind} '{name}' (known: {', '.join(known)}{hint})", file=file, item=item, field=field)


class Registry(dict):
    """Implementations by name; ``"module:attr"`` entries are imported by :meth:`load`."""

    def __init__(self, kind: str, entries: dict[str, Any] | None = None, *, field: str | None = None) -> None:
        super().__init__(entries or {})
        self.kind = kind
        self.field = field

    def register(self, name: str, implementation: Any = None):
        """Add ``name``; used bare (``reg.register("x", "pkg.mod:X")``) or as a decorator."""
        if implementation is not None:
            self[name] = implementation
            return implementation

        def decorate(obj):
            self[name] = obj
            return obj

        return decorate

    def check(self, name: str, *, file: Any = None, item: str | None = None, field: str | None = None) -> str:
        """``name`` if it is registered, else the one "unknown X" error."""
        if name not in self:
            raise unknown(self.kind, name, self, file=file, item=item, field=field or self.field)
        return name

    def load(self, name: str, **where: Any) -> Any:
        """The implementation registered as ``name`` (importing its module if needed)."""
        self.check(name, **where)
        target = self[name]
        if isinstance(target, str):
            module, _, attribute = target.partition(":")
            target = getattr(importlib.import_module(module), attribute)
        return target
