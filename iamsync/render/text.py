"""The plan for a terminal: symbols, colours, document diffs (rich renderables)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from iamsync.plan import Action, Plan
from iamsync.render import describe

_STYLE = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red"}
_LINE_STYLE = {"+": "green", "-": "red", "@": "cyan", "~": "yellow"}


def render(plan: Plan) -> RenderableType:
    parts: list[RenderableType] = []
    for change in plan.changes:
        style = _STYLE[change.action]
        parts.append(Text(describe.title(change), style=f"bold {style}"))
        for line in describe.details(change):
            parts.append(Text("    " + line, style=_LINE_STYLE.get(line.lstrip()[:1], "")))
        for line in describe.document_diff(change):
            parts.append(Text("      " + line, style=_LINE_STYLE.get(line[:1], "dim")))
        parts.append(Text(""))
    summary_style = (
        "bold" if plan.empty else "bold " + ("red" if plan.count(Action.DELETE) else "yellow")
    )
    parts.append(Text(describe.summary_line(plan), style=summary_style))
    return Group(*parts)
