"""`aorgen publish`: uploads a finished dataset folder; refuses anything else; never prints the token."""

from __future__ import annotations

import pytest

from aorgen.errors import AorgenError
from aorgen.dataset.publish import publish
from tests.conftest import cli, fails


class FakeApi:
    calls: list = []

    def __init__(self, token=None):
        self.token = token

    def create_repo(self, repo_id, **kwargs):
        FakeApi.calls.append(("create_repo", repo_id, kwargs))

    def upload_folder(self, **kwargs):
        FakeApi.calls.append(("upload_folder", kwargs))

        class Commit:
            commit_url = f"https://huggingface.co/datasets/{kwargs['repo_id']}/commit/abc"

        return Commit()


def test_publish_uploads_the_folder_as_a_dataset_repo(built_mini, monkeypatch):
    monkeypatch.setattr("huggingface_hub.HfApi", FakeApi)
    FakeApi.calls = []
    url = publish(built_mini["dataset"], "org/mini", private=True, token="hf_secret")
    (_, repo, create), (_, upload) = FakeApi.calls
    assert repo == "org/mini" and create == {"repo_type": "dataset", "private": True, "exist_ok": True}
    assert upload["folder_path"] == str(built_mini["dataset"]) and upload["repo_type"] == "dataset"
    assert ".*" in upload["ignore_patterns"]
    assert url.endswith("/commit/abc") and "hf_secret" not in url


def test_publish_refuses_a_folder_that_is_not_a_dataset(tmp_path):
    with pytest.raises(AorgenError, match="no parquet shards"):
        publish(tmp_path, "org/x")


def test_publish_cli_error_is_one_line_without_the_token(tmp_path):
    result = cli("publish", tmp_path, "--repo-id", "nameonly", env={"HF_TOKEN": "hf_secret"})
    fails(result, str(tmp_path))
    assert "hf_secret" not in result.stderr + result.stdout
