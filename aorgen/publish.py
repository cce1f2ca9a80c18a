"""Push a built dataset folder to the Hugging Face Hub."""

from __future__ import annotations

from pathlib import Path

from aorgen.dataset import shard_files
from aorgen.errors import AorgenError


def publish(folder: Path, repo_id: str, *, private: bool = False, revision: str | None = None,
            token: str | None = None) -> str:
    """Create (or reuse) the dataset repo and upload the folder. The token comes from
    ``token``, $HF_TOKEN or the user's ``hf auth login``; it is never printed."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    folder = Path(folder)
    shard_files(folder)  # refuses a folder that is not a dataset
    if not (folder / "README.md").exists():
        raise AorgenError("no dataset card (README.md); was the build finished?", file=folder)
    if "/" not in repo_id:
        raise AorgenError(f"expected ORG/NAME, got '{repo_id}'", field="--repo-id")
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id, repo_type="dataset", folder_path=str(folder), revision=revision,
            commit_message="Upload aorgen dataset", ignore_patterns=[".*", "build.json"],
        )
    except HfHubHTTPError as exc:
        raise AorgenError(f"the Hub refused the upload: {exc.response.status_code if exc.response is not None else exc}",
                          field="--repo-id") from None
    return str(getattr(commit, "commit_url", f"https://huggingface.co/datasets/{repo_id}"))
