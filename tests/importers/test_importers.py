"""Importers: small archives laid out exactly like ESC-50, FSD50K, UrbanSound8K and a licence
table, imported into banks that load, validate and build."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile as sf
import yaml
from click.testing import CliRunner

from aorgen.cli import main
from aorgen.errors import AorgenError
from aorgen.importers import import_bank
from aorgen.importers.base import spdx_id
from aorgen.importers.remote import detect_layout
from aorgen.importers.tags import DEFAULT_TAGS, normalise_label
from aorgen.render.loudness import integrated_loudness
from aorgen.content.soundbank import builtin_bank_paths, load_bank, validate_bank
from tests.conftest import file_hashes

RATE = 16000


def _wav(path, seconds: float, *, rate: int = RATE, channels: int = 1, seed: int = 0, level: float = 0.1):
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (level * rng.standard_normal((int(seconds * rate), channels))).astype(np.float32), rate,
             subtype="PCM_16")
    return path


def _csv(path, header: str, rows: list[tuple]):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header] + [",".join(f'"{v}"' if "," in str(v) else str(v) for v in row)
                                          for row in rows]) + "\n")


@pytest.fixture
def esc50(tmp_path):
    root = tmp_path / "ESC-50-master"
    rows = [  # filename, fold, target, category, esc10, src_file, take
        ("1-100032-A-0.wav", 1, 0, "dog", "True", 100032, "A"),
        ("1-115545-A-48.wav", 1, 48, "fireworks", "False", 115545, "A"),
        ("2-1111-B-28.wav", 2, 28, "brushing_teeth", "False", 1111, "B"),  # no scene tag
        ("3-2222-A-41.wav", 3, 41, "chainsaw", "True", 2222, "A"),
    ]
    for i, row in enumerate(rows):
        _wav(root / "audio" / row[0], 5.0, seed=i)
    _csv(root / "meta" / "esc50.csv", "filename,fold,target,category,esc10,src_file,take", rows)
    (root / "LICENSE").write_text(
        "101 - Dog:\n- [1-100032-A.ogg]: clip derived from rose_bark (take 2).wav "
        "(http://www.freesound.org/people/nfrae/sounds/100032/) by nfrae [CC0]\n")
    return root


@pytest.fixture
def fsd50k(tmp_path):
    root = tmp_path / "FSD50K"
    dev = [  # fname, labels, licence URL, seconds
        ("1001", "Cheering,Crowd,Human_group_actions", "http://creativecommons.org/publicdomain/zero/1.0/", 6.0),
        ("1002", "Bark,Dog,Domestic_animals_and_pets,Animal", "http://creativecommons.org/licenses/by/3.0/", 1.5),
        ("1003", "Gunshot_and_gunfire", "http://creativecommons.org/licenses/by-nc/3.0/", 1.0),
        ("1004", "Frying_(food),Speech", "http://creativecommons.org/licenses/sampling+/1.0/", 2.0),
    ]
    evals = [("2001", "Applause", "https://creativecommons.org/licenses/by/4.0/", 3.0)]
    for split, rows in (("dev", dev), ("eval", evals)):
        for i, (fname, _, _, seconds) in enumerate(rows):
            _wav(root / f"FSD50K.{split}_audio" / f"{fname}.wav", seconds, seed=int(fname))
        header = "fname,labels,mids,split" if split == "dev" else "fname,labels,mids"
        _csv(root / "FSD50K.ground_truth" / f"{split}.csv", header,
             [(f, labels, "/m/x", "train")[: 4 if split == "dev" else 3] for f, labels, _, _ in rows])
        info = {f: {"title": f"clip {f}.wav", "description": "", "tags": [], "license": url, "uploader": f"user{f}"}
                for f, _, url, _ in rows}
        (root / "FSD50K.metadata").mkdir(exist_ok=True)
        (root / "FSD50K.metadata" / f"{split}_clips_info_FSD50K.json").write_text(json.dumps(info, indent=1))
    return root


@pytest.fixture
def urbansound8k(tmp_path):
    root = tmp_path / "UrbanSound8K"
    rows = [  # slice_file_name, fsID, start, end, salience, fold, classID, class
        ("100032-3-0-0.wav", 100032, 0.0, 1.0, 1, 1, 3, "dog_bark"),
        ("100263-2-0-117.wav", 100263, 58.5, 62.5, 2, 2, 2, "children_playing"),
        ("102305-6-0-0.wav", 102305, 0.0, 2.0, 1, 1, 6, "gun_shot"),
    ]
    for i, row in enumerate(rows):
        _wav(root / "audio" / f"fold{row[5]}" / row[0], row[3] - row[2], rate=22050, seed=i)
    _csv(root / "metadata" / "UrbanSound8K.csv", "slice_file_name,fsID,start,end,salience,fold,classID,class", rows)
    return root


@pytest.fixture
def table(tmp_path):
    root = tmp_path / "My Sounds"
    _wav(root / "crowd.wav", 6.0, rate=44100, channels=2, seed=1, level=0.05)
    whistle = root / "whistles" / "ref whistle.wav"
    t = np.arange(int(0.6 * RATE)) / RATE
    whistle.parent.mkdir(parents=True)
    sf.write(whistle, (0.3 * np.sin(2 * np.pi * 2800 * t) * np.hanning(len(t))).astype(np.float32), RATE)
    _wav(root / "nc.wav", 2.0, seed=3)
    _wav(root / "silence.wav", 2.0, level=0.0)
    _csv(root / "licenses.csv", "file,license,attribution,source_url,role,scene_tags,event_labels,context_cue,"
         "contains_speech", [
             ("crowd.wav", "CC-BY-4.0", "Jane Doe", "https://example.org/crowd", "background",
              "basketball_game;boxing_match", "crowd", "a crowd in a gym", "false"),
             ("whistles/ref whistle.wav", "http://creativecommons.org/publicdomain/zero/1.0/", "John Roe", "", "",
              "basketball_game;boxing_match", "whistle", "a referee's whistle", ""),
             ("nc.wav", "CC-BY-NC-4.0", "Nobody", "", "", "", "dog_bark", "", "no"),
             ("silence.wav", "CC0-1.0", "Nobody", "", "", "garden", "", "", "no"),
         ])
    return root


def _bank(folder):
    bank = load_bank(folder)
    assert validate_bank(bank) == []
    return bank


def test_esc50_licences_tags_attribution_and_layout(esc50, tmp_path):
    summary = import_bank(f"esc50:{esc50}", tmp_path / "bank")
    bank = _bank(tmp_path / "bank")
    clips = bank.by_id
    assert sorted(clips) == ["esc50-1-100032-a-0", "esc50-1-115545-a-48", "esc50-3-2222-a-41"]
    assert summary.clips == 3 and summary.skipped == {"no mapped label": 1}
    dog, fireworks, chainsaw = (clips[k] for k in sorted(clips))
    assert (dog.license, fireworks.license, chainsaw.license) == ("CC-BY-3.0", "CC-BY-NC-3.0", "CC-BY-3.0")
    assert fireworks.commercial_ok is False and dog.commercial_ok is True
    assert dog.scene_tags == ("dog_at_home",) and fireworks.scene_tags == ("fireworks_show", "new_year_party")
    assert chainsaw.scene_tags == ("garden", "diy_workshop") and dog.event_labels == ("dog",)
    # the LICENSE file's credit, parentheses in the title and all; else the Freesound id
    assert dog.attribution.startswith("'rose_bark (take 2).wav' by nfrae (https://freesound.org/s/100032/)")
    assert "Freesound sound 115545" in fireworks.attribution
    assert fireworks.source_url == "https://freesound.org/s/115545/"
    assert dog.role == "background" and dog.duration_s == 5.0 and dog.sample_rate == RATE  # 5 s is not < 5 s
    attribution = (tmp_path / "bank" / "ATTRIBUTION.md").read_text()
    assert "CC BY-NC 3.0" in attribution and "1 clip(s) are non-commercial" in attribution
    assert "`esc50-3-2222-a-41` | CC-BY-3.0" in attribution


def test_licence_filter_keeps_only_the_esc10_subset(esc50, tmp_path):
    summary = import_bank(f"esc50:{esc50}", tmp_path / "bank", licenses=["CC-BY-3.0", "CC0-1.0"])
    assert {c.license for c in _bank(tmp_path / "bank").catalogue.clips} == {"CC-BY-3.0"}
    assert summary.clips == 2 and summary.skipped == {"no mapped label": 1, "licence not allowed": 1}


def test_fsd50k_per_clip_licences_multi_labels_and_speech(fsd50k, tmp_path):
    summary = import_bank(f"fsd50k:{fsd50k}", tmp_path / "bank")
    clips = _bank(tmp_path / "bank").by_id
    assert sorted(clips) == ["fsd50k-1001", "fsd50k-1002", "fsd50k-1004", "fsd50k-2001"]  # gunshot unmapped
    assert {k: c.license for k, c in clips.items()} == {
        "fsd50k-1001": "CC0-1.0", "fsd50k-1002": "CC-BY-3.0",
        "fsd50k-1004": "LicenseRef-Freesound-Sampling-Plus", "fsd50k-2001": "CC-BY-4.0"}
    assert clips["fsd50k-1001"].scene_tags == ("soccer_match", "basketball_game", "boxing_match")
    assert clips["fsd50k-1001"].role == "background" and clips["fsd50k-1002"].role == "event"
    assert clips["fsd50k-1002"].scene_tags == ("dog_at_home",)
    assert clips["fsd50k-1004"].contains_speech and not clips["fsd50k-1002"].contains_speech
    assert clips["fsd50k-1004"].scene_tags == ("home_cooking", "restaurant_kitchen")
    assert clips["fsd50k-1002"].attribution.startswith("'clip 1002.wav' by user1002 (https://freesound.org/s/1002/)")
    assert summary.skipped == {"no mapped label": 1} and summary.unknown_tags == set()


def test_fsd50k_unknown_licence_url_names_file_clip_and_field(fsd50k, tmp_path):
    info_file = fsd50k / "FSD50K.metadata" / "dev_clips_info_FSD50K.json"
    info = json.loads(info_file.read_text())
    info["1002"]["license"] = "http://creativecommons.org/licenses/nc-sampling+/1.0/"
    info_file.write_text(json.dumps(info))
    with pytest.raises(AorgenError) as err:
        import_bank(f"fsd50k:{fsd50k}", tmp_path / "bank")
    assert (err.value.file, err.value.item, err.value.field) == (str(info_file), "1002", "license")
    assert not (tmp_path / "bank").exists()


def test_urbansound8k_salience_resampling_and_tags_map(urbansound8k, tmp_path):
    import_bank(f"urbansound8k:{urbansound8k}", tmp_path / "bank", sample_rate=16000)
    clips = _bank(tmp_path / "bank").by_id
    assert sorted(clips) == ["us8k-100032-3-0-0", "us8k-100263-2-0-117"]  # gun_shot has no default tag
    dog, kids = clips["us8k-100032-3-0-0"], clips["us8k-100263-2-0-117"]
    assert {dog.license, kids.license} == {"CC-BY-NC-3.0"}
    assert dog.role == "event" and kids.role == "background"  # salience 2 = background
    assert kids.sample_rate == 16000 and abs(kids.duration_s - 4.0) < 1e-3
    assert "58.5-62.5 s" in kids.attribution and kids.source_url == "https://freesound.org/s/100263/"

    tags_map = tmp_path / "tags.yaml"
    tags_map.write_text(yaml.safe_dump({"Gun Shot": ["archery_range"], "dog_bark": [],
                                        "children_playing": ["kids_playing", "kids_party"]}))
    summary = import_bank(f"urbansound8k:{urbansound8k}", tmp_path / "mapped", tags_map=tags_map, role="event")
    clips = _bank(tmp_path / "mapped").by_id
    assert sorted(clips) == ["us8k-100263-2-0-117", "us8k-102305-6-0-0"]
    assert clips["us8k-102305-6-0-0"].scene_tags == ("archery_range",)
    assert {c.role for c in clips.values()} == {"event"} and summary.roles == {"event": 2}
    assert summary.unknown_tags == {"kids_party"} and "kids_party" in summary.describe()
    assert clips["us8k-102305-6-0-0"].sample_rate == 22050


def test_folder_table_mono_loudness_and_filter(table, tmp_path):
    summary = import_bank(f"folder:{table}", tmp_path / "bank", licenses=["CC-BY-4.0", "CC0-1.0"])
    bank = _bank(tmp_path / "bank")
    assert bank.name == "my-sounds" and summary.skipped == {"licence not allowed": 1, "silent": 1}
    assert sorted(bank.by_id) == ["crowd", "whistles-ref-whistle"]
    crowd, whistle = bank.clip("crowd"), bank.clip("whistles-ref-whistle")
    assert (crowd.role, crowd.sample_rate, crowd.source_url) == ("background", 44100, "https://example.org/crowd")
    assert whistle.role == "event" and whistle.license == "CC0-1.0" and whistle.commercial_ok
    assert crowd.scene_tags == ("basketball_game", "boxing_match") and crowd.context_cue == "a crowd in a gym"
    stored, rate = sf.read(bank.audio_path(crowd), dtype="float32")
    original, _ = sf.read(table / "crowd.wav", dtype="float32")
    assert stored.ndim == 1 and rate == 44100
    np.testing.assert_allclose(stored, original.mean(axis=1), atol=1.5 / 32768)
    assert abs(crowd.loudness_lufs - integrated_loudness(original.mean(axis=1), rate)) < 0.05


def test_reimport_refuses_then_overwrites_with_identical_bytes(table, tmp_path):
    out = tmp_path / "bank"
    import_bank(f"folder:{table / 'licenses.csv'}", out, bank_name="mine")
    first = file_hashes(out)
    with pytest.raises(AorgenError, match="already exists"):
        import_bank(f"folder:{table}", out, bank_name="mine")
    import_bank(f"folder:{table}", out, bank_name="mine", overwrite=True)
    assert file_hashes(out) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["My Sounds", "bank"]  # no staging left behind
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep me")
    with pytest.raises(AorgenError, match="not a sound bank"):
        import_bank(f"folder:{table}", tmp_path / "other", overwrite=True)


@pytest.mark.parametrize("breakage, file, field", [
    ("missing_csv", "meta/esc50.csv", None),
    ("missing_column", "meta/esc50.csv", "esc10"),
    ("missing_audio", "meta/esc50.csv", "filename"),
])
def test_bad_input_names_file_and_field_and_writes_nothing(esc50, tmp_path, breakage, file, field):
    meta = esc50 / "meta" / "esc50.csv"
    if breakage == "missing_csv":
        meta.unlink()
    elif breakage == "missing_column":
        meta.write_text(meta.read_text().replace(",esc10,", ",esc_10,"))
    else:
        (esc50 / "audio" / "3-2222-A-41.wav").unlink()
    with pytest.raises(AorgenError) as err:
        import_bank(f"esc50:{esc50}", tmp_path / "bank")
    assert err.value.file == str(esc50 / file) and err.value.field == field
    if breakage == "missing_audio":
        assert err.value.item == "3-2222-A-41" and "3-2222-A-41.wav" in err.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ESC-50-master"]


def test_folder_table_errors(table, tmp_path):
    csv_file = table / "licenses.csv"
    text = csv_file.read_text()
    csv_file.write_text(text.replace("CC-BY-NC-4.0", "CC-BY-NC-ND-4.0"))
    with pytest.raises(AorgenError) as err:
        import_bank(f"folder:{table}", tmp_path / "bank")
    assert (err.value.file, err.value.item, err.value.field) == (str(csv_file), "line 4 (nc.wav)", "license")
    csv_file.write_text(text.replace(",background,", ",bed,"))
    with pytest.raises(AorgenError, match="role must be"):
        import_bank(f"folder:{table}", tmp_path / "bank")
    for source, field in [("nope:/x", "SOURCE"), (f"esc50:{tmp_path}/absent", "SOURCE")]:
        with pytest.raises(AorgenError) as err:
            import_bank(source, tmp_path / "bank")
        assert err.value.field == field
    for option, field in [({"licenses": ["CC-BY"]}, "--licenses"), ({"bank_name": "My Bank"}, "--bank-name")]:
        with pytest.raises(AorgenError) as err:
            import_bank(f"folder:{table}", tmp_path / "bank", **option)
        assert err.value.field == field


def test_cli_import_prints_a_summary_and_one_line_errors(table, tmp_path):
    runner = CliRunner()
    out = tmp_path / "bank"
    result = runner.invoke(main, ["soundbank", "import", f"folder:{table}", "--out", str(out),
                                  "--licenses", "CC0-1.0", "--bank-name", "refs"])
    assert result.exit_code == 0, result.output
    assert "imported 1 clips into bank 'refs'" in result.output and "licence not allowed 2" in result.output
    assert [c.id for c in _bank(out).catalogue.clips] == ["whistles-ref-whistle"]
    again = runner.invoke(main, ["soundbank", "import", f"folder:{table}", "--out", str(out)])
    assert again.exit_code == 2
    assert again.output.strip() == f"aorgen: error: {out}: --out: bank folder already exists (use --overwrite to replace it)"


def test_layout_detection_finds_each_release(esc50, fsd50k, urbansound8k, table, tmp_path):
    assert detect_layout(esc50) == ("esc50", esc50)
    assert detect_layout(fsd50k) == ("fsd50k", fsd50k)
    assert detect_layout(tmp_path) == ("esc50", esc50)  # one folder down, first in name order
    assert detect_layout(urbansound8k)[0] == "urbansound8k" and detect_layout(table)[0] == "folder"
    with pytest.raises(AorgenError, match="no known dataset layout"):
        detect_layout(esc50 / "audio")


@pytest.mark.parametrize("value, expected", [
    ("http://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
    ("http://creativecommons.org/licenses/by/3.0/", "CC-BY-3.0"),
    ("https://creativecommons.org/licenses/by-nc/4.0/legalcode", "CC-BY-NC-4.0"),
    ("http://creativecommons.org/licenses/sampling+/1.0/", "LicenseRef-Freesound-Sampling-Plus"),
    ("CC-BY-SA-4.0", "CC-BY-SA-4.0"),
    ("http://creativecommons.org/licenses/by-nc-nd/4.0/", None),
    ("CC-BY", None),
])
def test_licence_urls_map_to_spdx(value, expected):
    assert spdx_id(value) == expected


def test_default_tags_are_scene_tags_of_the_builtin_banks():
    known = set().union(*(load_bank(p).scene_tags for p in builtin_bank_paths()))
    used = {t for tags in DEFAULT_TAGS.values() for t in tags}
    assert used <= known
    assert all(normalise_label(label) == label for label in DEFAULT_TAGS)
    assert normalise_label("Frying_(food)") == "frying_food" and normalise_label("Gun Shot") == "gun_shot"
    assert "gun_shot" not in DEFAULT_TAGS and "gunshot_and_gunfire" not in DEFAULT_TAGS


def test_recipe_builds_with_an_imported_bank(mini, table, tmp_path):
    from aorgen.dataset.build import build
    from aorgen.dataset.schema import iter_rows
    from aorgen.content.recipe import load_recipe

    bank = tmp_path / "imported"
    import_bank(f"folder:{table}", bank, licenses=["CC-BY-4.0", "CC0-1.0"], bank_name="imported")
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe["sound_banks"] = [str(bank)]
    recipe["samples_per_category"] = {"pseudo_harmful": 2, "harmful_contrast": 1, "benign_control": 1}
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    summary = build(load_recipe(mini["recipe"]), mini["out"], cache_dir=mini["cache"])
    assert summary.clips == 4 and summary.qc_failed == 0
    rows = [row.data for row in iter_rows(mini["out"] / "mini")]
    assert {b for row in rows for b in row["background_ids"]} <= {"imported/crowd", "imported/whistles-ref-whistle"}
    assert {lic for row in rows for lic in row["licenses"]} <= {"CC-BY-4.0", "CC0-1.0"}
    samples, rate = sf.read(io.BytesIO(next(iter_rows(mini["out"] / "mini")).audio_bytes()))
    assert rate == 16000 and len(samples) > rate


def test_hub_source_snapshots_then_reads_the_layout_it_finds(esc50, tmp_path, monkeypatch):
    import huggingface_hub

    calls = []

    def fake_snapshot(repo_id, repo_type, revision):  # the network call; the rest is real
        calls.append((repo_id, repo_type, revision))
        return str(esc50.parent)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot)
    summary = import_bank("hf:someone/esc50-mirror@v2", tmp_path / "bank", licenses=["CC-BY-3.0"])
    assert calls == [("someone/esc50-mirror", "dataset", "v2")]
    assert summary.bank == "esc50" and summary.clips == 2


def test_soundata_source_without_the_package_names_the_extra(tmp_path, monkeypatch):
    import sys

    from aorgen.errors import MissingExtra

    monkeypatch.setitem(sys.modules, "soundata", None)  # not installed (import raises)
    with pytest.raises(MissingExtra, match=r"aorgen\[importers\]"):
        import_bank("soundata:esc50", tmp_path / "bank")
    with pytest.raises(AorgenError, match="has no importer"):
        import_bank("soundata:tau2019uas", tmp_path / "bank")
