"""A plan on the command line: JSON, markdown, or rich text for a terminal."""

from __future__ import annotations

from typing import TextIO

from iamsync.core import safe
from iamsync.engine.plan import Plan
from iamsync.render import describe, markdown, planfile


def show(chosen: Plan, fmt: str, out: TextIO, *, full_plan: str = "") -> None:
    if fmt == "json":
        out.write(planfile.dumps(chosen))
    elif fmt == "markdown":
        out.write(markdown.render(chosen, full_plan=full_plan) + "\n")
    elif chosen.empty:  # no need to load rich for a line or two
        out.write("".join(safe.line(line) + "\n" for line in describe.left_alone(chosen)))
        out.write(describe.summary_line(chosen) + "\n")
    else:
        from iamsync.cli.applying import console_for
        from iamsync.render import text

        console_for(out).print(text.render(chosen), soft_wrap=True)
