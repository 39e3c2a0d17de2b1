"""The access review on the seed example, against a moto server: a widened policy shows
what it grants and raises a finding, a narrowed one only losses, and --fail-on blocks a
dangerous change but not an unrelated one. IAM Access Analyzer, with botocore's Stubber."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.conftest import GOOD_POLICY, GitRepo, MotoServer
from tests.test_loop import seed_repo


def _set_ecr_push(repo: GitRepo, statement: dict[str, Any]) -> None:
    path = repo.root / "policies" / "ecr-push.json"
    doc = json.loads(path.read_text())
    doc["Statement"] = [statement]
    repo.write({"policies/ecr-push.json": doc}).commit("change ecr-push")


def _applied_seed(git_repo: GitRepo, iam: Any) -> GitRepo:
    repo = seed_repo(git_repo, iam)
    applied = repo.run("--apply")
    assert applied.code == 0, applied.err
    return repo


def test_widening_ecr_push_shows_what_it_grants_and_a_finding(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    _set_ecr_push(repo, {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"})
    md = repo.run("--plan", "--format", "markdown")
    assert md.code == 0, md.err
    access = md.out.split("#### Access")[1].split("| | Type |")[0]
    assert "`user cdk-deployer gains" in access and "`role cdk-deployer-github gains" in access
    assert "Permissions management" in access and "Write" in access  # counted per level
    assert "ecr:BatchDeleteImage on *" in access
    findings = md.out.split("#### New findings")[1]
    assert "**medium** `SERVICE_WILDCARD` `user cdk-deployer`" in findings
    assert "**high** `RESOURCE_EXPOSURE`" in findings
    assert "```mermaid" in md.out and '["policy ecr-push"]' in md.out  # two principals reached
    data = json.loads(repo.run("--plan", "--format", "json").out)
    (user,) = [
        a
        for a in data["access"]
        if a["principal"] == {"type": "user", "name": "cdk-deployer", "owned": True}
    ]
    assert "ecr:DeleteRepository" in user["gained"] and user["lost"] == []
    assert {"code", "severity", "new", "principal", "message"} <= data["findings"][0].keys()


def test_narrowing_a_policy_shows_only_losses_and_no_alarm(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    _set_ecr_push(repo, {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"})
    data = json.loads(repo.run("--plan", "--format", "json").out)
    assert data["access"] and all(a["gained"] == [] and a["lost"] for a in data["access"])
    assert "ecr:PutImage" in data["access"][0]["lost"]
    assert not [f for f in data["findings"] if f["new"]]
    assert repo.run("--plan", "--fail-on", "low").code == 0


def test_fail_on_high_blocks_an_introduced_iam_star_and_not_an_unrelated_change(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = _applied_seed(git_repo, iam)
    repo.write({"users/cdk-deployer.json": _with_tag(repo, "owner", "ops")}).commit("tag")
    unrelated = repo.run("--plan", "--fail-on", "high")
    assert unrelated.code == 0, unrelated.err
    repo.write(
        {
            "policies/admin-ish.json": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
            },
            "users/cdk-deployer.json": _with_policy(repo, "admin-ish"),
        }
    ).commit("oops")
    # Under iamsync.json's required boundary, iam:* writes no policy, key or trust: the
    # boundary closes those. It still passes any role to any AWS service the user can start
    # (the boundary's iam:PassedToService is "*.amazonaws.com"): that is said, not hidden.
    bounded = repo.run("--plan", "--fail-on", "high")
    assert bounded.code == 1
    assert "NEW high PASSROLE_TO_LAUNCHER user cdk-deployer: may pass any role" in bounded.err
    assert "only if StringLike iam:passedtoservice *.amazonaws.com" in bounded.err
    assert "ADMIN_EQUIVALENT" not in bounded.err  # no policy or version edits, no attaching
    assert "IAM_PRIVILEGE_ESCALATION" not in bounded.err  # the boundary contains IAM writes
    assert "only on arn:aws:iam::123456789012:role/bounded/*" in bounded.err  # roles it bounds
    config = json.loads((repo.root / "iamsync.json").read_text())
    del config["permissions_boundary"]
    repo.write({"iamsync.json": config}).commit("no boundary")
    blocked = repo.run("--plan", "--fail-on", "high", "--detailed-exitcode")
    assert blocked.code == 1
    assert "+ policy admin-ish" in blocked.out  # the plan is still printed in full
    assert "iamsync: error: NEW high IAM_PRIVILEGE_ESCALATION user cdk-deployer: may" in blocked.err
    assert (
        "iamsync: error: NEW high ADMIN_EQUIVALENT user cdk-deployer: policy admin-ish allows "
        "every IAM action (iam:*) on every resource" in blocked.err
    )
    assert "at high or above (--fail-on high)" in blocked.err


def _with_tag(repo: GitRepo, key: str, value: str) -> dict[str, Any]:
    user: dict[str, Any] = json.loads((repo.root / "users" / "cdk-deployer.json").read_text())
    user["tags"][key] = value
    return user


def _with_policy(repo: GitRepo, name: str) -> dict[str, Any]:
    user: dict[str, Any] = json.loads((repo.root / "users" / "cdk-deployer.json").read_text())
    user["policies"] = [name, *user["policies"][:5]]
    return user


# -- IAM Access Analyzer -----------------------------------------------------------------


def _analyzer() -> Any:
    return boto3.client(
        "accessanalyzer",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        endpoint_url="http://127.0.0.1:9",
    )


def _plan_with_documents() -> Any:
    from tests.test_plan_calls import doc, live, plan_of

    return plan_of({"deploy": doc("iam:PassRole")}, {}, live())


def test_access_analyzer_findings_join_the_plan() -> None:
    from iamsync.aws import analyzer

    client = _analyzer()
    plan = _plan_with_documents()
    with Stubber(client) as stub:
        stub.add_response(
            "validate_policy",
            {
                "findings": [
                    {
                        "findingDetails": "Using PassRole with a wildcard (*) ...",
                        "findingType": "SECURITY_WARNING",
                        "issueCode": "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                        "learnMoreLink": "https://docs.aws.amazon.com/",
                        "locations": [],
                    }
                ]
            },
            {
                "policyDocument": json.dumps(plan.changes[0].after, separators=(",", ":")),
                "policyType": "IDENTITY_POLICY",
            },
        )
        found = analyzer.validate(client, plan)
        stub.assert_no_pending_responses()
    assert [(f.document, f.type, f.issue) for f in found] == [
        ("policy deploy", "SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE")
    ]
    from dataclasses import replace

    from iamsync.render import markdown

    shown = markdown.render(replace(plan, review=replace(plan.review, analyzer=found)))
    assert "#### IAM Access Analyzer" in shown and "PASS_ROLE_WITH_STAR_IN_RESOURCE" in shown


def test_access_analyzer_unavailable_is_one_clear_reason() -> None:
    from iamsync.aws import analyzer

    client = _analyzer()
    with Stubber(client) as stub:
        stub.add_client_error(
            "validate_policy", "AccessDeniedException", "not authorized to perform ValidatePolicy"
        )
        with pytest.raises(analyzer.Unavailable, match="IAM Access Analyzer is unavailable: "):
            analyzer.validate(client, _plan_with_documents())


def test_access_analyzer_flag_without_the_service_warns_and_plans(
    aws: MotoServer, git_repo: GitRepo, tmp_path: Path
) -> None:
    """moto serves no Access Analyzer here: the plan goes on and says so in one line."""
    git_repo.write(
        {
            "policies/p.json": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        }
    ).commit()
    result = git_repo.run("--plan", "--access-analyzer")
    assert result.code == 0, result.err
    assert "+ policy p" in result.out
    warnings = [line for line in result.err.splitlines() if "Access Analyzer" in line]
    assert len(warnings) <= 1


def test_access_analyzer_behind_an_error_page_is_one_warning_with_the_status(
    aws: MotoServer, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, error_page: str
) -> None:
    """A proxy's HTML page in front of Access Analyzer: status and reason, none of the page."""
    analyzer_url = error_page
    monkeypatch.setenv("AWS_ENDPOINT_URL_ACCESSANALYZER", analyzer_url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    git_repo.write({"policies/p.json": GOOD_POLICY}).commit()
    result = git_repo.run("--plan", "--access-analyzer")
    assert result.code == 0, result.err
    assert "+ policy p" in result.out
    warnings = [line for line in result.err.splitlines() if "Access Analyzer" in line]
    assert warnings == [
        f"iamsync: warning: IAM Access Analyzer is unavailable: the endpoint {analyzer_url} "
        "(AWS_ENDPOINT_URL_ACCESSANALYZER) answered HTTP 502 (Bad Gateway), not an AWS API "
        "reply; the plan goes on without it"
    ]
    assert "<" not in result.err


def test_a_bulk_read_answered_by_an_error_page_names_the_status_and_the_setting(
    aws: MotoServer, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, error_page: str
) -> None:
    """STS answers (moto) but IAM's endpoint is a proxy's page: one line, nothing written."""
    iam_url = error_page
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", iam_url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    git_repo.write({"policies/p.json": GOOD_POLICY}).commit()
    result = git_repo.run("--plan")
    assert result.code == 1
    assert result.err.strip().splitlines() == [
        f"iamsync: error: cannot read live IAM: the endpoint {iam_url} (AWS_ENDPOINT_URL_IAM) "
        "answered HTTP 502 (Bad Gateway), not an AWS API reply; nothing was written"
    ]
