"""The loop end to end against a moto server over HTTP: plan, apply, plan again.

Every test asserts the effect in IAM (the default version's document, the
attachments that exist, what was deleted), not only what the plan proposed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from iamsync.iam import normalize
from tests.conftest import REPO_ROOT, GitRepo, MotoServer

ACCOUNT = "123456789012"
PREFIX_ARN = f"arn:aws:iam::{ACCOUNT}:policy/iamsync"


def doc(*actions: str, resource: str = "*", sid: str = "Main") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resource}
        ],
    }


TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def default_document(iam: Any, name: str) -> Any:
    arn = f"{PREFIX_ARN}/{name}"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def versions(iam: Any, name: str) -> list[tuple[str, bool]]:
    found = iam.list_policy_versions(PolicyArn=f"{PREFIX_ARN}/{name}")["Versions"]
    return sorted((v["VersionId"], v["IsDefaultVersion"]) for v in found)


def attached(iam: Any, user: str) -> set[str]:
    return {
        p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    }


def state(iam: Any) -> str:
    """Everything IAM holds for users and local policies, for before/after comparisons."""
    gaad = iam.get_account_authorization_details(Filter=["User", "LocalManagedPolicy"])
    users = sorted(
        (
            u["UserName"],
            u["Path"],
            sorted(a["PolicyArn"] for a in u["AttachedManagedPolicies"]),
            sorted((t["Key"], t["Value"]) for t in u.get("Tags", [])),
        )
        for u in gaad["UserDetailList"]
    )
    policies = sorted(
        (
            p["Arn"],
            p["DefaultVersionId"],
            sorted(
                (v["VersionId"], normalize.dumps(v["Document"])) for v in p["PolicyVersionList"]
            ),
        )
        for p in gaad["Policies"]
    )
    return json.dumps([users, policies], default=str)


BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/iamsync-boundary"


def seed_repo(git_repo: GitRepo, iam: Any = None) -> GitRepo:
    """The shipped repository; with `iam`, its account has what the bootstrap stack makes."""
    if iam is not None:
        from iamsync.aws import local

        local.provide_boundary(iam, BOUNDARY, REPO_ROOT)
    for folder in ("policies", "users", "roles"):
        shutil.copytree(REPO_ROOT / folder, git_repo.root / folder)
    shutil.copy(REPO_ROOT / "iamsync.json", git_repo.root / "iamsync.json")
    return git_repo.commit("seed")


def test_seed_example_from_empty_account_to_no_changes(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = seed_repo(git_repo, iam)
    first = repo.run("--plan", "--detailed-exitcode")
    assert first.code == 2, first.err
    assert "Plan: 6 to add, 0 to change, 0 to destroy." in first.out

    applied = repo.run("--apply")
    assert applied.code == 0, applied.out + applied.err

    for name in ("cdk-deploy", "cdk-staging-bucket", "ecs-service-update", "ecr-push"):
        written = json.loads(
            (repo.root / "policies" / f"{name}.json")
            .read_text()
            .replace("{{Partition}}", "aws")
            .replace("{{Region}}", "us-east-1")
            .replace("{{AccountId}}", ACCOUNT)
            .replace("{{StackName}}", "FargateServiceStack")
            .replace("{{ClusterName}}", "FargateServiceStack-Cluster")
            .replace("{{ServiceName}}", "FargateServiceStack-Service")
            .replace("{{RepositoryName}}", "fargate-service")
        )
        assert normalize.equal(default_document(iam, name), written)
        tags = {
            t["Key"]: t["Value"]
            for t in iam.list_policy_tags(PolicyArn=f"{PREFIX_ARN}/{name}")["Tags"]
        }
        assert tags == {"managed-by": "iamsync", "iamsync-commit": repo.head()}
    user = iam.get_user(UserName="cdk-deployer")["User"]
    assert user["Path"] == "/iamsync/"
    # iamsync.json requires the bootstrap stack's boundary: the user has it, unasked.
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    assert attached(iam, "cdk-deployer") == {
        f"{PREFIX_ARN}/cdk-deploy",
        f"{PREFIX_ARN}/cdk-staging-bucket",
        f"{PREFIX_ARN}/ecs-service-update",
        f"{PREFIX_ARN}/ecr-push",
        "arn:aws:iam::aws:policy/AWSCloudFormationReadOnlyAccess",
        "arn:aws:iam::aws:policy/AmazonVPCReadOnlyAccess",
    }
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="cdk-deployer")["Tags"]}
    assert tags["managed-by"] == "iamsync" and tags["team"] == "platform"
    assert tags["iamsync-commit"] == repo.head()

    role = iam.get_role(RoleName="cdk-deployer-github")["Role"]
    assert role["Path"] == "/iamsync/"
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:your-org/fargate-service:ref:refs/heads/main"
    )
    assert {
        p["PolicyArn"]
        for p in iam.list_attached_role_policies(RoleName="cdk-deployer-github")["AttachedPolicies"]
    } == attached(iam, "cdk-deployer")

    again = repo.run("--plan", "--detailed-exitcode")
    assert again.code == 0, again.out
    assert "No changes." in again.out


def test_seven_edits_keep_at_most_five_versions(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    actions = [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:GetObjectTagging",
        "s3:PutObjectTagging",
        "s3:GetObjectAcl",
    ]
    for edit in range(1, 8):
        wanted = doc(*actions[:edit])
        git_repo.write({"policies/p.json": wanted}).commit(f"edit {edit}")
        result = git_repo.run("--apply")
        assert result.code == 0, result.out + result.err
        assert normalize.equal(default_document(iam, "p"), wanted)
        kept = versions(iam, "p")
        assert len(kept) <= 5
        assert sum(1 for _, is_default in kept if is_default) == 1
    assert [v for v, _ in versions(iam, "p")] == ["v3", "v4", "v5", "v6", "v7"]
    assert "No changes." in git_repo.run("--plan").out


def test_revert_to_a_kept_version_reuses_it(aws: MotoServer, iam: Any, git_repo: GitRepo) -> None:
    one, two = doc("s3:GetObject"), doc("s3:GetObject", "s3:PutObject")
    for wanted in (one, two):
        git_repo.write({"policies/p.json": wanted}).commit()
        assert git_repo.run("--apply").code == 0
    git_repo.write({"policies/p.json": one}).commit("revert")
    planned = git_repo.run("--plan")
    assert "re-activates kept version v1" in planned.out
    assert git_repo.run("--apply").code == 0
    assert versions(iam, "p") == [("v1", True), ("v2", False)]
    assert normalize.equal(default_document(iam, "p"), one)


def test_prune_never_deletes_the_default_version(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    """After a console rollback the oldest version is the default: prune the next one."""
    for n in range(1, 6):
        git_repo.write(
            {
                "policies/p.json": doc(
                    *[
                        f"s3:GetObject{s}"
                        for s in ("", "Acl", "Tagging", "Version", "Attributes")[:n]
                    ]
                )
            }
        ).commit()
        assert git_repo.run("--apply").code == 0
    iam.set_default_policy_version(PolicyArn=f"{PREFIX_ARN}/p", VersionId="v1")
    wanted = doc("s3:ListBucket")
    git_repo.write({"policies/p.json": wanted}).commit()
    planned = git_repo.run("--plan")
    assert "deletes old version v2 first" in planned.out
    assert git_repo.run("--apply").code == 0
    assert versions(iam, "p") == [
        ("v1", False),
        ("v3", False),
        ("v4", False),
        ("v5", False),
        ("v6", True),
    ]
    assert normalize.equal(default_document(iam, "p"), wanted)


def test_cosmetic_edits_are_no_change(aws: MotoServer, iam: Any, git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "policies/p.json": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "A",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": ["arn:aws:s3:::b/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                    }
                ],
            }
        }
    ).commit()
    assert git_repo.run("--apply").code == 0
    cosmetic = (
        '{"Statement": {"Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": '
        '{"aws:securetransport": [true]}}, "Action": ["S3:putobject", "s3:GetObject", '
        '"s3:GetObject"],\n\n   "Effect": "Allow", "Sid": "A"}, "Version": "2012-10-17"}'
    )
    git_repo.write({"policies/p.json": cosmetic}).commit("cosmetic")
    result = git_repo.run("--plan", "--detailed-exitcode")
    assert result.code == 0, result.out
    assert "No changes." in result.out
    assert versions(iam, "p") == [("v1", True)]


def test_console_drift_is_planned_and_repaired(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write(
        {
            "policies/a.json": doc("s3:GetObject"),
            "policies/b.json": doc("sqs:SendMessage"),
            "users/ci.json": {"policies": ["a", "b"]},
        }
    ).commit()
    assert git_repo.run("--apply").code == 0
    # Console edits: a new default version, one attachment removed, one added.
    iam.create_policy_version(
        PolicyArn=f"{PREFIX_ARN}/a", SetAsDefault=True, PolicyDocument=json.dumps(doc("s3:*"))
    )
    iam.detach_user_policy(UserName="ci", PolicyArn=f"{PREFIX_ARN}/b")
    iam.attach_user_policy(UserName="ci", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")

    planned = git_repo.run("--plan", "--detailed-exitcode")
    assert planned.code == 2
    assert "~ policy a" in planned.out and '-        "s3:*"' in planned.out
    assert f"+ attach {PREFIX_ARN}/b" in planned.out
    assert "- detach arn:aws:iam::aws:policy/AdministratorAccess" in planned.out

    assert git_repo.run("--apply").code == 0
    assert normalize.equal(default_document(iam, "a"), doc("s3:GetObject"))
    assert attached(iam, "ci") == {f"{PREFIX_ARN}/a", f"{PREFIX_ARN}/b"}
    assert "No changes." in git_repo.run("--plan").out


def test_deleting_files_deletes_owned_resources(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write(
        {
            "policies/p.json": doc("s3:GetObject"),
            "users/old-ci.json": {"policies": ["p"], "groups": ["deployers"]},
        }
    )
    iam.create_group(GroupName="deployers")
    git_repo.commit()
    assert git_repo.run("--apply").code == 0
    git_repo.write({"policies/p.json": doc("s3:GetObject", "s3:PutObject")}).commit()
    assert git_repo.run("--apply").code == 0  # p now has two versions
    iam.create_access_key(UserName="old-ci")
    iam.create_access_key(UserName="old-ci")
    iam.create_login_profile(UserName="old-ci", Password="Correct-horse-9")
    iam.put_user_policy(
        UserName="old-ci", PolicyName="inline", PolicyDocument=json.dumps(doc("s3:GetObject"))
    )

    git_repo.write({"policies/p.json": None, "users/old-ci.json": None}).commit("remove")
    planned = git_repo.run("--plan")
    assert "- user old-ci" in planned.out and "- policy p" in planned.out
    for words in (
        "deletes 2 access keys",
        "deletes 1 console login profile",
        "deletes inline policy inline",
        "leaves group deployers",
        "deletes non-default versions v1 first",
    ):
        assert words in planned.out

    guarded = git_repo.run("--apply")  # every owned resource goes: only when asked for
    assert guarded.code == 1 and "--allow-delete-all" in guarded.err
    assert any(u["UserName"] == "old-ci" for u in iam.list_users()["Users"])
    result = git_repo.run("--apply", "--allow-delete-all")
    assert result.code == 0, result.out + result.err
    assert not any(u["UserName"] == "old-ci" for u in iam.list_users()["Users"])
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert iam.get_group(GroupName="deployers")["Users"] == []
    assert "No changes." in git_repo.run("--plan").out


def test_unowned_bystanders_are_untouched(aws: MotoServer, iam: Any, git_repo: GitRepo) -> None:
    iam.create_user(UserName="human", Path="/")
    iam.create_user(UserName="other-tool", Path="/terraform/")
    other = iam.create_policy(
        PolicyName="theirs", Path="/terraform/", PolicyDocument=json.dumps(doc("sqs:SendMessage"))
    )["Policy"]["Arn"]
    iam.attach_user_policy(UserName="other-tool", PolicyArn=other)
    git_repo.write(
        {"policies/p.json": doc("s3:GetObject"), "users/ci.json": {"policies": ["p", other]}}
    ).commit()
    assert git_repo.run("--apply").code == 0
    iam.attach_user_policy(UserName="human", PolicyArn=f"{PREFIX_ARN}/p")
    before = [(u["UserName"], u["Path"]) for u in iam.list_users()["Users"]]

    # Removing everything from the repository deletes only what iamsync owns...
    git_repo.write({"users/ci.json": None}).commit()
    result = git_repo.run("--apply")
    assert result.code == 0, result.out + result.err
    assert attached(iam, "other-tool") == {other}
    assert attached(iam, "human") == {f"{PREFIX_ARN}/p"}
    assert {u for u, _ in before} - {u["UserName"] for u in iam.list_users()["Users"]} == {"ci"}
    # ...and refuses to delete an owned policy that an unowned principal still uses.
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=f"{PREFIX_ARN}/p")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_permissions_boundary(RoleName="app", PermissionsBoundary=f"{PREFIX_ARN}/p")
    git_repo.write({"policies/p.json": None}).commit()
    refused = git_repo.run("--apply", "--allow-delete-all")
    assert refused.code == 1
    assert refused.err.splitlines()[0] == (
        'policies/p.json:1:1: error: policy "p" is to be deleted (its file is gone) but is '
        "attached to group admins, user human and the permissions boundary of role app, "
        "outside /iamsync/, which iamsync does not touch; remove it from them first, or "
        "keep its file [POLICY_IN_USE]"
    )
    assert attached(iam, "human") == {f"{PREFIX_ARN}/p"}
    assert iam.get_policy(PolicyArn=other)["Policy"]["Arn"] == other


def test_name_collision_with_unowned_resource_is_refused(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    iam.create_user(UserName="ci", Path="/")
    git_repo.write({"users/ci.json": {}}).commit()
    before = state(iam)
    result = git_repo.run("--apply")
    assert result.code == 1
    assert result.err.startswith(
        'users/ci.json:1:1: error: user "ci" already exists at path /, outside the ownership '
        "prefix /iamsync/"
    )
    assert "aws iam update-user --user-name ci --new-path /iamsync/" in result.err
    assert state(iam) == before


def test_saved_plan_applies_exactly_and_stale_plan_is_refused(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write(
        {"policies/p.json": doc("s3:GetObject"), "users/ci.json": {"policies": ["p"]}}
    ).commit()
    plan_file = git_repo.root.parent / "plan.json"
    saved = git_repo.run("--plan", "--out", str(plan_file))
    assert saved.code == 0
    data = json.loads(plan_file.read_text())
    assert data["format_version"] == 3
    assert [(c["action"], c["type"], c["name"]) for c in data["changes"]] == [
        ("create", "policy", "p"),
        ("create", "user", "ci"),
    ]

    # Live IAM changes after the plan was made: the saved plan is refused, nothing written.
    iam.create_user(UserName="sneaky", Path="/iamsync/")
    before = state(iam)
    refused = git_repo.run("--apply", "--plan-file", str(plan_file))
    assert refused.code == 1
    assert "live IAM changed since" in refused.err
    assert state(iam) == before

    # A fresh plan of the same repository applies as saved.
    iam.delete_user(UserName="sneaky")
    git_repo.run("--plan", "--out", str(plan_file))
    git_repo.write({"policies/p.json": doc("s3:PutObject")})  # not what was planned
    applied = git_repo.run("--apply", "--plan-file", str(plan_file), "--allow-dirty")
    assert applied.code == 0, applied.err
    assert normalize.equal(default_document(iam, "p"), doc("s3:GetObject"))
    assert attached(iam, "ci") == {f"{PREFIX_ARN}/p"}


def test_exit_codes(aws: MotoServer, iam: Any, git_repo: GitRepo) -> None:
    git_repo.write({"policies/p.json": doc("s3:GetObject")}).commit()
    assert git_repo.run("--plan").code == 0
    assert git_repo.run("--plan", "--detailed-exitcode").code == 2
    assert git_repo.run("--apply").code == 0
    assert git_repo.run("--plan", "--detailed-exitcode").code == 0
    git_repo.write({"policies/p.json": doc("s3:GetObjcet")}).commit()
    invalid = git_repo.run("--plan", "--detailed-exitcode")
    assert invalid.code == 1
    assert "policies/p.json:1:" not in invalid.out  # problems go to stderr in plan mode
    assert 'did you mean "s3:GetObject"?' in invalid.err


def test_invalid_repository_makes_no_write(aws: MotoServer, iam: Any, git_repo: GitRepo) -> None:
    git_repo.write(
        {"policies/p.json": doc("s3:GetObject"), "users/ci.json": {"policies": ["p", "missing"]}}
    ).commit()
    before = state(iam)
    result = git_repo.run("--apply")
    assert result.code == 1
    assert "users/ci.json:" in result.err and "UNKNOWN_POLICY" in result.err
    assert "Traceback" not in result.out + result.err
    assert state(iam) == before


def test_apply_refuses_uncommitted_changes(aws: MotoServer, iam: Any, git_repo: GitRepo) -> None:
    git_repo.write({"policies/p.json": doc("s3:GetObject")}).commit()
    git_repo.write({"policies/q.json": doc("s3:PutObject")})
    result = git_repo.run("--apply")
    assert result.code == 1
    assert "uncommitted changes" in result.err and "policies/q.json" in result.err
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert git_repo.run("--apply", "--allow-dirty").code == 0
    assert len(iam.list_policies(Scope="Local")["Policies"]) == 2


def test_json_plan_is_alone_on_stdout(aws: MotoServer, git_repo: GitRepo) -> None:
    git_repo.write({"policies/p.json": doc("s3:GetObject")}).commit()
    result = git_repo.run("--plan", "--format", "json")
    data = json.loads(result.out)
    assert data["changes"][0] == {
        **data["changes"][0],
        "action": "create",
        "type": "policy",
        "name": "p",
    }
    assert data["summary"] == {"create": 1, "update": 0, "delete": 0}


def test_unknown_aws_managed_arn_is_refused_before_any_write(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write(
        {
            "users/ci.json": '{\n  "policies": [\n    "arn:aws:iam::aws:policy/ReadOnlyAccess",\n'
            '    "arn:aws:iam::aws:policy/AmazonVPCFUllAccess"\n  ]\n}\n'
        }
    ).commit()
    result = git_repo.run("--apply")
    assert result.code == 1
    assert result.err.splitlines() == [
        "users/ci.json:4:5: error: policy arn:aws:iam::aws:policy/AmazonVPCFUllAccess does not "
        "exist in account 123456789012 [UNKNOWN_POLICY_ARN]",
        "iamsync: error: the plan was refused (1 problem with live IAM above); nothing was written",
    ]
    assert iam.list_users()["Users"] == []


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_plan_formats_render(aws: MotoServer, iam: Any, git_repo: GitRepo, fmt: str) -> None:
    repo = seed_repo(git_repo, iam)
    result = repo.run("--plan", "--format", fmt)
    assert result.code == 0
    assert "6 to add" in result.out


def test_missing_group_is_refused_before_any_write(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    iam.create_group(GroupName="real")
    git_repo.write({"users/ci.json": '{"groups": ["real",\n  "nope"]}'}).commit()
    result = git_repo.run("--apply")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        'users/ci.json:2:3: error: group "nope" does not exist in account 123456789012 and no '
        "groups/nope.json defines it (users join existing or managed groups) [UNKNOWN_GROUP]"
    )
    assert iam.list_users()["Users"] == []


def test_failed_apply_stops_says_what_was_done_and_a_rerun_converges(
    aws: MotoServer, iam: Any, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iamsync.aws import runner as apply

    git_repo.write(
        {
            "policies/a.json": doc("s3:GetObject"),
            "policies/b.json": doc("sqs:*"),
            "users/ci.json": {"policies": ["a", "b"]},
        }
    ).commit()
    real_call = apply._Runner._call
    failures = iter([True])

    def flaky(self: Any, call: Any) -> str | None:
        if call.operation == "create_user" and next(failures, False):
            return "ServiceFailure: injected"
        return real_call(self, call)

    monkeypatch.setattr(apply._Runner, "_call", flaky)
    failed = git_repo.run("--apply")
    assert failed.code == 1
    assert (
        "Apply failed at create_user(UserName=ci, Path=/iamsync/): ServiceFailure: injected"
        in failed.err
    )
    done, not_done = failed.err.split("Done (2 of 5 calls):")[1].split("Not done (3 calls):")
    assert "create_policy(PolicyName=a, Path=/iamsync/)" in done
    assert "attach_user_policy" not in done
    assert "create_user(UserName=ci, Path=/iamsync/)  (failed)" in not_done
    assert not_done.count("attach_user_policy(") == 2
    assert len(iam.list_policies(Scope="Local")["Policies"]) == 2
    assert iam.list_users()["Users"] == []  # stopped: nothing after the failure ran

    again = git_repo.run("--apply")
    assert again.code == 0, again.err
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in again.out
    assert attached(iam, "ci") == {f"{PREFIX_ARN}/a", f"{PREFIX_ARN}/b"}
    assert "No changes." in git_repo.run("--plan").out


def test_import_writes_files_for_owned_resources_and_then_there_is_nothing_to_do(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write({"policies/kept.json": doc("s3:GetObject")}).commit()
    assert git_repo.run("--apply").code == 0
    # Made in the console, under the ownership path: Git does not know them yet.
    arn = iam.create_policy(
        PolicyName="console-made",
        Path="/iamsync/",
        PolicyDocument=json.dumps(
            doc("sqs:SendMessage", resource=f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs")
        ),
    )["Policy"]["Arn"]
    iam.create_user(
        UserName="console-user", Path="/iamsync/", Tags=[{"Key": "team", "Value": "ops"}]
    )
    for policy in (arn, f"{PREFIX_ARN}/kept", "arn:aws:iam::aws:policy/ReadOnlyAccess"):
        iam.attach_user_policy(UserName="console-user", PolicyArn=policy)
    iam.create_user(UserName="someone-else", Path="/")
    # iamsync did not make them (no managed-by tag): never deleted, said, adoption offered
    before = git_repo.run("--plan")
    assert before.code == 0, before.err
    assert "left alone: user console-user is under /iamsync/ but iamsync did not make it" in (
        before.out
    )
    assert "left alone: policy console-made is under /iamsync/" in before.out
    assert "No changes." in before.out

    imported = git_repo.run("--import")
    assert imported.code == 0, imported.err
    assert imported.out.splitlines() == [
        "wrote policies/console-made.json",
        "wrote users/console-user.json",
    ]
    written = json.loads((git_repo.root / "policies" / "console-made.json").read_text())
    assert (
        written["Statement"][0]["Resource"] == "arn:{{Partition}}:sqs:us-east-1:{{AccountId}}:jobs"
    )
    assert json.loads((git_repo.root / "users" / "console-user.json").read_text()) == {
        "policies": ["arn:{{Partition}}:iam::aws:policy/ReadOnlyAccess", "console-made", "kept"],
        "tags": {"team": "ops"},
    }
    assert "left alone" in imported.err
    git_repo.commit("import")
    assert git_repo.run("--validate").code == 0
    # The user is adopted by the plan, said as such: its file is the reviewed request.
    adopting = git_repo.run("--plan").out
    assert "~ user console-user\n    adopts it: iamsync did not make it" in adopting
    assert git_repo.run("--apply").code == 0
    assert "No changes." in git_repo.run("--plan").out
    assert git_repo.run("--import").out == ""  # nothing left to import


def test_target_account_must_match_the_credentials(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write(
        {
            "iamsync.json": {"targets": {"prod": {"account_id": "210987654321"}}},
            "policies/p.json": doc("s3:GetObject"),
        }
    ).commit()
    result = git_repo.run("--apply", "--target", "prod")
    assert result.code == 1
    assert (
        "target 'prod' is account 210987654321, but the credentials belong to account "
        f"{ACCOUNT}; refusing to touch the wrong account"
    ) in result.err
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_target_role_is_assumed_and_its_variables_used(
    aws: MotoServer, iam: Any, git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = iam.create_role(
        RoleName="iamsync-apply",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ACCOUNT}}
                ],
            }
        ),
    )["Role"]["Arn"]
    git_repo.write(
        {
            "iamsync.json": {
                "default_target": "prod",
                "variables": {"Bucket": "shared"},
                "targets": {
                    "prod": {
                        "account_id": ACCOUNT,
                        "region": "eu-west-1",
                        "role_arn": role,
                        "variables": {"Bucket": "prod-data"},
                    }
                },
            },
            "policies/p.json": doc(
                "s3:GetObject", resource="arn:{{Partition}}:s3:::{{Bucket}}-{{Region}}/*"
            ),
        }
    ).commit()
    log = tmp_path / "calls.log"
    monkeypatch.setenv("IAMSYNC_API_LOG", str(log))
    assert git_repo.run("--apply").code == 0
    assert "sts AssumeRole" in log.read_text().splitlines()
    assert normalize.equal(
        default_document(iam, "p"),
        doc("s3:GetObject", resource="arn:aws:s3:::prod-data-eu-west-1/*"),
    )


def test_unwritable_plan_file_is_one_clean_error(
    aws: MotoServer, git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write({"policies/p.json": doc("s3:GetObject")}).commit()
    result = git_repo.run("--plan", "--out", str(tmp_path / "missing" / "plan.json"))
    assert result.code == 1
    assert "cannot write the plan to" in result.err and "Traceback" not in result.err
    unreadable = git_repo.run("--apply", "--plan-file", str(tmp_path / "nope.json"))
    assert unreadable.code == 1 and "cannot read the plan file" in unreadable.err
    (tmp_path / "junk.json").write_text("{not json")
    junk = git_repo.run("--apply", "--plan-file", str(tmp_path / "junk.json"))
    assert junk.code == 1 and "is not a plan saved by iamsync --out" in junk.err
