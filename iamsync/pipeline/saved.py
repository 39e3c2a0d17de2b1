"""A saved plan (--apply --plan-file) applies only what was reviewed, or nothing.

Nothing in the file is trusted: it names a commit, and the plan is made again from that
commit's files (validation and ownership included) against live IAM now. It is applied
only when that plan is the file's, change for change, and live IAM is as it was then.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from iamsync.aws import session as aws
from iamsync.core.errors import IamsyncError
from iamsync.engine import plan as plan_mod, repo
from iamsync.files import git, tree as tree_mod
from iamsync.pipeline.plan import Reporter, compute_plan
from iamsync.render import planfile

_COMMIT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1 or SHA-256, in full


class PlanRefused(IamsyncError):
    """The saved plan is not what its commit plans now; nothing was written."""


def verify(
    path: Path, root: Path, target_name: str | None, report: Reporter
) -> tuple[plan_mod.Plan, aws.Connection]:
    """The plan to apply: recomputed from the saved plan's commit, equal to the file."""
    raw = _read(path)
    saved = planfile.loads(raw, str(path))
    commit = _commit(saved.commit, root, path)
    try:
        tree = tree_mod.CommitTree.of(root, commit, repo.scope())
    except git.GitError as exc:
        raise PlanRefused(f"cannot read commit {commit[:12]}: {exc}; nothing was written") from exc
    again, connection = compute_plan(root, target_name, report, tree, commit)
    if again.account_id != saved.account_id:
        raise PlanRefused(
            f"{path} was made for account {saved.account_id}, but the credentials belong to "
            f"account {again.account_id}; nothing was written"
        )
    if again.fingerprint != saved.fingerprint:
        raise PlanRefused(
            f"live IAM changed since {path} was made, so it is not the plan that was "
            "reviewed; nothing was written. Make a new plan (--plan --out) and review it"
        )
    reviewed = planfile.without_review(json.loads(raw))
    if _canonical(planfile.without_review(planfile.to_json(again))) != _canonical(reviewed):
        raise PlanRefused(
            f"{path} is not the plan that commit {commit[:12]} makes: the file was edited, "
            "or made by another iamsync version. Nothing was written. Make a new plan "
            "(--plan --out) and review it"
        )
    return again, connection


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise IamsyncError(f"{path} is over {MAX_PLAN_BYTES:,} bytes: not a saved plan")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IamsyncError(f"cannot read the plan file: {exc}") from exc


MAX_PLAN_BYTES = 200_000_000  # a plan of every IAM resource an account can hold is far smaller


def _commit(named: str, root: Path, path: Path) -> str:
    """The saved plan's commit, if it is the commit checked out (HEAD)."""
    if not named:
        raise PlanRefused(
            f"{path} was made from files that were not all committed, so no commit holds "
            "what was reviewed; commit, plan again (--plan --out), and apply that. Nothing "
            "was written"
        )
    if not _COMMIT_ID.fullmatch(named):
        raise PlanRefused(f"{path} names no commit id ({named[:40]!r}); nothing was written")
    try:
        commit = git.resolve(root, named)
    except git.GitError as exc:
        raise PlanRefused(
            f"{path} names commit {named[:40]!r}, which this repository does not have; "
            "nothing was written"
        ) from exc
    head = git.resolve(root, "HEAD")
    if commit != head:
        behind = git.is_ancestor(root, commit, "HEAD")
        why = (
            "an older commit of this branch: applying it would undo what came after it"
            if behind
            else "not in the history of the checked-out branch"
        )
        raise PlanRefused(
            f"{path} was made from commit {commit[:12]}, which is not the commit being "
            f"applied (HEAD, {head[:12]}): {why}. A saved plan applies only to its own "
            "commit; plan HEAD again (--plan --out) and review that. Nothing was written"
        )
    return commit


def _canonical(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True))
