"""Rewrite imports of modules that moved (docs/layout-map.tsv: old_module<TAB>new_module).

Usage (from the repository root)::

    python scripts/fix_imports.py            # rewrite files in place, list what changed
    python scripts/fix_imports.py --check    # only list; exit 1 if anything would change

It rewrites, in every ``.py`` file under aorgen/, tests/, benchmarks/ and scripts/:

- dotted names ``aorgen.old[.attr]`` anywhere in the text (``from aorgen.old import x``,
  ``import aorgen.old``, ``aorgen.old.attr`` in code, ``"aorgen.old.attr"`` in
  monkeypatch strings and docstrings);
- ``from aorgen import old [as y]`` → ``from aorgen.pkg import new as old``;
- relative imports (``from .old import x``, ``from . import old``) whose target moved, or
  that sit in a file that moved, resolved against the file's package.

Files that hold the marker ``fix_imports: skip`` are left alone. It is idempotent: a name that is already new is left alone. A module that became a package
(``aorgen.plan`` → ``aorgen.plan.planner``) is only rewritten when what follows it is not one
of the new package's submodules, so ``aorgen.plan.spec`` stays and ``aorgen.plan.plan``
becomes ``aorgen.plan.planner.plan``. (Hence: after the move, new code that means the
*package* writes ``from aorgen.render import mix``, not ``from aorgen import render``.)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("aorgen", "tests", "benchmarks", "scripts")
SKIP = "fix_imports: " + "skip"  # a file holding this marker is left as it is
DOTTED = re.compile(r"(?<![\w.])aorgen(?:\.\w+)+")
FROM_AORGEN = re.compile(r"^(?P<indent>[ \t]*)from aorgen import (?P<names>\([^)]*\)|[^\n#]+)", re.M)
RELATIVE = re.compile(r"^(?P<indent>[ \t]*)from (?P<dots>\.+)(?P<mod>[\w.]*) import (?P<names>\([^)]*\)|[^\n#]+)",
                      re.M)


def load_map(path: Path) -> dict[str, str]:
    mapping = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            old, new = line.split("\t")[:2]
            mapping[old.strip()] = new.strip()
    return mapping


def is_module(name: str, root: Path = ROOT) -> bool:
    """Whether ``name`` (dotted) is a module or package in the tree now."""
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file() or (
        path.is_dir() and any(path.glob("*.py")))


def _children(new: str, old: str) -> bool:
    """The old module became (part of) a package of the same name."""
    return new.startswith(old + ".")


def rewrite_dotted(text: str, mapping: dict[str, str], root: Path = ROOT) -> str:
    def fix(match: re.Match) -> str:
        parts = match.group(0).split(".")
        for n in range(len(parts), 1, -1):
            old = ".".join(parts[:n])
            if old not in mapping:
                continue
            new, rest = mapping[old], parts[n:]
            if _children(new, old):
                if rest and is_module(f"{old}.{rest[0]}", root):
                    return match.group(0)  # already the package's submodule
                after = text[match.end():match.end() + 200]
                names = re.match(r"\s+import\s+(\([^)]*\)|[^\n#]+)", after)
                before = text[max(0, match.start() - 20):match.start()]
                if not rest and names and before.rstrip().endswith("from"):
                    imported = [x.split(" as ")[0].strip() for x in names.group(1).strip("()").split(",")]
                    imported = [x for x in imported if x]
                    if imported and all(is_module(f"{old}.{x}", root) for x in imported):
                        return match.group(0)  # from aorgen.render import mix, scene
            return ".".join([new, *rest])
        return match.group(0)

    return DOTTED.sub(fix, text)


def _names(raw: str) -> list[tuple[str, str | None]]:
    out = []
    for item in raw.strip().strip("()").replace("\n", " ").split(","):
        item = item.strip()
        if not item:
            continue
        name, _, alias = item.partition(" as ")
        out.append((name.strip(), alias.strip() or None))
    return out


def _import_line(indent: str, module: str, names: list[tuple[str, str | None]]) -> str:
    listed = ", ".join(f"{n} as {a}" if a else n for n, a in names)
    return f"{indent}from {module} import {listed}"


def rewrite_from_aorgen(text: str, mapping: dict[str, str]) -> str:
    def fix(match: re.Match) -> str:
        names = _names(match.group("names"))
        keep, lines = [], []
        for name, alias in names:
            new = mapping.get(f"aorgen.{name}")
            if new is None:
                keep.append((name, alias))
                continue
            package, _, leaf = new.rpartition(".")
            local = alias or name
            lines.append(_import_line(match.group("indent"), package, [(leaf, None if leaf == local else local)]))
        if not lines:
            return match.group(0)
        if keep:
            lines.insert(0, _import_line(match.group("indent"), "aorgen", keep))
        return "\n".join(lines)

    return FROM_AORGEN.sub(fix, text)


def module_of(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] + ["__init__"]
    return ".".join(parts)


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:-1])


def _resolve(package: str, dots: str, mod: str) -> str:
    base = package.split(".")
    if len(dots) > 1:
        base = base[: len(base) - (len(dots) - 1)]
    return ".".join([*base, mod] if mod else base)


def rewrite_relative(text: str, path: Path, mapping: dict[str, str], root: Path = ROOT) -> str:
    here = module_of(path, root)
    here_clean = here.removesuffix(".__init__")
    package = _package(here)  # the package a relative import resolves against
    reverse = {new: old for old, new in mapping.items()}
    old_here = reverse.get(here_clean)
    old_package = None
    if old_here is not None:  # this file moved: its relative imports were written for the old place
        old_package = old_here if here.endswith(".__init__") else _package(old_here)

    def fix(match: re.Match) -> str:
        dots, mod = match.group("dots"), match.group("mod")
        names = _names(match.group("names"))
        target = _resolve(package, dots, mod)
        old_target = _resolve(old_package, dots, mod) if old_package is not None else None

        def moved(name: str) -> str | None:
            """The new name of ``name`` (resolved here), or None when it is fine as it is."""
            if name in mapping:
                return mapping[name]
            if is_module(name, root) or old_target is None:
                return None
            old = name.replace(target, old_target, 1) if name.startswith(target) else name
            return mapping.get(old, old if old != name and is_module(old, root) else None)

        if mod:
            new = moved(target)
            if new is None or new == target:
                return match.group(0)
            return _import_line(match.group("indent"), _relative(new, package), names)
        lines, keep = [], []
        for name, alias in names:
            new = moved(f"{target}.{name}") if _maybe_module(name) else None
            if new is None:
                keep.append((name, alias))
                continue
            parent, _, leaf = new.rpartition(".")
            local = alias or name
            lines.append(_import_line(match.group("indent"), _relative(parent, package, is_package=True),
                                      [(leaf, None if leaf == local else local)]))
        if not lines:
            return match.group(0)
        if keep:
            lines.insert(0, _import_line(match.group("indent"), match.group("dots"), keep))
        return "\n".join(lines)

    return RELATIVE.sub(fix, text)


def _maybe_module(name: str) -> bool:
    return name.islower()


def _relative(target: str, package: str, is_package: bool = False) -> str:
    """``.x`` when ``target`` sits in ``package`` (``.`` for the package itself), else absolute."""
    if is_package and target == package:
        return "."
    if _package(target) == package:
        return "." + target.rsplit(".", 1)[1]
    return target


def rewrite(text: str, path: Path, mapping: dict[str, str], root: Path = ROOT) -> str:
    text = rewrite_relative(text, path, mapping, root)
    text = rewrite_from_aorgen(text, mapping)
    return rewrite_dotted(text, mapping, root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--map", type=Path, default=ROOT / "docs" / "layout-map.tsv")
    parser.add_argument("--check", action="store_true", help="Only list the files that would change.")
    parser.add_argument("paths", nargs="*", type=Path, help="Files or folders (default: aorgen tests benchmarks scripts).")
    args = parser.parse_args(argv)
    mapping = load_map(args.map)
    targets = args.paths or [ROOT / f for f in FOLDERS]
    files = sorted({p for t in targets for p in ([t] if t.is_file() else t.rglob("*.py"))})
    changed = []
    for path in files:
        if ".venv" in path.parts or path.resolve() == Path(__file__).resolve():
            continue
        text = path.read_text()
        if SKIP in text:  # e.g. this script's own tests, whose inputs are old names on purpose
            continue
        new = rewrite(text, path.resolve(), mapping)
        if new != text:
            changed.append(path)
            if not args.check:
                path.write_text(new)
    for path in changed:
        print(path)
    print(f"{len(changed)} files {'would change' if args.check else 'rewritten'}", file=sys.stderr)
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
