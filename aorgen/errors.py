"""The one user-facing error type: a single line naming the file, the item and the field."""

from __future__ import annotations

from pathlib import Path


class AorgenError(Exception):
    """Bad input or an unusable environment. The CLI prints ``str(err)`` and exits with 2."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        item: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.item = item
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [part for part in (self.file, self.item, self.field) if part]
        text = " ".join(self.message.split())
        return ": ".join([*where, text])


class MissingExtra(AorgenError):
    """An optional dependency is not installed; names the pip extra that provides it."""

    def __init__(self, module: str, *, extra: str) -> None:
        super().__init__(
            f"this needs the '{module}' package: pip install 'aorgen[{extra}]'"
        )
        self.module = module
        self.extra = extra


def require(module: str, *, extra: str):
    """Import an optional module or raise MissingExtra naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtra(module, extra=extra) from exc
