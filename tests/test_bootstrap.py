"""iamsync's own access: the CloudFormation roles match the reviewed policy files, and the
plan role's policy is enough to plan but not to write (moto with authorization enforced)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from iamsync.iam.catalog import Catalog
from tests.conftest import REPO_ROOT, GitRepo, MotoServer
from tests.test_loop import doc

BOOTSTRAP = REPO_ROOT / "bootstrap"
TEMPLATE = json.loads((BOOTSTRAP / "iamsync-roles.template.json").read_text())
ACCOUNT = "123456789012"


def policy_file(name: str) -> Any:
    return json.loads((BOOTSTRAP / "policies" / f"{name}.json").read_text())


def from_cfn(value: Any) -> Any:
    """The template's policy with Fn::Sub turned back into the files' {{Variables}}."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return (
            value["Fn::Sub"]
            .replace("${AWS::Partition}", "{{Partition}}")
            .replace("${AWS::AccountId}", "{{AccountId}}")
        )
    if isinstance(value, dict):
        return {k: from_cfn(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_cfn(v) for v in value]
    return value


def render(doc: Any) -> Any:
    text = json.dumps(doc).replace("{{Partition}}", "aws").replace("{{AccountId}}", ACCOUNT)
    return json.loads(text)


def role_policies(role: str) -> dict[str, Any]:
    props = TEMPLATE["Resources"][role]["Properties"]
    return {p["PolicyName"]: from_cfn(p["PolicyDocument"]) for p in props["Policies"]}


def test_template_roles_carry_exactly_the_reviewed_policy_files() -> None:
    assert role_policies("PlanRole") == {"iamsync-plan": policy_file("iamsync-plan")}
    assert role_policies("ApplyRole") == {
        "iamsync-plan": policy_file("iamsync-plan"),
        "iamsync-apply": policy_file("iamsync-apply"),
    }
    boundary = TEMPLATE["Resources"]["PermissionsBoundary"]["Properties"]
    assert from_cfn(boundary["PolicyDocument"]) == policy_file("iamsync-boundary")
    # Outside the ownership path, under the name the apply policy and iamsync.json use.
    assert (boundary["ManagedPolicyName"], boundary["Path"]) == ("iamsync-boundary", "/")
    config = json.loads((REPO_ROOT / "iamsync.json").read_text())
    assert config["permissions_boundary"].endswith(":policy/iamsync-boundary")


def test_trust_is_limited_to_this_repository_and_the_right_events() -> None:
    def subjects(role: str) -> list[str]:
        trust = TEMPLATE["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]
        (statement,) = trust["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"]["StringEquals"] == {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
        }
        return [
            s["Fn::Sub"]
            for s in statement["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"]
        ]

    assert subjects("PlanRole") == [
        "repo:${GitHubOrg}/${GitHubRepo}:pull_request",
        "repo:${GitHubOrg}/${GitHubRepo}:ref:refs/heads/${DefaultBranch}",
    ]
    assert subjects("ApplyRole") == [
        "repo:${GitHubOrg}/${GitHubRepo}:environment:${ApplyEnvironment}"
    ]


def _statements(doc: Any) -> list[dict[str, Any]]:
    return [s for s in doc["Statement"] if s["Effect"] == "Allow"]


def _allowed_actions(doc: Any) -> set[str]:
    catalog = Catalog()
    found: set[str] = set()
    for st in _statements(doc):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        for pattern in actions:
            found.update(a.full.lower() for a in catalog.expand(pattern))
    return found


def test_plan_policy_is_read_only() -> None:
    catalog = Catalog()
    for action in _allowed_actions(policy_file("iamsync-plan")):
        service, _, name = action.partition(":")
        found = catalog.action(service, name)
        assert found is not None
        assert found.access_level in ("Read", "List"), f"{action} is {found.access_level}"


def test_apply_writes_only_under_the_ownership_path() -> None:
    for st in _statements(policy_file("iamsync-apply")):
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        for arn in resources:
            assert arn != "*"
            assert arn.endswith(
                (
                    ":policy/iamsync/*",
                    ":user/iamsync/*",
                    ":group/iamsync/*",
                    ":role/iamsync/*",
                    ":instance-profile/iamsync/*",
                    ":mfa/*",
                )
            ), arn


def test_every_call_a_plan_makes_is_in_the_plan_policy(
    aws: MotoServer, iam: Any, git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record every API call of a plan that exercises all reads, deletion included."""
    git_repo.write(
        {
            "policies/p.json": doc("s3:GetObject"),
            "users/gone.json": {"policies": ["p"]},
        }
    ).commit()
    assert git_repo.run("--apply").code == 0
    git_repo.write(
        {
            "users/gone.json": None,
            "users/new.json": {"policies": ["p", "arn:aws:iam::aws:policy/ReadOnlyAccess"]},
        }
    ).commit()
    log = tmp_path / "calls.log"
    monkeypatch.setenv("IAMSYNC_API_LOG", str(log))
    assert git_repo.run("--plan", "--detailed-exitcode").code == 2
    made = {
        f"{svc}:{op}".lower() for svc, op in (line.split() for line in log.read_text().splitlines())
    }
    assert {
        "iam:getaccountauthorizationdetails",
        "iam:listaccesskeys",
        "iam:getpolicy",
        "sts:getcalleridentity",
    } <= made
    missing = made - _allowed_actions(policy_file("iamsync-plan"))
    assert missing == set()


def holder_of(iam: Any, name: str, document: Any) -> dict[str, str]:
    """A user holding only `document` (created while authorization is still off); its key."""
    arn = iam.create_policy(PolicyName=f"{name}-only", PolicyDocument=json.dumps(document))
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn=arn["Policy"]["Arn"])
    key: dict[str, str] = iam.create_access_key(UserName=name)["AccessKey"]
    return key


def act_as(monkeypatch: pytest.MonkeyPatch, key: dict[str, str]) -> None:
    """iamsync runs in this process: point the credential chain at `key`."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN")


@pytest.fixture
def enforced(aws: MotoServer) -> Any:
    """Authorization on from the moment this yields; off again afterwards."""
    try:
        yield lambda: aws.reset_auth("0")
    finally:
        aws.reset_auth("inf")
        aws.reset()


def test_plan_role_policy_can_plan_but_cannot_write(
    aws: MotoServer, iam: Any, git_repo: GitRepo, enforced: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before enforcement: an account with some owned state, and a user holding only the
    # plan policy (rendered for this account), standing in for the plan role.
    git_repo.write(
        {
            "policies/p.json": doc("s3:GetObject"),
            "users/ci.json": {"policies": ["p"]},
        }
    ).commit()
    assert git_repo.run("--apply").code == 0
    key = holder_of(iam, "planner", render(policy_file("iamsync-plan")))
    git_repo.write(
        {
            "policies/p.json": doc("s3:GetObject", "s3:PutObject"),
            "policies/q.json": doc("sqs:SendMessage"),
            "users/ci.json": {
                "policies": ["p", "q", "arn:aws:iam::aws:policy/ReadOnlyAccess"],
                "tags": {"team": "platform"},
            },
        }
    ).commit()
    enforced()
    act_as(monkeypatch, key)

    planned = git_repo.run("--plan", "--detailed-exitcode")
    assert planned.code == 2, planned.err
    assert "Plan: 1 to add, 2 to change, 0 to destroy." in planned.out
    assert "+ attach arn:aws:iam::aws:policy/ReadOnlyAccess" in planned.out

    planner = boto3.client(
        "iam",
        endpoint_url=aws.url,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    with pytest.raises(planner.exceptions.ClientError, match="AccessDenied"):
        planner.create_policy(
            PolicyName="sneaky", PolicyDocument=json.dumps(policy_file("iamsync-plan"))
        )
    applied = git_repo.run("--apply")
    assert applied.code == 1
    assert "AccessDenied" in applied.err
    assert "Done (0 of" in applied.err
    # Wrong credentials are refused by moto too: enforcement is real.
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    rejected = git_repo.run("--plan")
    assert rejected.code == 1
    assert rejected.err.strip().startswith(
        "iamsync: error: cannot use AWS: AWS rejected the credentials (SignatureDoesNotMatch"
    ), rejected.err
    assert len(rejected.err.strip().splitlines()) == 1


def test_missing_read_permission_is_one_clean_error(
    aws: MotoServer, iam: Any, git_repo: GitRepo, enforced: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A role without GetAccountAuthorizationDetails: exit 1, the AWS reason, no traceback."""
    key = holder_of(
        iam,
        "weak",
        doc("sts:GetCallerIdentity"),
    )
    git_repo.write({"users/ci.json": {}}).commit()
    enforced()
    act_as(monkeypatch, key)
    result = git_repo.run("--plan")
    assert result.code == 1
    assert "cannot read live IAM: AccessDenied" in result.err
    assert "nothing was written" in result.err and "Traceback" not in result.err
