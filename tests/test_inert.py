"""Untrusted text is inert wherever it is shown: terminals, CI logs, markdown.

The attacker writes a file (or edits IAM in the console) so that iamsync's own output
carries a workflow command, a terminal escape, or markdown that renders as an image, a
link or a mention. None may reach its destination raw.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from iamsync.core import safe
from iamsync.render import markdown
from tests.conftest import GitRepo, MotoServer
from tests.test_loop import PREFIX_ARN
from tests.test_plan_calls import live, live_policy, live_user, plan_of

ESC = "\x1b[2J\x1b]8;;https://evil.example\x07"
C1 = "\x9b31m"
COMMAND = "\n::warning title=pwned::gotcha\n##[error]legacy"
HTML = '<img src="https://evil.example/x.png" onerror="alert(1)">'
LINK = "[click](https://evil.example/login)"
MENTION = "@team"
MARKERS = ("evil.example", "@team", "<img", "pwned", "gotcha")


def _raw_command_lines(text: str) -> list[str]:
    """Lines a GitHub runner would take as a workflow command that iamsync did not mean."""
    ours = re.compile(r"^::(error|warning) file=")
    return [
        line
        for line in text.splitlines()
        if re.match(r"^\s*(::|##\[)", line) and not ours.match(line)
    ]


@pytest.mark.parametrize(
    "text",
    [COMMAND, ESC, C1, "\u202e evil", "::set-output name=x::y", "  ##[group]x", "a\r\nb"],
)
def test_line_keeps_untrusted_text_on_one_inert_line(text: str) -> None:
    shown = safe.line(text)
    assert "\n" not in shown and "\r" not in shown
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202e]", shown)
    assert not _raw_command_lines(shown)
    assert "##[" not in shown


@pytest.mark.parametrize("char", ["\u061c", "\u200b", "\u200d", "\u200f", "\u2066", "\ufeff"])
def test_invisible_and_direction_characters_are_shown_as_escapes(char: str) -> None:
    # "admin" with an invisible character reads as "admin" in a review: it must not.
    shown = safe.line(f"adm{char}in")
    assert char not in shown and shown == f"adm\\u{ord(char):04x}in"


def test_code_span_fence_outlasts_any_backtick_run() -> None:
    parsed = MarkdownIt("commonmark").parseInline(safe.code("a `` b ``` c"))[0].children
    assert parsed is not None
    assert [t.type for t in parsed] == ["code_inline"]
    assert parsed[0].content == "a `` b ``` c"


# -- validation output, as CI prints it -----------------------------------------------------


def test_validation_output_carries_no_raw_command_or_escape(write_repo: Any) -> None:
    from iamsync.cli import main

    root = write_repo(
        {
            "policies/p.json": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": f"s3:Get{COMMAND}",
                        "Resource": f"arn:aws:s3:::b{ESC}{C1}",
                    }
                ],
            },
            "users/u.json": {"policies": [f"nope{COMMAND}"], "tags": {"team": ESC}},
        }
    )
    for github in (False, True):
        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as mp:
            if github:
                mp.setenv("GITHUB_ACTIONS", "true")
            else:
                mp.delenv("GITHUB_ACTIONS", raising=False)
            code = main(["--validate", "--repo", str(root)], stdout=out, stderr=err)
        assert code == 1
        shown = out.getvalue() + err.getvalue()
        assert "gotcha" in shown  # reported, as text
        assert not _raw_command_lines(shown), shown
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown)
        if github:
            assert re.search(r"^::error file=policies/p.json,line=\d+", shown, re.M)


# -- plans from live IAM strings (console edits) and from files -----------------------------


def test_plan_output_from_live_strings_is_inert(
    aws: MotoServer, iam: Any, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_loop import doc

    git_repo.write(
        {"policies/p.json": doc("s3:GetObject"), "users/ci.json": {"tags": {"team": "a"}}}
    ).commit()
    assert git_repo.run("--apply").code == 0
    # Someone with console access writes strings meant for the reviewer's screen and CI
    # (IAM documents may hold newlines and C1 codes; tag values may hold "::" and "=").
    bad = doc("s3:GetObject", resource=f"arn:aws:s3:::b{COMMAND}{C1}")
    iam.create_policy_version(
        PolicyArn=f"{PREFIX_ARN}/p", PolicyDocument=json.dumps(bad), SetAsDefault=True
    )
    iam.tag_user(UserName="ci", Tags=[{"Key": "team", "Value": "::warning title=pwned::x"}])
    for github in ("", "true"):
        monkeypatch.setenv("GITHUB_ACTIONS", github)
        for fmt in ("text", "json"):
            result = git_repo.run("--plan", "--format", fmt)
            assert result.code == 0, result.err
            shown = result.out + result.err
            assert "gotcha" in shown
            assert not _raw_command_lines(shown), shown
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown)
            assert "##[" not in result.out  # also mid-line, as the streamed JSON writes it


def _plan_with_markers() -> Any:
    hostile = f"arn:aws:s3:::bucket/{HTML}{LINK}{MENTION}`x``"
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": hostile,
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": f"{MENTION} {LINK}"}},
            }
        ],
    }
    state = live(live_policy("p", {"Version": "2012-10-17", "Statement": []}), live_user("ci"))
    return plan_of({"p": document}, {"ci": {"policies": ["p"], "tags": {"t": HTML}}}, state)


def _tokens(text: str) -> list[Token]:
    parser = MarkdownIt("commonmark").enable("table")
    flat: list[Token] = []
    for token in parser.parse(text):
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def test_markdown_plan_renders_no_html_link_image_or_mention_from_the_data() -> None:
    rendered = markdown.render(_plan_with_markers())
    tokens = _tokens(rendered)
    assert not [t for t in tokens if t.type in ("image", "link_open", "autolink")]
    code = {"code_inline", "fence", "code_block"}
    for token in tokens:
        if token.type in code or token.children:
            continue
        for marker in MARKERS:
            assert marker not in token.content, (token.type, token.content)
    html = [t.content for t in tokens if t.type in ("html_block", "html_inline")]
    assert html and all("<img" not in h and "href" not in h for h in html)
    # The data is still there, as code, for the reviewer to read.
    inside = " ".join(t.content for t in tokens if t.type in code)
    assert all(marker in inside for marker in ("evil.example", "@team", "<img"))
    rows = [line for line in rendered.splitlines() if line.startswith("| `")]
    assert rows and all(line.count(" | ") == 3 for line in rows)  # no cell was split


def test_an_apply_failure_reason_is_shown_as_text(
    aws: MotoServer, iam: Any, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iamsync.aws import runner as apply
    from tests.test_loop import doc

    git_repo.write({"policies/p.json": doc("s3:GetObject")}).commit()
    monkeypatch.setattr(
        apply._Runner, "_call", lambda self, call: f"X: [bold red]fake[/] {ESC}{COMMAND}"
    )
    failed = git_repo.run("--apply")
    assert failed.code == 1
    assert "X: [bold red]fake[/]" in failed.err  # markup shown, not interpreted
    assert not _raw_command_lines(failed.err)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", failed.err)


def test_a_log_in_a_job_summary_stays_one_code_block() -> None:
    from iamsync.render import report

    log = f"line one\n```\n{HTML} {LINK} {MENTION}\n````````\n{ESC}\nlast"
    rendered = report.render("iamsync apply: failure", log)
    tokens = _tokens(rendered)
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1 and "last" in fences[0].content and "<img" in fences[0].content
    assert not [t for t in tokens if t.type in ("html_block", "html_inline", "link_open")]
    assert "\x1b" not in rendered


def test_the_one_workflow_command_escaper_keeps_text_inside_its_command() -> None:
    """A file name or message can neither end the command (newline, "::"), nor add a
    property (","), nor smuggle an escape GitHub would decode ("%0A" written literally)."""
    from iamsync.core import safe

    made = safe.workflow_command(
        "error",
        {"file": "policies/a,b:c.json", "line": "1"},
        "bad\n::warning title=pwned::x %0A\r\x1b[31m",
    )
    head, _, message = made.partition("::")[2].partition("::")
    assert head == "error file=policies/a%2Cb%3Ac.json,line=1"
    assert "\n" not in made and "\r" not in made and "\x1b" not in made
    assert message == "bad\\n::warning title=pwned::x %250A\\r\\x1b[31m"
