"""Renderers: golden files for a small mixed plan (UPDATE_GOLDEN=1 rewrites them), limits."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from iamsync.cli import showing
from iamsync.core.model import Credentials
from iamsync.engine.plan import Plan
from iamsync.render import markdown, planfile, text
from tests.test_plan_calls import P, doc, live, live_policy, live_user, plan_of

GOLDEN = Path(__file__).parent / "golden"


def mixed_plan() -> Plan:
    state = live(
        live_policy("deploy", *(doc(f"s3:A{i}") for i in range(5))),
        live_policy("retired", doc("sqs:SendMessage")),
        live_user("ci", P + "deploy", P + "retired", tags={"managed-by": "iamsync", "team": "old"}),
        live_user("old-bot", P + "retired"),
    )
    return plan_of(
        {"deploy": doc("s3:GetObject", "s3:PutObject"), "push": doc("ecr:PutImage")},
        {"ci": {"policies": ["deploy", "push"], "tags": {"team": "platform"}}},
        state,
        {"old-bot": Credentials(access_keys=("AKIA1",), login_profile=True)},
        reviewed=True,
    )


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"regenerate with UPDATE_GOLDEN=1: {name}"


def test_text_golden() -> None:
    out = io.StringIO()
    Console(file=out, width=100, no_color=True).print(text.render(mixed_plan()), soft_wrap=True)
    check_golden("plan.txt", out.getvalue())
    streamed = io.StringIO()  # what --plan prints: the lines streamed, not one renderable
    showing.show(mixed_plan(), "text", streamed)
    assert streamed.getvalue() == out.getvalue()


def test_a_terminal_gets_the_same_coloured_plan_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import rich.console

    whole, chunked = io.StringIO(), io.StringIO()
    Console(file=whole, force_terminal=True, highlight=False).print(
        text.render(mixed_plan()), soft_wrap=True
    )
    real = rich.console.Console

    def terminal(**kwargs: Any) -> Console:
        return real(**kwargs, force_terminal=True)

    monkeypatch.setattr(rich.console, "Console", terminal)
    monkeypatch.setattr(showing, "_CHUNK", 3)  # many chunks
    showing.show(mixed_plan(), "text", chunked)
    assert "\x1b[" in chunked.getvalue()
    assert chunked.getvalue() == whole.getvalue()


def test_markdown_golden() -> None:
    check_golden("plan.md", markdown.render(mixed_plan()) + "\n")


def test_json_golden() -> None:
    check_golden("plan.json", planfile.dumps(mixed_plan()))
    streamed = io.StringIO()  # what --plan --format json prints, written as it is encoded
    showing.show(mixed_plan(), "json", streamed)
    assert streamed.getvalue() == planfile.dumps(mixed_plan())
    assert json.loads((GOLDEN / "plan.json").read_text())["changes"][0].keys() >= {
        "action",
        "type",
        "name",
    }


def test_text_has_colour_only_on_a_terminal() -> None:
    plain, coloured = io.StringIO(), io.StringIO()
    Console(file=plain, width=100).print(text.render(mixed_plan()))
    Console(file=coloured, width=100, force_terminal=True).print(text.render(mixed_plan()))
    assert "\x1b[" not in plain.getvalue()
    assert "\x1b[" in coloured.getvalue()


@pytest.mark.parametrize("count", [30, 3000])
def test_markdown_stays_under_githubs_limit_and_points_to_the_full_plan(count: int) -> None:
    policies = {
        f"policy-{i:04d}": doc(
            *[f"s3:GetObject{x}" for x in ("", "Acl", "Tagging", "Version", "Attributes")]
        )
        for i in range(count)
    }
    users = {f"user-{i:04d}": {"policies": [f"policy-{i:04d}"]} for i in range(count)}
    big = plan_of(policies, users, live())
    rendered = markdown.render(big, full_plan="Full plan: the `plan` artifact of this run.")
    assert len(rendered) < markdown.GITHUB_LIMIT
    assert rendered.startswith(markdown.MARKER)
    assert f"Plan: {2 * count} to add" in rendered
    if count == 3000:
        assert "details omitted to fit GitHub's comment limit" in rendered
        assert "Full plan: the `plan` artifact of this run." in rendered
        assert "more changes" in rendered
    else:
        assert "omitted" not in rendered
        assert rendered.count("<details>") == 2 * count


def test_access_changes_name_what_is_granted_and_revoked() -> None:
    from iamsync.policy.grants import access_changes

    before = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:b/*"},
            {
                "Effect": "Deny",
                "NotAction": "iam:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
            },
        ],
    }
    after = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["S3:getobject", "s3:DeleteObject"],
                "Resource": ["arn:b/*", "arn:c/*"],
            }
        ],
    }
    changes = access_changes(before, after)
    assert [line.mark.value for line in changes] == ["+", "+", "-", "-"]
    assert [str(line) for line in changes] == [
        "+ Allow s3:DeleteObject on arn:b/*, arn:c/*",
        "+ Allow S3:getobject on arn:c/*",
        "- Allow s3:PutObject on arn:b/*",
        '- Deny every action but iam:* on * if {"Bool":{"aws:MultiFactorAuthPresent":["false"]}}',
    ]
    many = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": f"s3:A{i}", "Resource": f"arn:aws:s3:::b{i}"}
            for i in range(20)
        ],
    }
    lines = access_changes(None, many, limit=5)
    assert len(lines) == 6 and str(lines[-1]) == "… and 15 more (see the document diff)"


def test_one_statement_is_one_grant_line_however_many_actions_and_resources() -> None:
    from iamsync.policy.grants import access_changes

    push = ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:BatchGetImage"]
    after = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": push, "Resource": ["arn:r/a", "arn:r/b"]}],
    }
    assert [str(line) for line in access_changes(None, after)] == [
        "+ Allow ecr:BatchGetImage, ecr:InitiateLayerUpload, ecr:PutImage, ecr:UploadLayerPart "
        "on arn:r/a, arn:r/b"
    ]
    wide = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": [f"s3:A{i}" for i in range(20)], "Resource": "*"}
        ],
    }
    assert [str(line) for line in access_changes(None, wide)] == [
        "+ Allow s3:A0, s3:A1, s3:A10, s3:A11, s3:A12, s3:A13, s3:A14, s3:A15 and 12 more on *"
    ]
