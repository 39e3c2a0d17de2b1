"""Many accounts, one repository: the shared folders apply to every target, and
targets/<target>/<kind>/ adds files for one target only (issue 18, first part)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iamsync.core.errors import ConfigError
from iamsync.engine import validate
from tests.conftest import GOOD_POLICY, GitRepo, MotoServer, WriteRepo

CONFIG = {
    "targets": {
        "prod": {"account_id": "123456789012"},
        "staging": {"account_id": "123456789012"},
    }
}


def _codes(root: Path, target: str | None) -> list[tuple[str, str]]:
    return [(p.file, p.code) for p in validate.check(root, target=target).problems]


def test_a_target_s_own_files_join_the_shared_ones(write_repo: WriteRepo) -> None:
    root = write_repo(
        {
            "iamsync.json": CONFIG,
            "policies/shared.json": GOOD_POLICY,
            "targets/prod/policies/prod-only.json": GOOD_POLICY,
            "targets/prod/users/ci.json": {"policies": ["shared", "prod-only"]},
            "targets/staging/users/ci.json": {"policies": ["shared"]},
        }
    )
    prod = validate.check(root, target="prod")
    assert prod.ok, prod.problems
    assert set(prod.values["policy"]) == {"shared", "prod-only"}
    assert prod.values["user"]["ci"]["policies"] == ["shared", "prod-only"]
    staging = validate.check(root, target="staging")
    assert staging.ok and set(staging.values["policy"]) == {"shared"}
    assert staging.sources[("user", "ci")].path == "targets/staging/users/ci.json"


def test_a_name_shared_and_a_target_s_own_is_an_error(write_repo: WriteRepo) -> None:
    root = write_repo(
        {
            "iamsync.json": CONFIG,
            "policies/p.json": GOOD_POLICY,
            "targets/prod/policies/P.json": GOOD_POLICY,
        }
    )
    (problem,) = [p for p in validate.check(root, target="prod").problems if p.is_error]
    assert (problem.file, problem.code) == ("targets/prod/policies/P.json", "DUPLICATE_NAME")
    assert "policies/p.json" in problem.message
    assert validate.check(root, target="staging").ok


def test_a_target_s_reference_resolves_within_that_target(write_repo: WriteRepo) -> None:
    root = write_repo(
        {
            "iamsync.json": CONFIG,
            "targets/staging/policies/staging-only.json": GOOD_POLICY,
            "targets/prod/users/ci.json": {"policies": ["staging-only"]},
        }
    )
    assert ("targets/prod/users/ci.json", "UNKNOWN_POLICY") in _codes(root, "prod")


def test_folders_under_targets_that_apply_nowhere_are_said(write_repo: WriteRepo) -> None:
    root = write_repo(
        {
            "iamsync.json": CONFIG,
            "targets/prdo/users/ci.json": {},
            "targets/prod/notes.json": {},
            "targets/prod/things/x.json": {},
        }
    )
    found = validate.check(root, target="prod").problems
    (unknown,) = [p for p in found if p.code == "UNKNOWN_TARGET"]
    assert (
        unknown.file == "targets/prdo" and "prod, staging" in unknown.message and unknown.is_error
    )
    unread = sorted(p.file for p in found if p.code == "NOT_READ")
    assert (
        unread
        == ["targets/prdo/users/ci.json", "targets/prod/notes.json", "targets/prod/things/x.json"][
            1:
        ]
    )


def test_validate_without_a_target_checks_every_target_s_files(git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "iamsync.json": CONFIG,
            "policies/p.json": GOOD_POLICY,
            "targets/staging/users/ci.json": {"policies": ["p", "nowhere"]},
        }
    ).commit()
    result = git_repo.run("--validate")
    assert result.code == 1
    assert "targets/staging/users/ci.json:" in result.out and "UNKNOWN_POLICY" in result.out


def test_plan_of_a_target_holds_its_own_files(aws: MotoServer, iam: Any, git_repo: GitRepo) -> None:
    git_repo.write(
        {
            "iamsync.json": CONFIG,
            "policies/p.json": GOOD_POLICY,
            "targets/prod/users/prod-ci.json": {"policies": ["p"]},
        }
    ).commit()
    prod = json.loads(git_repo.run("--plan", "--target", "prod", "--format", "json").out)
    assert {(c["type"], c["name"]) for c in prod["changes"]} == {
        ("policy", "p"),
        ("user", "prod-ci"),
    }
    staging = json.loads(git_repo.run("--plan", "--target", "staging", "--format", "json").out)
    assert {(c["type"], c["name"]) for c in staging["changes"]} == {("policy", "p")}
    assert git_repo.run("--apply", "--target", "prod").code == 0
    assert iam.get_user(UserName="prod-ci")["User"]["Path"] == "/iamsync/"


def test_a_target_name_never_reads_outside_the_repository(tmp_path: Path) -> None:
    """From the attacker's side: a pull request's iamsync.json naming a target "../x"
    must not make iamsync read (and show in a plan) files outside the repository."""
    outside = tmp_path / "secret" / "policies"
    outside.mkdir(parents=True)
    (outside / "stolen.json").write_text(json.dumps(GOOD_POLICY))
    root = tmp_path / "repo"
    (root / "policies").mkdir(parents=True)
    config = {"targets": {"../../secret": {"account_id": "123456789012"}}}
    (root / "iamsync.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="cannot name a folder under targets/"):
        validate.check(root, target="../../secret")
    result = validate.check(root)
    assert not result.ok and all("stolen" not in names for names in result.values.values())
    assert any(p.file == "iamsync.json" and p.code == "INVALID_VALUE" for p in result.problems)


def test_a_folder_for_an_account_organizations_may_find_is_a_warning_only_then(
    write_repo: WriteRepo,
) -> None:
    """The suppression (error to warning) holds only where discovery is configured; the
    same folder without organizations stays an error."""
    org = {"organizations": [{"ous": ["ou-abcd-12345678"], "role_name": "iamsync-apply"}]}
    files = {"policies/p.json": GOOD_POLICY, "targets/team-a/users/ci.json": {}}
    with_org = validate.check(write_repo({**files, "iamsync.json": org}))
    (found,) = [p for p in with_org.problems if p.file == "targets/team-a"]
    assert found.code == "TARGET_NOT_LISTED" and not found.is_error
    (plain,) = [
        p
        for p in validate.check(write_repo({**files, "iamsync.json": CONFIG})).problems
        if p.file == "targets/team-a"
    ]
    assert plain.code == "UNKNOWN_TARGET" and plain.is_error
