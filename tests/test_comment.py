"""The PR comment leads with danger and stays well-formed whatever is trimmed.

Rendered from real reviews of real plans (the pure stages), and read back with a
CommonMark parser: the new findings come first and are never trimmed away, every fence
and details element that opens also closes, and the change table stays a table.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from markdown_it import MarkdownIt

from iamsync.access.review import FindingRecord, Ref, Review
from iamsync.engine.desired import build
from iamsync.engine.plan import diff
from iamsync.render import markdown
from tests.reviewing import review
from tests.test_access import CATALOG
from tests.test_plan_calls import ACCOUNT, doc, live

PARSER = MarkdownIt("commonmark").enable("table")


def _plan(users: int, dangerous: int, *, policy: dict[str, Any] | None = None) -> Any:
    """`users` new users holding one shared policy (a read-only AWS one too); the first
    `dangerous` of them also hold a policy that escalates."""
    values: dict[str, Any] = {
        "policy": {
            "shared": policy or doc("s3:GetObject", "sqs:SendMessage"),
            "escalate": doc("iam:CreatePolicyVersion", "iam:PassRole", "lambda:CreateFunction"),
        },
        "user": {
            f"user-{i:04d}": {
                "policies": ["shared", "arn:aws:iam::aws:policy/ReadOnlyAccess"]
                + (["escalate"] if i < dangerous else [])
            }
            for i in range(users)
        },
    }
    wanted = build(values, account_id=ACCOUNT, partition="aws", path_prefix="/iamsync/")
    state = live()
    plan = diff(wanted, state)
    read_only = {
        "arn:aws:iam::aws:policy/ReadOnlyAccess": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:Get*", "ec2:Describe*"], "Resource": "*"}
            ],
        }
    }
    reviewed = review(wanted, state, read_only, CATALOG, ["shared", "escalate"])
    return replace(plan, review=reviewed)


def _well_formed(md: str) -> None:
    tokens = PARSER.parse(md)
    fences = [t for t in tokens if t.type == "fence"]
    for fence in fences:
        assert fence.info in ("diff", "mermaid"), fence.info
        if fence.info == "mermaid":
            assert fence.content.startswith("flowchart LR\n")
            assert "|---|" not in fence.content  # the table did not fall into the diagram
    assert md.count("<details>") == md.count("</details>")
    assert any(t.type == "table_open" for t in tokens), "the change table is not a table"
    assert len(md) <= markdown.GITHUB_LIMIT


def test_one_dangerous_user_among_forty_leads_the_comment() -> None:
    md = markdown.render(_plan(40, 1))
    _well_formed(md)
    assert "#### New findings" in md
    assert md.index("#### New findings") < md.index("#### Access") < md.index("| | Type |")
    assert "**high** `IAM_PRIVILEGE_ESCALATION` `user user-0000`" in md
    first = md.split("#### New findings")[1].split("\n")[1]
    assert first.startswith("- **high**")


@pytest.mark.parametrize("users, dangerous", [(150, 1), (150, 150), (1200, 1200)])
def test_trimming_keeps_every_high_finding_and_closes_every_block(
    users: int, dangerous: int
) -> None:
    plan = _plan(users, dangerous)
    md = markdown.render(plan)
    _well_formed(md)
    high = [f for f in plan.review.findings if f.new and f.severity == "high"]
    assert high
    section = md.split("#### New findings")[1].split("#### Access")[0]
    for code in {f.code for f in high}:
        assert f"`{code}`" in section
    named = set(re.findall(r"`user (user-\d{4})`", section))
    if len(named) < len({f.principal.name for f in high}):  # grouped: counted, not dropped
        assert re.search(r"on \d+ principals: .* and \d+ more", section)


def test_a_small_limit_still_keeps_the_high_findings_and_closes_blocks() -> None:
    plan = _plan(150, 3)
    md = markdown.render(plan, limit=12_000)
    tokens = PARSER.parse(md)
    assert md.count("<details>") == md.count("</details>")
    assert all(t.content.startswith("flowchart") for t in tokens if t.info == "mermaid")
    assert md.count("**high** `IAM_PRIVILEGE_ESCALATION`") == 3
    assert len(md) <= 12_000


def test_grouped_high_findings_name_their_count() -> None:
    found = tuple(
        FindingRecord("ADMIN_EQUIVALENT", "high", True, Ref("user", f"u{i}"), "x" * 400)
        for i in range(5000)
    )
    plan = replace(_plan(1, 0), review=Review(findings=found))
    md = markdown.render(plan)
    assert "**high** `ADMIN_EQUIVALENT` on 5000 principals: `user u0`" in md
    assert len(md) <= markdown.GITHUB_LIMIT


def test_principals_whose_access_changes_alike_read_as_one_headline() -> None:
    md = markdown.render(_plan(150, 2))
    section = md.split("#### Access")[1].split("| | Type |")[0]
    assert "`user user-0000, user-0001 (2 users) gain 261 actions" in section
    assert "and 145 more (148 users) gain 258 actions" in section
    assert section.count("<details>") == 2
