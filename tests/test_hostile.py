"""Hostile files: each is validated in bounded time (a generous subprocess timeout, not a
timed test) with a clear FILE:LINE:COL message and never a traceback; a document diff
splits lines only where JSON does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT


def _statement(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", **extra}


def _policy_text(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


HOSTILE: dict[str, dict[str, str]] = {
    "a template opener followed by 10,000 spaces": {
        "policies/p.json": _policy_text(_statement(Resource="arn:aws:s3:::{{" + " " * 10_000))
    },
    "200,000 template openers": {
        "policies/p.json": _policy_text(_statement(Resource="{{" * 100_000 + "x"))
    },
    "a 60 KB policy with trailing whitespace and one warning": {
        "policies/p.json": _policy_text(_statement(Action="s3:GetObjectz")) + " " * 60_000
    },
    "100,000 policy-variable openers": {
        "policies/p.json": _policy_text(_statement(Resource="arn:aws:s3:::" + "${" * 100_000))
    },
    "an inline policy named with a template variable": {
        "users/u.json": json.dumps(
            {"inline_policies": {"deploy-{{AccountId}}": json.loads(_policy_text(_statement()))}}
        )
    },
    "a condition value with U+0085 and U+2028": {
        "policies/p.json": _policy_text(
            _statement(Condition={"StringEquals": {"aws:username": "a\u0085b\u2028c"}})
        )
    },
    "deep nesting just under the limit, repeated": {
        "policies/p.json": _policy_text(_statement(Condition={"StringEquals": {"s3:prefix": [[]]}}))
    },
}


@pytest.mark.parametrize("files", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_is_reported_in_bounded_time(files: dict[str, str], tmp_path: Path) -> None:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "sync.py"), "--validate", "--repo", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,  # each takes well under a second; minutes before this fix
    )
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    assert proc.returncode in (0, 1), out
    if proc.returncode == 1:
        lines = [line for line in out.splitlines() if ": error: " in line]
        assert lines and all(line.split(":")[0] in files for line in lines), out


def test_a_document_diff_splits_only_on_newlines() -> None:
    from iamsync.render.describe import _lines

    doc = json.loads(
        _policy_text(
            _statement(Condition={"StringEquals": {"aws:username": "x\u0085+ injected\u2028y"}})
        )
    )
    lines = _lines(doc)
    assert not [line for line in lines if line.lstrip().startswith("+ injected")]
    assert any("\u0085" in line for line in lines)
