"""``aorgen report --log-hub REPO_ID``: upload a report folder (``results.json``,
``samples.jsonl``, tables and plots) to a Hugging Face dataset repo, under ``PATH/`` (default:
the report folder's name), in one commit. The token comes from $HF_TOKEN or the user's
``hf auth login``; it is never printed, and errors name only the repo and the status."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aorgen.errors import AorgenError

#: what a report upload must hold, or it is not a report folder
REQUIRED = ("results.json", "samples.jsonl")


@dataclass(frozen=True)
class PlannedFile:
    path_in_repo: str
    size: int
    sha256: str


def upload_plan(report_dir: str | Path, path_in_repo: str | None = None):
    """huggingface_hub commit operations for every file of ``report_dir`` (hidden files
    left out), placed under ``path_in_repo``; with the (path, bytes, sha256) they send."""
    from huggingface_hub import CommitOperationAdd

    report_dir = Path(report_dir)
    for name in REQUIRED:
        if not (report_dir / name).is_file():
            raise AorgenError(f"not a report folder (no {name}): run `aorgen report` first", file=report_dir)
    prefix = (path_in_repo if path_in_repo is not None else report_dir.name).strip("/")
    if ".." in prefix.split("/"):
        raise AorgenError(f"must stay inside the repo, got '{path_in_repo}'", field="--hub-path")
    ops = [
        CommitOperationAdd(path_in_repo="/".join(p for p in (prefix, f.relative_to(report_dir).as_posix()) if p),
                           path_or_fileobj=str(f))
        for f in sorted(report_dir.rglob("*"))
        if f.is_file() and not any(part.startswith(".") for part in f.relative_to(report_dir).parts)
    ]
    plan = [PlannedFile(op.path_in_repo, op.upload_info.size, op.upload_info.sha256.hex()) for op in ops]
    return ops, plan


def check_repo_id(repo_id: str) -> None:
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise AorgenError(f"expected ORG/NAME, got '{repo_id}'", field="--log-hub")


def log_to_hub(report_dir: str | Path, repo_id: str, *, path_in_repo: str | None = None,
               private: bool = False, token: str | None = None) -> str:
    """Create (or reuse) the dataset repo ``repo_id`` and commit the report folder to it;
    returns the commit URL."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    check_repo_id(repo_id)
    ops, _ = upload_plan(report_dir, path_in_repo)
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.create_commit(repo_id, ops, repo_type="dataset",
                                   commit_message=f"aorgen report {Path(report_dir).name}")
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "no response"
        raise AorgenError(f"the Hub refused the upload (HTTP {status})", item=repo_id, field="--log-hub") from None
    except (OSError, ValueError) as exc:  # offline mode, no connection, no token
        raise AorgenError(f"cannot upload: {type(exc).__name__}", item=repo_id, field="--log-hub") from None
    return str(commit.commit_url)
