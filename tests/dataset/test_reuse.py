"""Incremental rebuilds: rows whose spec is unchanged are copied, and the result is the same
dataset a fresh build gives."""

from __future__ import annotations

import pytest

from aorgen.dataset.build import build
from aorgen.dataset.schema import iter_rows
from aorgen.content.recipe import load_recipe
from tests.conftest import cli, file_hashes

pytestmark = pytest.mark.slow  # several builds per test (fast lane: pytest -m "not slow")


def _shift_first_band(recipe):
    bands = list(recipe.scene.snr_bands_db)
    bands[0] = type(bands[0])(low=bands[0].low - 5, high=bands[0].high)
    recipe.scene.snr_bands_db = bands
    return recipe


def test_an_snr_change_reuses_the_unchanged_rows_and_matches_a_fresh_build(mini):
    build(load_recipe(mini["recipe"]), mini["out"], cache_dir=mini["cache"])
    before = {row.data["id"]: row.data["spec"] for row in iter_rows(mini["out"] / "mini", columns=["id", "spec"])}

    changed = _shift_first_band(load_recipe(mini["recipe"]))
    summary = build(changed, mini["out"], cache_dir=mini["cache"], overwrite=True)
    after = {row.data["id"]: row.data["spec"] for row in iter_rows(mini["out"] / "mini", columns=["id", "spec"])}
    unchanged = sum(before[i] == after[i] for i in after)
    assert 0 < unchanged < len(after)  # the first band's clips changed, the others did not
    assert summary.clips_reused == unchanged and summary.clips == len(after)

    fresh = mini["root"] / "fresh"
    build(changed, fresh, cache_dir=mini["root"] / "cold-cache")
    assert file_hashes(mini["out"] / "mini") == file_hashes(fresh / "mini")


def test_an_unchanged_rebuild_copies_every_row(mini):
    recipe = load_recipe(mini["recipe"])
    build(recipe, mini["out"], cache_dir=mini["cache"])
    before = file_hashes(mini["out"] / "mini")
    summary = build(recipe, mini["out"], cache_dir=mini["cache"], overwrite=True)
    assert summary.clips_reused == summary.clips == 10
    assert file_hashes(mini["out"] / "mini") == before


def test_rows_are_rendered_again_when_the_render_code_changed_or_when_asked(mini, monkeypatch):
    recipe = load_recipe(mini["recipe"])
    build(recipe, mini["out"], cache_dir=mini["cache"])
    before = file_hashes(mini["out"] / "mini")
    result = cli("build", "--recipe", mini["recipe"], "--out", mini["out"], "--cache-dir", mini["cache"],
                 "--overwrite", "--no-reuse")
    assert result.exit_code == 0, result.stderr
    assert "0 reused" in result.stdout
    assert file_hashes(mini["out"] / "mini") == before

    import aorgen.dataset.reuse

    monkeypatch.setattr(aorgen.dataset.reuse, "RENDER_REVISION", 10**6)  # as if render() had changed
    assert build(recipe, mini["out"], cache_dir=mini["cache"], overwrite=True).clips_reused == 0
