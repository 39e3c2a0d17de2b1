"""Many accounts at once: --all-targets and a repeated --target plan every target, each in
its own account (moto: STS AssumeRole into an account id gives that account its own IAM),
and one target that is refused fails alone."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.conftest import GOOD_POLICY, GitRepo, MotoServer

A, B, C = "111111111111", "222222222222", "333333333333"
ARN = "arn:{{Partition}}:iam::{{AccountId}}"


def _role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/iamsync-plan"


CONFIG = {
    "targets": {
        "a": {"account_id": A, "role_arn": _role(A)},
        "b": {"account_id": B, "role_arn": _role(B)},
        # its role is in another account than the one it names: refused, alone
        "wrong": {"account_id": C, "role_arn": _role("444444444444")},
    }
}


def _iam_of(aws: MotoServer, account: str) -> Any:
    sts = boto3.client("sts", endpoint_url=aws.url, region_name="us-east-1")
    creds = sts.assume_role(RoleArn=_role(account), RoleSessionName="test")["Credentials"]
    return boto3.client(
        "iam",
        endpoint_url=aws.url,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _repo(git_repo: GitRepo) -> GitRepo:
    return git_repo.write(
        {
            "iamsync.json": CONFIG,
            "policies/baseline.json": GOOD_POLICY,
            "targets/a/users/only-a.json": {"policies": ["baseline"]},
        }
    ).commit()


def test_all_targets_plan_each_account_and_one_refusal_fails_alone(
    aws: MotoServer, git_repo: GitRepo
) -> None:
    repo = _repo(git_repo)
    result = repo.run("--plan", "--all-targets", "--format", "json")
    assert result.code == 1  # one target failed
    found = {t["name"]: t for t in json.loads(result.out)["targets"]}
    assert list(found) == ["a", "b", "wrong"]
    assert found["a"]["account_id"] == A and found["b"]["account_id"] == B
    assert {(c["type"], c["name"]) for c in found["a"]["changes"]} == {
        ("policy", "baseline"),
        ("user", "only-a"),
    }
    assert {(c["type"], c["name"]) for c in found["b"]["changes"]} == {("policy", "baseline")}
    assert found["a"]["error"] is None and "access" in found["a"] and "findings" in found["a"]
    assert found["wrong"]["changes"] == [] and C in found["wrong"]["error"]
    assert "target wrong:" in result.err and "Traceback" not in result.err


def test_a_repeated_target_applies_nothing_but_plans_those_named(
    aws: MotoServer, git_repo: GitRepo
) -> None:
    repo = _repo(git_repo)
    text = repo.run("--plan", "--target", "a", "--target", "b", "--detailed-exitcode")
    assert text.code == 2, text.err
    assert (
        f"== target a (account {A}) ==" in text.out and f"== target b (account {B}) ==" in text.out
    )
    assert (
        "Targets: 2 (2 with changes, 0 failed). Plan: 3 to add, 0 to change, 0 to destroy."
        in text.out
    )
    comment = repo.run("--plan", "--all-targets", "--format", "markdown").out
    assert comment.count("<!-- iamsync-plan -->") <= 1 and len(comment) <= 65_536
    assert "Target `a`" in comment and "Target `b`" in comment and "could not be planned" in comment
    # each account holds only its own: apply one target, the other stays empty
    assert repo.run("--apply", "--target", "a").code == 0
    assert _iam_of(aws, A).get_user(UserName="only-a")["User"]["Path"] == "/iamsync/"
    assert _iam_of(aws, B).list_users()["Users"] == []
    again = json.loads(repo.run("--plan", "--target", "a", "--target", "b", "--format", "json").out)
    assert [len(t["changes"]) for t in again["targets"]] == [0, 1]


def test_bad_target_lists_are_one_line_each(aws: MotoServer, git_repo: GitRepo) -> None:
    repo = _repo(git_repo)
    for args, said in (
        (["--plan", "--target", "a", "--target", "nope"], "unknown target 'nope'"),
        (["--apply", "--target", "a", "--target", "b"], "apply one target at a time"),
        (["--plan", "--all-targets", "--target", "a"], "give no --target with it"),
        (["--plan", "--all-targets", "--out", "x.json"], "--out saves one target's plan"),
        (["--plan", "--all-targets", "--access-analyzer"], "--access-analyzer checks one target"),
    ):
        result = repo.run(*args)
        assert result.code == 1, args
        assert said in result.err and len(result.err.strip().splitlines()) == 1, result.err


def test_all_targets_without_targets_is_one_line(aws: MotoServer, git_repo: GitRepo) -> None:
    git_repo.write({"policies/p.json": GOOD_POLICY}).commit()
    for mode in ("--plan", "--validate"):
        result = git_repo.run(mode, "--all-targets")
        assert result.code == 1 and "defines no targets" in result.err, result.err
        assert "Traceback" not in result.err


def test_validate_all_targets_checks_each_with_its_variables(git_repo: GitRepo) -> None:
    config = {"targets": {"a": {"account_id": A}, "b": {"account_id": B, "variables": {"X": "y"}}}}
    doc = {
        **GOOD_POLICY,
        "Statement": [{**GOOD_POLICY["Statement"][0], "Resource": "arn:aws:s3:::{{X}}/*"}],
    }
    git_repo.write({"iamsync.json": config, "policies/p.json": doc}).commit()
    result = git_repo.run("--validate", "--all-targets")
    assert result.code == 1  # {{X}} is defined for b only: a reports it, once
    assert result.out.count("unknown template variable {{X}}") == 1
    assert git_repo.run("--validate", "--target", "b").code == 0


def test_a_failed_target_s_error_stays_inert_in_the_comment() -> None:
    """An error can quote what a pull request wrote: in the comment it is code, so no
    mention pings, no link or HTML renders."""
    from iamsync.pipeline.targets import TargetPlan
    from iamsync.render import targets as render

    failed = TargetPlan("prod", A, None, "bad <img src=x> [x](javascript:1) @everyone")
    comment = render.markdown_comment([failed])
    (line,) = [line for line in comment.splitlines() if "could not be planned" in line]
    assert "`bad <img src=x> [x](javascript:1) @everyone`" in line


def test_import_and_saved_plans_per_target(aws: MotoServer, git_repo: GitRepo) -> None:
    """--import --target writes what only that account has under targets/NAME/; a saved
    plan of one target applies to that target's account only."""
    repo = _repo(git_repo)
    iam_b = _iam_of(aws, B)
    iam_b.create_user(UserName="made-in-b", Path="/iamsync/")
    imported = repo.run("--import", "--target", "b")
    assert imported.code == 0, imported.err
    assert (repo.root / "targets" / "b" / "users" / "made-in-b.json").is_file()
    assert not (repo.root / "users" / "made-in-b.json").exists()
    repo.commit("import b")
    saved = repo.root.parent / "a.plan.json"
    assert repo.run("--plan", "--target", "a", "--out", str(saved)).code == 0
    applied = repo.run("--apply", "--target", "a", "--plan-file", str(saved))
    assert applied.code == 0, applied.err
    assert _iam_of(aws, A).get_user(UserName="only-a")["User"]["UserName"] == "only-a"
    assert [u["UserName"] for u in iam_b.list_users()["Users"]] == ["made-in-b"]
    wrong = repo.run("--apply", "--target", "b", "--plan-file", str(saved))
    assert wrong.code == 1 and "was made for account" in wrong.err


def test_a_target_may_own_another_prefix_and_require_another_boundary(
    aws: MotoServer, git_repo: GitRepo
) -> None:
    boundary = f"arn:aws:iam::{A}:policy/team-a-boundary"
    iam_a = _iam_of(aws, A)
    iam_a.create_policy(PolicyName="team-a-boundary", PolicyDocument=json.dumps(GOOD_POLICY))
    config = {
        "targets": {
            "a": {
                "account_id": A,
                "role_arn": _role(A),
                "path_prefix": "/team-a/",
                "permissions_boundary": f"{ARN}:policy/team-a-boundary",
                "quotas": {"managed_policies_per_user": 20},
            },
            "b": {"account_id": B, "role_arn": _role(B)},
        }
    }
    git_repo.write(
        {
            "iamsync.json": config,
            "policies/p.json": GOOD_POLICY,
            "users/ci.json": {"policies": ["p"]},
        }
    ).commit()
    assert git_repo.run("--apply", "--target", "a").code == 0
    assert git_repo.run("--apply", "--target", "b").code == 0
    user_a = iam_a.get_user(UserName="ci")["User"]
    assert user_a["Path"] == "/team-a/"
    assert user_a["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    user_b = _iam_of(aws, B).get_user(UserName="ci")["User"]
    assert user_b["Path"] == "/iamsync/" and "PermissionsBoundary" not in user_b
    plans = json.loads(git_repo.run("--plan", "--all-targets", "--format", "json").out)
    assert [len(t["changes"]) for t in plans["targets"]] == [0, 0]
