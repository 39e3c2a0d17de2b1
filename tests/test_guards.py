"""Guards that hold from the attacker's side, on a moto server: ownership is iamsync's
bookkeeping, not a path anyone can set; a saved plan applies only to its own commit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import GitRepo, MotoServer
from tests.test_loop import ACCOUNT, doc
from tests.test_review_loop import _applied_seed

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _console_admin(iam: Any, name: str = "alice") -> str:
    """An administrator made in the console, with an access key and a password."""
    iam.create_user(UserName=name, Path="/")
    iam.attach_user_policy(UserName=name, PolicyArn=ADMIN)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    iam.create_login_profile(UserName=name, Password="Correct-Horse-1")
    return str(key)


def test_a_user_moved_under_the_prefix_is_never_deleted_or_changed(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    key = _console_admin(iam)
    iam.update_user(UserName="alice", NewPath="/iamsync/")  # anyone with UpdateUser could

    planned = repo.run("--plan", "--format", "json")
    assert planned.code == 0, planned.err
    data = json.loads(planned.out)
    assert not [c for c in data["changes"] if c["name"] == "alice"]
    assert data["left_alone"] == ["user alice"]
    text = repo.run("--plan")
    assert "left alone: user alice is under /iamsync/ but iamsync did not make it" in text.out
    assert "- user alice" not in text.out

    applied = repo.run("--apply")
    assert applied.code == 0, applied.err
    assert "alice" not in applied.out.replace("left alone: user alice", "")
    user = iam.get_user(UserName="alice")["User"]
    assert user["Path"] == "/iamsync/"
    keys = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key]
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["UserName"] == "alice"
    attached = iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [ADMIN]


def test_a_file_for_a_moved_user_is_an_adoption_the_plan_says(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    _console_admin(iam, "bob")
    iam.update_user(UserName="bob", NewPath="/iamsync/")
    imported = repo.run("--import")
    assert imported.code == 0 and "wrote users/bob.json" in imported.out
    user = json.loads((repo.root / "users" / "bob.json").read_text())
    user["permissions_boundary"] = f"arn:aws:iam::{ACCOUNT}:policy/iamsync-boundary"
    repo.write({"users/bob.json": user}).commit("adopt bob")
    plan = repo.run("--plan")
    assert "~ user bob\n    adopts it: iamsync did not make it" in plan.out, plan.out


def test_a_policy_iamsync_did_not_make_is_never_deleted(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    """Policies carry no tags in the bulk read: a plan reads the tags of the ones it would
    delete (one call each), and leaves alone those iamsync did not make."""
    repo = _applied_seed(git_repo, iam)
    iam.create_policy(
        PolicyName="by-hand", Path="/iamsync/", PolicyDocument=json.dumps(doc("s3:X"))
    )
    data = json.loads(repo.run("--plan", "--format", "json").out)
    assert data["changes"] == [] and data["left_alone"] == ["policy by-hand"]
    ecr = repo.root / "policies" / "ecr-push.json"
    user = json.loads((repo.root / "users" / "cdk-deployer.json").read_text())
    role = json.loads((repo.root / "roles" / "cdk-deployer-github.json").read_text())
    for holder in (user, role):
        holder["policies"].remove("ecr-push")
    ecr.unlink()
    repo.write({"users/cdk-deployer.json": user, "roles/cdk-deployer-github.json": role})
    repo.commit("drop ecr-push")
    gone = json.loads(repo.run("--plan", "--format", "json").out)
    deleted = [(c["type"], c["name"]) for c in gone["changes"] if c["action"] == "delete"]
    assert deleted == [("policy", "ecr-push")]  # iamsync's own: tagged when it made it
    assert gone["left_alone"] == ["policy by-hand"]


def test_a_saved_plan_of_an_older_commit_is_refused_with_no_writes(
    aws: MotoServer, iam: Any, git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = _applied_seed(git_repo, iam)
    admin = {"policies": [ADMIN]}
    repo.write({"users/intruder.json": admin}).commit("add an admin")
    saved = tmp_path / "plan.json"
    assert repo.run("--plan", "--out", str(saved)).code == 0
    (repo.root / "users" / "intruder.json").unlink()
    repo.commit("remove it again")
    rolled = repo.run("--apply", "--plan-file", str(saved))
    assert rolled.code == 1
    assert "not the commit being applied" in rolled.err
    assert "intruder" not in {u["UserName"] for u in iam.list_users()["Users"]}


def test_iamsync_s_tag_is_read_in_any_case_and_never_untagged() -> None:
    """IAM tag keys ignore case: "Managed-By" is iamsync's key, never removed by a plan."""
    from iamsync.core.ownership import owned
    from iamsync.kinds.principal import _tag_changes
    from tests.test_plan_calls import live_user

    assert owned(live_user("ci", tags={"Managed-By": "iamsync"}), "/iamsync/")
    assert not owned(live_user("ci", tags={"Managed-By": "terraform"}), "/iamsync/")
    to_set, to_unset = _tag_changes({"team": "x"}, {"Managed-By": "terraform", "team": "x"})
    assert to_set == {} and to_unset == ()


def test_a_rename_whose_old_and_new_names_both_exist_is_refused(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write({"users/a.json": {}, "users/b.json": {}}).commit()
    assert git_repo.run("--apply").code == 0
    key = iam.create_access_key(UserName="a")["AccessKey"]["AccessKeyId"]
    (git_repo.root / "users" / "a.json").unlink()
    git_repo.write({"users/b.json": {"renamed_from": "a"}}).commit("rename a to b")
    refused = git_repo.run("--plan")
    assert refused.code == 1
    assert 'users/b.json:2:19: error: user "b" is renamed from "a", but both exist' in refused.err
    assert "[RENAME_CONFLICT]" in refused.err
    assert git_repo.run("--apply").code == 1
    keys = iam.list_access_keys(UserName="a")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key]  # user a and its key are still there


def test_import_into_the_shipped_repository_writes_files_that_validate(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    """Under the shipped iamsync.json (which requires iamsync-boundary), imported users and
    roles do not repeat the boundary; what a file cannot hold (a policy's tags) is said."""
    repo = _applied_seed(git_repo, iam)
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/iamsync-boundary"
    mark = [{"Key": "managed-by", "Value": "iamsync"}]
    iam.create_user(UserName="hand", Path="/iamsync/", PermissionsBoundary=boundary, Tags=mark)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(
        RoleName="hand-role",
        Path="/iamsync/",
        PermissionsBoundary=boundary,
        AssumeRolePolicyDocument=json.dumps(trust),
        Tags=mark,
    )
    iam.create_policy(
        PolicyName="tagged",
        Path="/iamsync/",
        PolicyDocument=json.dumps(doc("s3:GetObject")),
        Tags=[{"Key": "team", "Value": "data"}],
    )
    imported = repo.run("--import")
    assert imported.code == 0, imported.err
    assert "warning: policy tagged: its tags (team=data) are not kept" in imported.err
    for rel in ("users/hand.json", "roles/hand-role.json"):
        assert "permissions_boundary" not in json.loads((repo.root / rel).read_text())
    repo.commit("import")
    assert repo.run("--validate").code == 0
    assert "No changes." in repo.run("--plan").out


def test_a_missing_required_boundary_is_one_line_at_iamsync_json(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    """An account without the bootstrap stack: one problem with the cause and the fix, not
    one per user."""
    from tests.test_loop import seed_repo

    repo = seed_repo(git_repo)  # no iam: the boundary policy is not in the account
    repo.write({f"users/u{i}.json": {"policies": ["ecr-push"]} for i in range(30)}).commit("30")
    refused = repo.run("--plan")
    assert refused.code == 1
    lines = [
        line for line in refused.err.splitlines() if re.match(r"[\w./-]+:\d+:\d+: error:", line)
    ]
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith("iamsync.json:")
    assert "deploy iamsync's bootstrap stack first" in line and "[BOUNDARY_MISSING]" in line
    assert "32 users and roles of this plan need it" in line
