"""merge(parts, out): join the outputs of sharded builds (``aorgen build --shard i/N``, run
by any scheduler on any machines) into one dataset whose files are byte-identical to a
single-machine build. The card and ATTRIBUTION are written again from every row's spec."""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from pydantic import ValidationError

from aorgen.dataset.build import write_metadata
from aorgen.dataset.folder import build_lock, finalise_folder, prepare_out, write_errors
from aorgen.dataset.schema import reading_shard
from aorgen.errors import AorgenError
from aorgen.content.recipe import Recipe
from aorgen.plan.spec import SampleSpec

_PART = re.compile(r"^(?P<name>.+)\.shard-(?P<index>\d+)-of-(?P<count>\d+)$")
_DATA_FILE = re.compile(r"^(?P<split>\w+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.parquet$")


def merge(parts: list[Path], out: Path, *, overwrite: bool = False) -> Path:
    """Merge every part of one sharded build into ``out/<name>``; returns that folder."""
    parts, out = _ordered_parts([Path(p) for p in parts]), Path(out)
    name = _PART.match(parts[0].name)["name"]
    recipe_text = (parts[0] / "recipe.yaml").read_text()
    for part in parts:
        if (part / "recipe.yaml").read_text() != recipe_text:
            raise AorgenError("this part was built from a different recipe than the others",
                              file=part / "recipe.yaml")
    files = {f.relative_to(part): f for part in parts for f in sorted((part / "data").rglob("*.parquet"))}
    if not files:
        raise AorgenError("the parts hold no parquet shards under data/", field="PARTS")
    _check_complete(list(files))
    specs = []
    for file in files.values():  # every shard readable and every spec valid before writing anything
        with reading_shard(file):
            texts = pq.read_table(file, columns=["spec"])["spec"].to_pylist()
        try:
            specs.extend(SampleSpec.model_validate_json(text) for text in texts)
        except ValidationError as exc:
            raise AorgenError(f"a row's spec is not valid: {exc.errors()[0]['msg']}", file=file, field="spec") from None
    records = [_build_record(part) for part in parts]
    try:
        recipe = Recipe.model_validate(yaml.safe_load(recipe_text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise AorgenError(f"not a valid recipe: {' '.join(str(exc).split())[:200]}", file=parts[0] / "recipe.yaml") from None

    final = out / name
    if final.exists() and not overwrite:
        raise AorgenError("dataset folder already exists (use --overwrite to replace it)", file=final, field="OUT")
    prepare_out(out)
    staging = out / f".{name}.merging"
    with build_lock(out, name), write_errors(staging), _removed_on_error(staging):
        shutil.rmtree(staging, ignore_errors=True)
        for relative, source in files.items():
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staging / relative)
        renders = [r.get("render") for r in records]  # rows are reusable only if all parts agree
        write_metadata(staging, recipe, records[0]["sound_banks"],
                       specs, renders[0] if all(r == renders[0] for r in renders) else None,
                       [(d["id"], d["reason"]) for d in records[0].get("intelligibility_dropped", [])])
        finalise_folder(staging, final, overwrite)
    return final


@contextmanager
def _removed_on_error(staging: Path):
    try:
        yield
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _build_record(part: Path) -> dict:
    path = part / "build.json"
    try:
        record = json.loads(path.read_text())
        if not isinstance(record, dict) or not isinstance(record.get("sound_banks"), dict):
            raise ValueError("no sound_banks mapping")
    except ValueError as exc:
        raise AorgenError(f"unusable build record: {exc}", file=path) from None
    return record


def _ordered_parts(parts: list[Path]) -> list[Path]:
    """The parts by shard index, checked to be i/N for every i of one N of one dataset."""
    if not parts:
        raise AorgenError("give the folders of every part (NAME.shard-i-of-N)", field="PARTS")
    found: dict[int, Path] = {}
    kinds = set()
    for part in parts:
        match = _PART.match(part.name)
        if match is None or not (part / "build.json").is_file():
            raise AorgenError("not the output of 'aorgen build --shard i/N' (NAME.shard-i-of-N)", file=part)
        index, count = int(match["index"]), int(match["count"])
        if index in found:
            raise AorgenError(f"shard {index} is given twice", file=part)
        found[index] = part
        kinds.add((match["name"], count))
    if len(kinds) > 1:
        raise AorgenError("the parts come from different builds (names or part counts differ): "
                          + ", ".join(sorted(p.name for p in parts)), field="PARTS")
    count = kinds.pop()[1]
    missing = sorted(set(range(count)) - set(found))
    if missing:
        raise AorgenError(f"part(s) {', '.join(map(str, missing))} of {count} are missing", field="PARTS")
    return [found[i] for i in range(count)]


def _check_complete(files: list[Path]) -> None:
    """Every (label, split) has all of its NNNNN-of-MMMMM shard files."""
    groups: dict[tuple[str, str], set[tuple[int, int]]] = defaultdict(set)
    for file in files:
        match = _DATA_FILE.match(file.name)
        if match is None:
            raise AorgenError("unexpected file in a part's data folder", file=file)
        groups[(file.parent.name, match["split"])].add((int(match["index"]), int(match["count"])))
    for (label, split), found in sorted(groups.items()):
        count = max(c for _, c in found)
        if found != {(i, count) for i in range(count)}:
            raise AorgenError(f"the parts hold {len(found)} of the {count} shard files of {label}/{split}",
                              field="PARTS")
