"""The plan for a terminal: symbols, colours, document diffs (one rich Text).

Every line passes safe.line: names, ARNs and documents come from files and live IAM.
A rich Text is never parsed for markup, so "[bold]" in a policy stays text.
"""

from __future__ import annotations

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
    """The whole plan as one Text: cheap to build even for thousands of changes."""
    out = Text()
    for change in plan.changes:
        out.append(safe.line(describe.title(change)) + "\n", style=f"bold {_STYLE[change.action]}")
        for line in describe.details(change):
            out.append(safe.line(f"    {line}") + "\n", style=_MARK_STYLE.get(line.mark, ""))
        for line in describe.document_diff(change):
            out.append(safe.line(f"      {line}") + "\n", style=_MARK_STYLE.get(line.mark, "dim"))
        out.append("\n")
    review = access.text_lines(plan.review)
    for line in review:
        out.append(safe.line(str(line)) + "\n", style=_MARK_STYLE.get(line.mark, ""))
    if review:
        out.append("\n")
    for text in describe.left_alone(plan):
        out.append(safe.line(text) + "\n", style="yellow")
    destroys = plan.count(Action.DELETE)
    summary_style = "bold" if plan.empty else "bold " + ("red" if destroys else "yellow")
    out.append(describe.summary_line(plan), style=summary_style)
    return out
