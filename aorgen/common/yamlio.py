"""Load YAML files into pydantic models with one-line errors naming file, item and field."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from aorgen.errors import AorgenError

M = TypeVar("M", bound=BaseModel)
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader (C when libyaml is there), refusing duplicate keys instead of letting
    the last one win silently."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: SafeConstructor reports it
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key '{key}'", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


_LOADER = _Loader


MAX_YAML_BYTES = 64 * 2**20  # recipes, templates and catalogues are far smaller


def read_yaml(path: Path) -> object:
    try:
        if Path(path).stat().st_size > MAX_YAML_BYTES:
            raise AorgenError(f"file is larger than {MAX_YAML_BYTES // 2**20} MB (not a recipe, template or catalogue?)",
                              file=path)
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AorgenError("file not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AorgenError(f"cannot read: {exc}", file=path) from None
    try:
        return yaml.load(text, Loader=_LOADER)  # the C loader when libyaml is there: 5x faster
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise AorgenError(f"malformed YAML: {problem}", file=path, item=where) from None


def validation_error(exc: ValidationError, path: Path, data: object) -> AorgenError:
    """The first pydantic error as one line; list items are named by their ``id`` if any."""
    err = exc.errors()[0]
    loc = list(err["loc"])
    item = None
    loc_rest = loc
    node = data
    for i, key in enumerate(loc):
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            node = node[key]
            ident = node.get("id") if isinstance(node, dict) else None
            item = f"{'.'.join(map(str, loc[:i]))}[{key}]" + (f" (id {ident})" if ident else "")
            loc_rest = loc[i + 1 :]
        elif isinstance(node, dict) and key in node:
            node = node[key]
    field = ".".join(map(str, loc_rest)) if loc_rest else None
    return AorgenError(err["msg"], file=path, item=item, field=field or None)


def load_model(path: Path, model: type[M]) -> M:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise AorgenError("expected a mapping at the top level", file=path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, path, data) from None
