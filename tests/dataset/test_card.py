"""The dataset card: Hugging Face layout and valid metadata (checked offline with
huggingface_hub's card tools), every config loadable with `datasets`, plots written and
embedded, licences from recordings and voices, gated publishing and a dry run."""

from __future__ import annotations

import datasets
import pytest
from click.testing import CliRunner
from huggingface_hub import DatasetCard, DatasetCardData

from aorgen.dataset.card import dataset_license
from aorgen.errors import AorgenError
from aorgen.cli import main
from aorgen.content.recipe import load_recipe

SECTIONS = ("## Dataset summary", "Content warning", "## Supported tasks", "## Languages",
            "## Dataset structure", "## How the data was generated", "## Statistics", "## Intended use",
            "## Out-of-scope use", "## Limitations and biases", "## Licensing", "## Citation")


@pytest.fixture
def dataset(built_mini):
    return built_mini["dataset"]  # built once per session, read only


def test_card_metadata_is_valid_and_every_config_loads(dataset):
    card = DatasetCard.load(dataset / "README.md")
    data = card.data.to_dict()
    assert isinstance(card.data, DatasetCardData)
    assert data["license"] and data["language"] == ["en"] and data["extra_gated_prompt"]
    for section in SECTIONS:
        assert section in card.text, section
    assert "arXiv:2606.21147" in card.text and "2505.19670" in card.text
    names = [c["config_name"] for c in data["configs"]]
    assert names[0] == "default" and len(names) > 1
    total = 0
    for config in data["configs"]:
        loaded = datasets.load_dataset(str(dataset), config["config_name"])
        assert set(loaded) == {f["split"] for f in config["data_files"]}
        rows = sum(len(split) for split in loaded.values())
        assert rows > 0
        if config["config_name"] != "default":
            total += rows
            assert {r for split in loaded.values() for r in split["label"]} == {config["config_name"]}
    assert total == sum(len(s) for s in datasets.load_dataset(str(dataset), "default").values())


def test_plots_are_written_and_embedded(dataset):
    text = (dataset / "README.md").read_text()
    images = sorted((dataset / "images").glob("*.png"))
    assert {p.stem for p in images} >= {"levels", "voices", "scenes"}
    for image in images:
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 2000
        assert f"](images/{image.name})" in text
    assert "### Voices" in text and "| engine | voice | gender | accent | clips |" in text


def test_licence_takes_the_strictest_input_recordings_and_voices():
    assert dataset_license({"CC0-1.0"}).license == "cc0-1.0"
    assert dataset_license({"CC0-1.0", "LicenseRef-CMU-Flite"}).license == "cc-by-4.0"
    lgpl = dataset_license({"CC-BY-4.0", "LGPL-2.1-or-later"})
    assert lgpl.license == "lgpl-2.1" and lgpl.share_alike and lgpl.commercial_ok
    nc = dataset_license({"CC-BY-4.0", "LicenseRef-Coqui-CPML"})
    assert nc.license == "cc-by-nc-4.0" and not nc.commercial_ok
    nd = dataset_license({"GPL-3.0-or-later", "CC-BY-NC-ND-4.0"})
    assert nd.license == "cc-by-nc-nd-4.0" and not nd.commercial_ok
    unknown = dataset_license({"CC0-1.0", "LicenseRef-unclear"})
    assert unknown.license == "other" and not unknown.commercial_ok


def test_publish_dry_run_lists_files_and_contacts_nobody(dataset, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the dry run contacted the Hub")

    monkeypatch.setattr("huggingface_hub.HfApi", refuse)
    monkeypatch.setenv("HF_TOKEN", "hf_secret_token")
    result = CliRunner().invoke(main, ["publish", str(dataset), "--repo-id", "org/mini", "--gated", "manual",
                                       "--private", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "README.md" in result.output and ".parquet" in result.output and "images/levels.png" in result.output
    assert "build.json" not in result.output and "gated (manual)" in result.output
    assert "hf_secret_token" not in result.output


def test_publish_gated_sets_the_repo_gated(dataset, monkeypatch):
    from aorgen.dataset.publish import publish

    calls = []

    class Api:
        def __init__(self, token=None):
            pass

        def create_repo(self, repo_id, **kwargs):
            calls.append(("create", kwargs))

        def update_repo_settings(self, repo_id, **kwargs):
            calls.append(("settings", kwargs))

        def upload_folder(self, **kwargs):
            calls.append(("upload", kwargs))
            return type("Commit", (), {"commit_url": "https://huggingface.co/datasets/org/mini/commit/1"})()

    monkeypatch.setattr("huggingface_hub.HfApi", Api)
    publish(dataset, "org/mini", gated="auto", token="hf_x")
    assert [c[0] for c in calls] == ["create", "settings", "upload"]
    assert calls[1][1] == {"repo_type": "dataset", "gated": "auto"}


def test_recipe_licence_filter_applies_to_voices_and_groups():
    from aorgen.content.licenses import allowed
    from aorgen.plan.planner import load_voices

    assert allowed("LGPL-2.1-or-later", exclude=["copyleft"]) is False
    assert allowed("CC-BY-SA-4.0", exclude=["share-alike"]) is False
    assert allowed("CC-BY-NC-ND-4.0", exclude=["non-commercial"]) is False
    assert allowed("CC0-1.0", exclude=["share-alike", "non-commercial"]) is True
    assert allowed("cc0-1.0", allow=["CC0-1.0"]) and not allowed("MIT", allow=["CC0-1.0"])
    recipe = load_recipe()
    every = load_voices(recipe)
    recipe.exclude_licenses = ["copyleft"]
    kept = load_voices(recipe)
    assert {v.engine for v in every} - {v.engine for v in kept} == {"rhvoice"}
    recipe.exclude_licenses, recipe.licenses = [], ["CC0-1.0"]
    with pytest.raises(AorgenError, match="licence filter leaves no voice"):
        load_voices(recipe)


def test_a_permissive_build_is_one_recipe_line_away():
    from aorgen.dataset.card import dataset_license, input_licenses
    from aorgen.plan.planner import plan

    recipe = load_recipe()
    recipe.samples_per_category = {"pseudo_harmful": 40, "harmful_contrast": 10, "benign_control": 10}
    recipe.exclude_licenses = ["share-alike"]
    the_plan = plan(recipe)
    assert the_plan.excluded and all("licence filter" in why for _, why in the_plan.excluded)
    left_out = {sid for sid, _ in the_plan.excluded}
    assert not left_out & {s.script_id for s in the_plan.specs}
    terms = dataset_license(input_licenses(the_plan.specs, the_plan.voices))
    assert not terms.share_alike and terms.commercial_ok and terms.license in ("cc0-1.0", "cc-by-4.0")
