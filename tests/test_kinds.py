"""Groups, roles and inline policies end to end on a moto server: create, update, drift
repaired, delete with dependents, bystanders untouched, collisions refused, renames.

Every test asserts what IAM holds afterwards, then that the next plan is "No changes".
"""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import GitRepo, MotoServer
from tests.test_loop import PREFIX_ARN, attached, doc, state

ECS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
GITHUB = "token.actions.githubusercontent.com"


def github_trust(subject: str | None = "repo:acme/app:ref:refs/heads/main") -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}
    if subject:
        condition["StringLike"] = {f"{GITHUB}:sub": subject}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{GITHUB}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }
        ],
    }


def plan_text(repo: GitRepo) -> str:
    result = repo.run("--plan")
    assert result.code == 0, result.err
    return result.out


def no_changes(repo: GitRepo) -> bool:
    result = repo.run("--plan")
    assert result.code == 0, result.err
    assert "No changes." in result.out, result.out
    return True


def group_policies(iam: Any, group: str) -> tuple[set[str], dict[str, Any]]:
    arns = {
        p["PolicyArn"]
        for p in iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]
    }
    inline = {
        n: iam.get_group_policy(GroupName=group, PolicyName=n)["PolicyDocument"]
        for n in iam.list_group_policies(GroupName=group)["PolicyNames"]
    }
    return arns, inline


def test_a_group_is_created_updated_repaired_and_deleted_with_its_members(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write(
        {
            "policies/read.json": doc("s3:GetObject"),
            "groups/readers.json": {
                "policies": ["read"],
                "inline_policies": {"queue": doc("sqs:SendMessage")},
            },
            "users/ci.json": {"groups": ["readers"]},
        }
    ).commit()
    applied = git_repo.run("--apply")
    assert applied.code == 0, applied.err
    group = iam.get_group(GroupName="readers")
    assert group["Group"]["Path"] == "/iamsync/"
    assert [u["UserName"] for u in group["Users"]] == ["ci"]
    arns, inline = group_policies(iam, "readers")
    assert arns == {f"{PREFIX_ARN}/read"}
    assert inline["queue"]["Statement"][0]["Action"] == ["sqs:SendMessage"]
    assert no_changes(git_repo)

    # An inline policy changes, one is added; drift in the console is repaired.
    git_repo.write(
        {
            "groups/readers.json": {
                "policies": ["read"],
                "inline_policies": {"queue": doc("sqs:*"), "logs": doc("logs:PutLogEvents")},
            }
        }
    ).commit()
    iam.detach_group_policy(GroupName="readers", PolicyArn=f"{PREFIX_ARN}/read")
    planned = plan_text(git_repo)
    assert "~ inline policy queue" in planned and "+ inline policy logs" in planned
    assert "+ attach arn:aws:iam::123456789012:policy/iamsync/read" in planned
    assert git_repo.run("--apply").code == 0
    arns, inline = group_policies(iam, "readers")
    assert arns == {f"{PREFIX_ARN}/read"} and set(inline) == {"queue", "logs"}
    assert inline["queue"]["Statement"][0]["Action"] == ["sqs:*"]
    assert no_changes(git_repo)

    # Deleting the file deletes the group: its members, policies and inline policies first.
    iam.create_user(UserName="human", Path="/")
    iam.add_user_to_group(GroupName="readers", UserName="human")
    git_repo.write({"groups/readers.json": None, "users/ci.json": {}}).commit()
    planned = plan_text(git_repo)
    for words in ("- group readers", "removes member human", "deletes inline policy logs"):
        assert words in planned, planned
    applied = git_repo.run("--apply")
    assert applied.code == 0, applied.err
    assert not [g for g in iam.list_groups()["Groups"] if g["GroupName"] == "readers"]
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["ci", "human"]
    assert no_changes(git_repo)


def test_an_unowned_group_of_the_same_name_is_refused_and_left_alone(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    iam.create_group(GroupName="admins", Path="/")
    iam.create_group(GroupName="theirs", Path="/other/")
    git_repo.write({"groups/admins.json": {}}).commit()
    before = state(iam)
    refused = git_repo.run("--apply")
    assert refused.code == 1
    assert refused.err.startswith(
        'groups/admins.json:1:1: error: group "admins" already exists at path /, outside'
    )
    assert "aws iam update-group --group-name admins --new-path /iamsync/" in refused.err
    assert state(iam) == before
    git_repo.write({"groups/admins.json": None, "groups/ops.json": {}}).commit()
    assert git_repo.run("--apply").code == 0
    names = sorted(g["GroupName"] for g in iam.list_groups()["Groups"])
    assert names == ["admins", "ops", "theirs"]  # bystanders untouched


def test_a_role_with_its_trust_policies_profile_and_boundary(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    boundary = iam.create_policy(PolicyName="guard", Path="/", PolicyDocument=json.dumps(doc("*")))[
        "Policy"
    ]["Arn"]
    git_repo.write(
        {
            "policies/app.json": doc("s3:GetObject"),
            "roles/app.json": {
                "trust_policy": ECS,
                "policies": ["app"],
                "inline_policies": {"logs": doc("logs:PutLogEvents")},
                "description": "the app's task role",
                "max_session_duration": 7200,
                "permissions_boundary": boundary,
                "instance_profile": True,
                "tags": {"team": "platform"},
            },
        }
    ).commit()
    applied = git_repo.run("--apply")
    assert applied.code == 0, applied.err
    role = iam.get_role(RoleName="app")["Role"]
    assert role["Path"] == "/iamsync/" and role["MaxSessionDuration"] == 7200
    assert role["Description"] == "the app's task role"
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ecs-tasks.amazonaws.com"
    }
    assert {t["Key"]: t["Value"] for t in role["Tags"]}["team"] == "platform"
    policies = iam.list_attached_role_policies(RoleName="app")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in policies] == [f"{PREFIX_ARN}/app"]
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["logs"]
    profiles = iam.list_instance_profiles_for_role(RoleName="app")["InstanceProfiles"]
    assert [(p["InstanceProfileName"], p["Path"]) for p in profiles] == [("app", "/iamsync/")]
    assert no_changes(git_repo)

    # The trust changes (who may assume it); an inline policy goes; tags and session move.
    git_repo.write(
        {
            "roles/app.json": {
                "trust_policy": github_trust(),
                "policies": ["app"],
                "description": "the app's task role",
                "max_session_duration": 3600,
                "permissions_boundary": boundary,
                "instance_profile": True,
                "tags": {"team": "apps"},
            }
        }
    ).commit()
    planned = plan_text(git_repo)
    for words in (
        "~ trust policy (who may assume the role)",
        "- inline policy logs",
        "~ max session duration 3600 s",
        "~ tag team: 'platform' → 'apps'",
        "@@ trust policy",
    ):
        assert words in planned, planned
    assert git_repo.run("--apply").code == 0
    role = iam.get_role(RoleName="app")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == (
        "sts:AssumeRoleWithWebIdentity"
    )
    assert role["MaxSessionDuration"] == 3600
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == []
    assert no_changes(git_repo)

    # Drift: someone widens the trust in the console; the plan puts it back.
    iam.update_assume_role_policy(RoleName="app", PolicyDocument=json.dumps(ECS))
    assert "~ trust policy" in plan_text(git_repo)
    assert git_repo.run("--apply").code == 0
    assert no_changes(git_repo)

    # Deleting the file deletes the role, after its policies and its instance profile.
    git_repo.write({"roles/app.json": None}).commit()
    planned = plan_text(git_repo)
    assert "- role app" in planned and "leaves instance profile app" in planned
    applied = git_repo.run("--apply")
    assert applied.code == 0, applied.err
    assert not [r for r in iam.list_roles()["Roles"] if r["RoleName"] == "app"]
    assert iam.list_instance_profiles()["InstanceProfiles"] == []
    assert no_changes(git_repo)


def test_a_github_oidc_trust_without_a_subject_is_an_error_at_its_line(
    git_repo: GitRepo,
) -> None:
    text = json.dumps({"trust_policy": github_trust(subject=None)}, indent=2)
    git_repo.write({"roles/deploy.json": text}).commit()
    result = git_repo.run("--validate")
    assert result.code == 1
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"Condition"' in t)
    assert f"roles/deploy.json:{line}:" in result.out
    assert "[OIDC_WITHOUT_SUBJECT]" in result.out and "every repository" in result.out
    for subject in ("*", "repo:*"):
        git_repo.write(
            {"roles/deploy.json": {"trust_policy": github_trust(subject=subject)}}
        ).commit()
        assert "[OIDC_WITHOUT_SUBJECT]" in git_repo.run("--validate").out
    git_repo.write({"roles/deploy.json": {"trust_policy": github_trust()}}).commit()
    assert git_repo.run("--validate").code == 0


def test_trust_policies_and_inline_policies_are_checked_like_any_policy(
    git_repo: GitRepo,
) -> None:
    bad_trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }
    git_repo.write(
        {
            "roles/r.json": {"trust_policy": bad_trust},
            "users/u.json": {"inline_policies": {"x": doc("s3:GetObjcet")}},
            "groups/g.json": {"inline_policies": {"x": doc(*[f"s3:A{i}" for i in range(600)])}},
        }
    ).commit()
    out = git_repo.run("--validate").out
    assert '"Resource" is not allowed here' in out
    assert "MISSING_PRINCIPAL" in out
    assert "users/u.json" in out and 'did you mean "s3:GetObject"' in out
    assert "groups/g.json" in out and "[INLINE_POLICIES_TOO_LARGE]" in out


def test_a_user_rename_keeps_its_access_key_and_a_group_rename_its_members(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write({"groups/devs.json": {}, "users/alice.json": {"groups": ["devs"]}}).commit()
    assert git_repo.run("--apply").code == 0
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    git_repo.write(
        {
            "groups/devs.json": None,
            "groups/developers.json": {"renamed_from": "devs"},
            "users/alice.json": None,
            "users/alice.smith.json": {"renamed_from": "alice", "groups": ["developers"]},
        }
    ).commit()
    planned = plan_text(git_repo)
    assert "renamed from alice (credentials and memberships kept)" in planned
    assert "renamed from devs" in planned and "- user" not in planned
    assert "Plan: 0 to add, 2 to change, 0 to destroy." in planned
    applied = git_repo.run("--apply")
    assert applied.code == 0, applied.err
    keys = iam.list_access_keys(UserName="alice.smith")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key]
    members = iam.get_group(GroupName="developers")["Users"]
    assert [u["UserName"] for u in members] == ["alice.smith"]
    assert attached(iam, "alice.smith") == set()
    assert no_changes(git_repo)


def test_import_round_trip_of_an_account_built_by_hand(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    """Everything under /iamsync/ built with boto3 -> import -> "No changes" -> import again
    writes nothing. Users, groups, roles, inline and managed policies with 5-version
    histories, boundaries, tags, an instance profile, AWS-managed attachments."""
    p = "/iamsync/"
    versions = iam.create_policy(
        PolicyName="shared", Path=p, PolicyDocument=json.dumps(doc("s3:GetObject"))
    )["Policy"]["Arn"]
    for action in ("s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetObjectAcl"):
        iam.create_policy_version(
            PolicyArn=versions, PolicyDocument=json.dumps(doc(action)), SetAsDefault=True
        )
    iam.set_default_policy_version(PolicyArn=versions, VersionId="v3")  # not the newest
    guard = iam.create_policy(
        PolicyName="guard",
        Path=p,
        PolicyDocument=json.dumps(
            doc("sqs:SendMessage", resource="arn:aws:sqs:us-east-1:123456789012:jobs")
        ),
    )["Policy"]["Arn"]
    iam.create_group(GroupName="devs", Path=p)
    iam.attach_group_policy(GroupName="devs", PolicyArn=versions)
    iam.put_group_policy(
        GroupName="devs", PolicyName="g", PolicyDocument=json.dumps(doc("logs:GetLogEvents"))
    )
    iam.create_group(GroupName="outside", Path="/")
    iam.create_user(
        UserName="ana",
        Path=p,
        PermissionsBoundary=guard,
        Tags=[{"Key": "team", "Value": "data"}, {"Key": "managed-by", "Value": "iamsync"}],
    )
    iam.add_user_to_group(GroupName="devs", UserName="ana")
    iam.add_user_to_group(GroupName="outside", UserName="ana")
    iam.attach_user_policy(UserName="ana", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_user_policy(
        UserName="ana", PolicyName="own", PolicyDocument=json.dumps(doc("ec2:DescribeVpcs"))
    )
    iam.create_role(
        RoleName="worker",
        Path=p,
        AssumeRolePolicyDocument=json.dumps(github_trust()),
        Description="runs the jobs",
        MaxSessionDuration=7200,
        PermissionsBoundary=guard,
        Tags=[{"Key": "team", "Value": "data"}],
    )
    iam.attach_role_policy(RoleName="worker", PolicyArn=versions)
    iam.put_role_policy(
        RoleName="worker", PolicyName="r", PolicyDocument=json.dumps(doc("sqs:ReceiveMessage"))
    )
    iam.create_instance_profile(InstanceProfileName="worker", Path=p)
    iam.add_role_to_instance_profile(InstanceProfileName="worker", RoleName="worker")
    iam.create_user(UserName="bystander", Path="/")

    imported = git_repo.run("--import")
    assert imported.code == 0, imported.err
    assert sorted(imported.out.splitlines()) == [
        "wrote groups/devs.json",
        "wrote policies/guard.json",
        "wrote policies/shared.json",
        "wrote roles/worker.json",
        "wrote users/ana.json",
    ]
    role = json.loads((git_repo.root / "roles" / "worker.json").read_text())
    assert role["description"] == "runs the jobs" and role["max_session_duration"] == 7200
    assert role["instance_profile"] is True and role["permissions_boundary"] == "guard"
    assert role["trust_policy"]["Statement"][0]["Principal"]["Federated"] == (
        f"arn:{{{{Partition}}}}:iam::{{{{AccountId}}}}:oidc-provider/{GITHUB}"
    )
    user = json.loads((git_repo.root / "users" / "ana.json").read_text())
    assert user == {
        "policies": ["arn:{{Partition}}:iam::aws:policy/ReadOnlyAccess"],
        "inline_policies": {"own": doc("ec2:DescribeVpcs")},
        "permissions_boundary": "guard",
        "tags": {"team": "data"},
        "groups": ["devs", "outside"],
    }
    shared = json.loads((git_repo.root / "policies" / "shared.json").read_text())
    assert shared["Statement"][0]["Action"] == ["s3:ListBucket"]  # the default, v3
    git_repo.commit("import")
    assert git_repo.run("--validate").code == 0
    # The role was made by hand (no managed-by tag): the plan adopts it, says so, and only
    # tags it; the user carried the tag already.
    adopting = plan_text(git_repo)
    assert "~ role worker\n    adopts it: iamsync did not make it" in adopting
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in adopting
    assert git_repo.run("--apply").code == 0
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="worker")["Tags"]}
    assert tags["managed-by"] == "iamsync" and tags["team"] == "data"
    assert no_changes(git_repo)
    again = git_repo.run("--import")
    assert again.code == 0 and again.out == ""
    assert "imported 0 resource(s)" in again.err
