"""Trust boundaries, each as an attacker tried it: nothing is applied that was not reviewed.

A saved plan is data, not authority; a git-ignored file is never read; a commit outside
the branch's history is never applied. Every test asserts that IAM did not move.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from iamsync.engine import repo
from tests.conftest import GitRepo, MotoServer
from tests.test_loop import PREFIX_ARN, attached, doc, state

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _saved_plan(git_repo: GitRepo) -> tuple[Path, dict[str, Any]]:
    git_repo.write(
        {"policies/p.json": doc("s3:GetObject"), "users/ci.json": {"policies": ["p"]}}
    ).commit()
    path = git_repo.root.parent / "plan.json"
    made = git_repo.run("--plan", "--out", str(path))
    assert made.code == 0, made.err
    return path, json.loads(path.read_text())


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2))


def test_a_tampered_saved_plan_is_refused_and_nothing_is_written(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    path, data = _saved_plan(git_repo)
    user = next(c for c in data["changes"] if c["type"] == "user")
    user["attach"].append(ADMIN)
    user["add_groups"].append("Admins")
    _write(path, data)
    iam.create_group(GroupName="Admins")
    before = state(iam)
    refused = git_repo.run("--apply", "--plan-file", str(path))
    assert refused.code == 1
    assert f"is not the plan that commit {git_repo.head()[:12]} makes" in refused.err
    assert "nothing was written" in refused.err.lower()
    assert state(iam) == before
    assert iam.get_group(GroupName="Admins")["Users"] == []


def test_a_saved_plan_cannot_move_the_ownership_prefix(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    path, data = _saved_plan(git_repo)
    data["path_prefix"] = "/"
    _write(path, data)
    before = state(iam)
    refused = git_repo.run("--apply", "--plan-file", str(path))
    assert refused.code == 1 and "is not the plan that commit" in refused.err
    assert state(iam) == before


def test_a_saved_plan_of_an_unknown_commit_is_refused(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    path, data = _saved_plan(git_repo)
    before = state(iam)
    for commit, words in (
        ("0123456789abcdef0123456789abcdef01234567", "which this repository does not have"),
        ("--output=/tmp/x", "names no commit id"),
        ("", "not all committed"),
    ):
        data["commit"] = commit
        _write(path, data)
        refused = git_repo.run("--apply", "--plan-file", str(path))
        assert refused.code == 1, commit
        assert words in refused.err, refused.err
    assert state(iam) == before


def test_a_saved_plan_of_a_commit_outside_the_branch_history_is_refused(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write({"policies/base.json": doc("s3:GetObject")}).commit("base")
    git_repo._git("checkout", "-q", "-b", "side")
    git_repo.write({"policies/p.json": doc("iam:*")}).commit("unreviewed")
    path = git_repo.root.parent / "plan.json"
    assert git_repo.run("--plan", "--out", str(path)).code == 0
    git_repo._git("checkout", "-q", "-")
    before = state(iam)
    refused = git_repo.run("--apply", "--plan-file", str(path))
    assert refused.code == 1
    assert "not in the history of the checked-out branch" in refused.err
    assert state(iam) == before


def test_a_saved_plan_is_refused_once_the_branch_moved_on(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    """Applying an ancestor's plan would undo what came after it (a rollback nobody
    reviewed): a saved plan applies only to the commit being applied."""
    path, _ = _saved_plan(git_repo)
    before = state(iam)
    git_repo.write({"policies/p.json": doc("s3:PutObject"), "users/ci.json": {}}).commit("later")
    applied = git_repo.run("--apply", "--plan-file", str(path))
    assert applied.code == 1
    assert "not the commit being applied" in applied.err
    assert state(iam) == before


def test_a_saved_plan_made_with_access_analyzer_findings_still_applies(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    # The review is what the plan's reader was shown, not what is applied: --plan
    # --access-analyzer adds findings that apply (without the flag) does not remake.
    path, data = _saved_plan(git_repo)
    data["access_analyzer"] = [
        {"document": "policy p", "type": "SUGGESTION", "issue": "X", "details": "d"}
    ]
    data["access_notes"] = ["a note"]
    _write(path, data)
    applied = git_repo.run("--apply", "--plan-file", str(path))
    assert applied.code == 0, applied.err
    assert attached(iam, "ci") == {f"{PREFIX_ARN}/p"}


def test_a_plan_of_uncommitted_files_says_it_cannot_be_applied(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write({"policies/p.json": doc("s3:GetObject")}).commit()
    git_repo.write({"policies/q.json": doc("s3:PutObject")})  # not committed
    path = git_repo.root.parent / "plan.json"
    made = git_repo.run("--plan", "--out", str(path))
    assert made.code == 0 and "(from uncommitted files: it cannot be applied)" in made.err
    refused = git_repo.run("--apply", "--plan-file", str(path), "--allow-dirty")
    assert refused.code == 1 and "not all committed" in refused.err
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_a_git_ignored_file_is_never_read_and_never_applied(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write(
        {
            ".gitignore": "build/\n",
            "policies/p.json": doc("s3:GetObject"),
            "policies/build/evil.json": doc("*"),
            "users/ci.json": {"policies": ["p"]},
        }
    ).commit()
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=git_repo.root, capture_output=True, text=True, check=True
    ).stdout
    assert "evil" not in tracked  # ignored: git status is clean, as the attacker wanted
    validated = git_repo.run("--validate")
    assert validated.code == 0
    assert "policies/build/evil.json:1:1: warning: not read: Git ignores this file" in validated.out
    planned = git_repo.run("--plan")
    assert "evil" not in planned.out
    for args in (("--apply",), ("--apply", "--allow-dirty")):
        assert git_repo.run(*args).code == 0
        names = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
        assert names == ["p"]


def test_apply_reads_the_commit_not_the_disk(aws: MotoServer, iam: Any, git_repo: GitRepo) -> None:
    """Even a file changed after the clean-tree check cannot reach IAM: apply reads Git."""
    from iamsync.files import tree

    git_repo.write({"policies/p.json": doc("s3:GetObject")}).commit()
    head = tree.CommitTree.of(git_repo.root, "HEAD", repo.scope())
    (git_repo.root / "policies" / "p.json").write_text(json.dumps(doc("*")))
    assert json.loads(head.read("policies/p.json"))["Statement"][0]["Action"] == ["s3:GetObject"]
    assert head.files("policies") == ["policies/p.json"]


def test_under_the_boundary_users_join_only_groups_under_the_path(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    from iamsync.aws import local

    boundary = "arn:aws:iam::123456789012:policy/iamsync-boundary"
    local.provide_boundary(iam, boundary, git_repo.root)
    iam.create_group(GroupName="Admins")
    config = {
        "permissions_boundary": "arn:{{Partition}}:iam::{{AccountId}}:policy/iamsync-boundary"
    }
    git_repo.write(
        {
            "iamsync.json": config,
            "groups/deployers.json": {},  # a managed group: iamsync creates it under the path
            "users/ci.json": '{"groups": ["deployers",\n "Admins"]}',
        }
    ).commit()
    before = state(iam)
    refused = git_repo.run("--apply")
    assert refused.code == 1
    assert refused.err.startswith(
        'users/ci.json:2:2: error: group "Admins" is at path /, outside /iamsync/'
    )
    assert state(iam) == before
    git_repo.write({"users/ci.json": {"groups": ["deployers"]}}).commit()
    applied = git_repo.run("--apply")
    assert applied.code == 0, applied.err
    user = iam.get_user(UserName="ci")["User"]
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert [u["UserName"] for u in iam.get_group(GroupName="deployers")["Users"]] == ["ci"]


def test_a_file_excluded_outside_gitignore_is_named_with_how_to_find_why(
    git_repo: GitRepo,
) -> None:
    """.git/info/exclude hides a file from git status as well as .gitignore does: the
    warning must not send the reader to a .gitignore that says nothing."""
    git_repo.write({"policies/p.json": doc("s3:GetObject")}).commit()
    (git_repo.root / ".git" / "info").mkdir(exist_ok=True)
    (git_repo.root / ".git" / "info" / "exclude").write_text("policies/hidden.json\n")
    (git_repo.root / "policies" / "hidden.json").write_text(json.dumps(doc("*")))
    validated = git_repo.run("--validate")
    assert validated.code == 0
    line = next(x for x in validated.out.splitlines() if "hidden.json" in x)
    assert line.startswith("policies/hidden.json:1:1: warning: not read: Git ignores this file")
    assert ".git/info/exclude" in line and "git check-ignore -v" in line
