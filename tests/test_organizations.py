"""Targets from AWS Organizations (moto: an organization, OUs, accounts; STS AssumeRole
into each account id gives that account its own IAM)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from iamsync.aws import organizations
from tests.conftest import GOOD_POLICY, GitRepo, MotoServer


@pytest.fixture
def org(aws: MotoServer) -> Any:
    client = boto3.client("organizations", endpoint_url=aws.url, region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    return client


def _ou(org: Any, name: str, parent: str | None = None) -> str:
    root = parent or org.list_roots()["Roots"][0]["Id"]
    return str(org.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"])


def _account(org: Any, name: str, ou: str) -> str:
    made = org.create_account(AccountName=name, Email=f"{name.replace(' ', '')}@example.invalid")
    account = made["CreateAccountStatus"]["AccountId"]
    root = org.list_roots()["Roots"][0]["Id"]
    org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    return str(account)


def _config(ous: list[str], **extra: Any) -> dict[str, Any]:
    return {"organizations": [{"ous": ous, "role_name": "iamsync-apply", **extra}]}


def test_accounts_of_an_ou_and_its_children_are_targets(
    aws: MotoServer, org: Any, git_repo: GitRepo
) -> None:
    workloads = _ou(org, "workloads")
    teams = _ou(org, "teams", workloads)
    prod = _account(org, "Prod", workloads)
    team = _account(org, "Team A", teams)
    skipped = _account(org, "Sandbox", workloads)
    git_repo.write(
        {
            "iamsync.json": _config([workloads], exclude_accounts=[skipped]),
            "policies/baseline.json": GOOD_POLICY,
        }
    ).commit()
    found = json.loads(git_repo.run("--plan", "--all-targets", "--format", "json").out)
    by_name = {t["name"]: t for t in found["targets"]}
    assert set(by_name) == {"prod", "team-a"}
    assert (by_name["prod"]["account_id"], by_name["team-a"]["account_id"]) == (prod, team)
    assert all(t["error"] is None and len(t["changes"]) == 1 for t in found["targets"])
    # a new account in the OU gets the baseline on the next run
    late = _account(org, "Late", teams)
    again = json.loads(git_repo.run("--plan", "--all-targets", "--format", "json").out)
    assert {t["account_id"] for t in again["targets"]} == {prod, team, late}
    assert git_repo.run("--apply", "--target", "late").code == 0


def test_an_ou_that_does_not_exist_is_one_line(
    aws: MotoServer, org: Any, git_repo: GitRepo
) -> None:
    git_repo.write(
        {"iamsync.json": _config(["ou-abcd-12345678"]), "policies/p.json": GOOD_POLICY}
    ).commit()
    result = git_repo.run("--plan", "--all-targets")
    assert result.code == 1
    assert "organizations names OU ou-abcd-12345678" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_an_account_listed_twice_is_an_error(aws: MotoServer, org: Any, git_repo: GitRepo) -> None:
    workloads = _ou(org, "workloads")
    prod = _account(org, "Prod", workloads)
    config = {**_config([workloads]), "targets": {"main": {"account_id": prod}}}
    git_repo.write({"iamsync.json": config, "policies/p.json": GOOD_POLICY}).commit()
    result = git_repo.run("--plan", "--all-targets")
    assert result.code == 1 and f"account {prod} is a target twice" in result.err
    twice = _config([workloads, workloads])
    git_repo.write({"iamsync.json": twice}).commit()
    result = git_repo.run("--plan", "--all-targets")
    assert result.code == 1 and "is found twice in organizations" in result.err


def test_target_names_come_from_account_names() -> None:
    assert organizations.target_name("Team A — Prod") == "team-a-prod"
    assert organizations.target_name("***") == "account"


def test_the_apply_matrix_lists_every_target_in_its_environment(
    aws: MotoServer, org: Any, git_repo: GitRepo
) -> None:
    import io

    from iamsync.cli import matrix

    workloads = _ou(org, "workloads")
    _account(org, "Prod", workloads)
    config = {
        **_config([workloads], environment="prod-accounts"),
        "targets": {"sandbox": {"account_id": "123456789012"}, "audit": {"environment": "audit"}},
    }
    git_repo.write({"iamsync.json": config, "policies/p.json": GOOD_POLICY}).commit()

    def run() -> tuple[int, str, str]:
        organizations.forget()
        out, err = io.StringIO(), io.StringIO()
        code = matrix.main(["--repo", str(git_repo.root)], out, err)
        return code, out.getvalue(), err.getvalue()

    code, out, err = run()
    assert code == 0, err
    assert json.loads(out) == [
        {"name": "audit", "environment": "audit"},
        {"name": "prod", "environment": "prod-accounts"},
        {"name": "sandbox", "environment": "production"},  # the default
    ]
    assert out.count("\n") == 1  # one line, for $GITHUB_OUTPUT
    # an environment that could be read as code in a workflow never reaches the matrix
    config["targets"]["audit"]["environment"] = "x\nlist=[]"
    git_repo.write({"iamsync.json": config}).commit()
    code, out, err = run()
    assert code == 1 and out == "" and "Traceback" not in err
    assert err.startswith("iamsync.json:") and len(err.strip().splitlines()) == 1, err
    # without targets: the one ambient account
    git_repo.write({"iamsync.json": {}}).commit()
    assert json.loads(run()[1]) == [{"name": "", "environment": "production"}]
