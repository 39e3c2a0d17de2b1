"""The plan for a terminal: symbols, colours, document diffs, as styled lines streamed
one at a time (a plan of 25,000 changes is never held as one renderable).

Every line passes safe.line: names, ARNs and documents come from files and live IAM.
A rich Text is never parsed for markup, so "[bold]" in a policy stays text.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.text import Text

from iamsync.core import safe
from iamsync.core.lines import Mark
from iamsync.engine.plan import Action, Plan
from iamsync.render import access, describe

_STYLE = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red"}
_MARK_STYLE = {
    Mark.ADD: "green",
    Mark.REMOVE: "red",
    Mark.HUNK: "cyan",
    Mark.CHANGE: "yellow",
    Mark.HEADING: "bold",
    Mark.ALERT: "bold red",
}


def render(plan: Plan) -> Text:
    """The whole plan as one Text (tests; show() streams lines() instead)."""
    out = Text()
    for line, style in lines(plan):
        out.append(line, style=style)
    return out


def lines(plan: Plan) -> Iterator[tuple[str, str]]:
    """The plan's lines (each ending in a newline but the summary) and their styles."""
    for change in plan.changes:
        yield safe.line(describe.title(change)) + "\n", f"bold {_STYLE[change.action]}"
        for line in describe.details(change):
            yield safe.line(f"    {line}") + "\n", _MARK_STYLE.get(line.mark, "")
        for line in describe.document_diff(change):
            yield safe.line(f"      {line}") + "\n", _MARK_STYLE.get(line.mark, "dim")
        yield "\n", ""
    review = access.text_lines(plan.review)
    for line in review:
        yield safe.line(str(line)) + "\n", _MARK_STYLE.get(line.mark, "")
    if review:
        yield "\n", ""
    for text in describe.left_alone(plan):
        yield safe.line(text) + "\n", "yellow"
    destroys = plan.count(Action.DELETE)
    summary_style = "bold" if plan.empty else "bold " + ("red" if destroys else "yellow")
    yield describe.summary_line(plan), summary_style
