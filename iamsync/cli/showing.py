"""A plan on the command line: JSON, markdown, or rich text for a terminal."""

from __future__ import annotations

from typing import TextIO

from iamsync.core import safe
from iamsync.engine.plan import Plan
from iamsync.render import describe, markdown, planfile


def show(chosen: Plan, fmt: str, out: TextIO, *, full_plan: str = "") -> None:
    if fmt == "json":
        planfile.write(chosen, out)
    elif fmt == "markdown":
        out.write(markdown.render(chosen, full_plan=full_plan) + "\n")
    elif chosen.empty:  # no need to load rich for a line or two
        out.write("".join(safe.line(line) + "\n" for line in describe.left_alone(chosen)))
        out.write(describe.summary_line(chosen) + "\n")
    else:
        _stream(chosen, out)


_CHUNK = 500  # lines per renderable on a terminal: bounded memory, few print calls


def _stream(chosen: Plan, out: TextIO) -> None:
    """The text plan line by line: plain writes where nothing is coloured (CI logs, files),
    styled chunks on a terminal; never one renderable of every line."""
    from rich.text import Text

    from iamsync.cli.applying import console_for
    from iamsync.render import text

    console = console_for(out)
    if console.color_system is None:
        for line, _ in text.lines(chosen):
            out.write(line)
        out.write("\n")
        return
    chunk = Text()
    for n, (line, style) in enumerate(text.lines(chosen), 1):
        chunk.append(line, style=style)
        if n % _CHUNK == 0:
            console.print(chunk, soft_wrap=True, end="")
            chunk = Text()
    console.print(chunk, soft_wrap=True)
