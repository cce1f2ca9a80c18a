"""Push a built dataset folder to the Hugging Face Hub."""

from __future__ import annotations

from pathlib import Path

from aorgen.dataset.schema import shard_files
from aorgen.errors import AorgenError


IGNORE = [".*", "build.json"]  # hidden files and the local build record stay behind
GATED = ("auto", "manual")  # the Hub's access-request modes: approved at once, or by the owners


def upload_plan(folder: Path) -> list[tuple[str, int]]:
    """(path, bytes) of every file an upload of ``folder`` sends, in order."""
    folder = Path(folder)
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts) and rel.name not in IGNORE:
            files.append((rel.as_posix(), path.stat().st_size))
    return files


def check_publishable(folder: Path, repo_id: str, gated: str | None) -> None:
    shard_files(folder)  # refuses a folder that is not a dataset
    if not (folder / "README.md").exists():
        raise AorgenError("no dataset card (README.md); was the build finished?", file=folder)
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise AorgenError(f"expected ORG/NAME, got '{repo_id}'", field="--repo-id")
    if gated is not None and gated not in GATED:
        raise AorgenError(f"gated must be one of {', '.join(GATED)}, got '{gated}'", field="--gated")


def publish(folder: Path, repo_id: str, *, private: bool = False, revision: str | None = None,
            token: str | None = None, gated: str | None = None) -> str:
    """Create (or reuse) the dataset repo, gate it if asked (users then accept the card's
    ``extra_gated_prompt`` before downloading) and upload the folder. The token comes from
    ``token``, $HF_TOKEN or the user's ``hf auth login``; it is never printed."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    folder = Path(folder)
    check_publishable(folder, repo_id, gated)
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if gated:
            api.update_repo_settings(repo_id, repo_type="dataset", gated=gated)
        commit = api.upload_folder(
            repo_id=repo_id, repo_type="dataset", folder_path=str(folder), revision=revision,
            commit_message="Upload aorgen dataset", ignore_patterns=IGNORE,
        )
    except HfHubHTTPError as exc:
        raise AorgenError(f"the Hub refused the upload: {exc.response.status_code if exc.response is not None else exc}",
                          field="--repo-id") from None
    return str(getattr(commit, "commit_url", f"https://huggingface.co/datasets/{repo_id}"))
