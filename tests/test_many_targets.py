"""Many accounts at once: --all-targets and a repeated --target plan every target, each in
its own account (moto: STS AssumeRole into an account id gives that account its own IAM),
and one target that is refused fails alone."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import pytest

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


ECS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def test_apply_all_targets_lands_the_baseline_in_every_account_and_one_refusal_fails_alone(
    aws: MotoServer, git_repo: GitRepo
) -> None:
    config = {
        "targets": {
            **{
                n: {"account_id": a, "role_arn": _role(a)}
                for n, a in (("a", A), ("b", B), ("c", C))
            },
            "wrong": {"account_id": "555555555555", "role_arn": _role("444444444444")},
        }
    }
    repo = git_repo.write(
        {
            "iamsync.json": config,
            "policies/baseline.json": GOOD_POLICY,
            "roles/deploy.json": {"trust_policy": ECS_TRUST, "policies": ["baseline"]},
            "targets/a/users/only-a.json": {"policies": ["baseline"]},
        }
    ).commit()
    result = repo.run("--apply", "--all-targets")
    assert result.code == 1, result.err  # "wrong" failed; the three others were applied
    assert "target wrong:" in result.err and "Traceback" not in result.err
    assert "Applied 3 of 4 targets (1 failed, 0 interrupted)." in result.err
    for account in (A, B, C):
        iam = _iam_of(aws, account)
        (policy,) = iam.list_policies(Scope="Local", PathPrefix="/iamsync/")["Policies"]
        version = iam.get_policy_version(
            PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
        )["PolicyVersion"]
        assert version["Document"]["Statement"] == GOOD_POLICY["Statement"]
        attached = iam.list_attached_role_policies(RoleName="deploy")["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == [policy["Arn"]]
        assert policy["Arn"].startswith(f"arn:aws:iam::{account}:")
        users = [u["UserName"] for u in iam.list_users()["Users"]]
        assert users == (["only-a"] if account == A else [])
    # each target's lines stay together under its header (targets finish in any order)
    sections = {part.split(" ", 1)[0]: part for part in result.err.split("== target ")[1:]}
    assert sorted(sections) == ["a", "b", "c"]
    for name, section in sections.items():
        assert section.count("Apply complete") == 1, section
        assert ("create_user(UserName=only-a" in section) == (name == "a"), section
    again = repo.run(
        "--plan", "--target", "a", "--target", "b", "--target", "c", "--detailed-exitcode"
    )
    assert again.code == 0, again.out  # converged: nothing left to do in any of them


def test_a_stop_set_by_whoever_caught_ctrl_c_starts_no_new_call() -> None:
    from iamsync.aws import runner
    from iamsync.kinds.base import Call

    made: list[str] = []

    class Client:
        def __getattr__(self, name: str) -> Any:
            return lambda **_: made.append(name)

    stop = threading.Event()
    first = ((Call("create_user", {"UserName": "x"}, "user x"),),)
    second = ((Call("create_user", {"UserName": "y"}, "user y"),),)

    def tick(call: Call) -> None:
        stop.set()  # Ctrl-C arrives while the first stage runs

    with pytest.raises(runner.ApplyInterrupted) as caught:
        runner.run([first, second], lambda _: Client(), on_call=tick, stop=stop)
    assert made == ["create_user"] and len(caught.value.done) == 1


def test_bad_target_lists_are_one_line_each(aws: MotoServer, git_repo: GitRepo) -> None:
    repo = _repo(git_repo)
    for args, said in (
        (["--plan", "--target", "a", "--target", "nope"], "unknown target 'nope'"),
        (["--import", "--target", "a", "--target", "b"], "go with --validate, --plan or"),
        (["--apply", "--all-targets", "--plan-file", "p.json"], "a saved plan is one target's"),
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


def test_sessions_share_one_loader_and_a_run_never_reuses_another_run_s_clients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many targets' sessions read AWS's service models once (measured: most of a target's
    plan before), and the ambient STS client is each run's own: the next run's environment
    (another endpoint, other credentials) is the one used."""
    from iamsync.aws import session

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    first, second = session.new_session(), session.new_session()
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    assert len(loader.search_paths) == len(set(loader.search_paths))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    session.forget()
    before = session._ambient_sts(None)
    assert session._ambient_sts(None) is before  # one per run, shared by its targets
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    session.forget()  # what cli.main does at the start of every run
    assert session._ambient_sts(None).meta.endpoint_url == "http://127.0.0.1:2"
    assert before.meta.endpoint_url == "http://127.0.0.1:1"
