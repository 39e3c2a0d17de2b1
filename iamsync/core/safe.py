"""Untrusted text made inert for where it is shown: one helper per destination (pure).

Text from repository files and from live IAM is data. Every renderer passes it through
the helper of its destination, and none escapes by hand:

- `line`: a terminal or a CI log. Control characters (newlines, ESC, C1 codes, bidi
  overrides) are shown escaped, so text cannot start a new line, move the cursor, or
  start a GitHub workflow command (`::…` or `##[…` at the start of a line).
- `code` / `cell`: markdown (a PR comment, a job summary, an issue). Text goes in a code
  span fenced by more backticks than it holds, so no HTML, link, image, @-mention or
  emphasis is ever rendered from it; `cell` also escapes "|" for a table.
- `json_text`: JSON meant for stdout or a file: ASCII only, no "##[" anywhere.
"""

from __future__ import annotations

import html
import re

_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_COMMAND_START = re.compile(r"^\s*(::|##\[)")
_BACKTICKS = re.compile(r"`+")


def line(text: str, limit: int = 10_000) -> str:
    """One line for a terminal or a log: control characters escaped, long text cut."""
    shown = visible(text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    if _COMMAND_START.match(shown):  # never a workflow command, whatever comes first
        shown = "> " + shown
    return shown.replace("##[", "#\\#[")


def workflow_command(command: str, properties: dict[str, str], message: str) -> str:
    """A GitHub Actions workflow command ("::warning file=…::message") whose properties and
    message are inert: control characters shown, and GitHub's own escapes for "%", CR, LF
    and, in properties, ":" and ",", so text can neither end the command nor start one."""
    props = ",".join(f"{k}={_workflow_property(visible(v))}" for k, v in properties.items())
    return f"::{command}{' ' if props else ''}{props}::{_workflow_data(visible(message))}"


def _workflow_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _workflow_property(text: str) -> str:
    return _workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def visible(text: str) -> str:
    """Control characters shown as escapes (\\n, \\x1b, \\u202e): the text stays one line."""
    return _CONTROL.sub(_escape, text)


def code(text: str) -> str:
    """Inline markdown code: rendered literally whatever it holds."""
    flat = visible(text)
    longest = max((len(m.group(0)) for m in _BACKTICKS.finditer(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith(("`", " ")) or flat.endswith(("`", " ")) or not flat else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def cell(text: str) -> str:
    """A markdown table cell: a code span, with "|" escaped (GFM splits cells first)."""
    return code(text).replace("|", "\\|")


def fence_for(text: str) -> str:
    """A code-block fence longer than any backtick run in `text` (at least three)."""
    longest = max((len(m.group(0)) for m in _BACKTICKS.finditer(text)), default=0)
    return "`" * max(3, longest + 1)


def html_text(text: str) -> str:
    """Text inside our own HTML (a <summary>): escaped, and no @-mention."""
    return html.escape(visible(text), quote=True).replace("@", "&#64;")


def json_text(text: str) -> str:
    """A JSON document as text to print or save: "##[" never appears (\\u005b is "[")."""
    return text.replace("##[", "##\\u005b")


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return named.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
