"""A log as markdown for a job summary or a PR comment: the tail, fenced so it stays text.

    python -m iamsync.render.report "iamsync plan failed" plan.err

The log holds text from files and live IAM; a plain ``` fence around it could be closed
by a line of backticks in that text. The fence here is longer than any run inside.
"""

from __future__ import annotations

import sys
from pathlib import Path

from iamsync.core import safe

TAIL = 20_000  # characters of the log kept: a job summary or a comment stays small


def render(title: str, log: str) -> str:
    tail = log[-TAIL:]
    body = "\n".join(safe.visible(line) for line in tail.split("\n"))
    fence = safe.fence_for(body)
    cut = "(the start is cut: see the job log)\n\n" if len(log) > TAIL else ""
    return f"### {safe.visible(title)}\n\n{cut}{fence}\n{body}\n{fence}\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m iamsync.render.report TITLE LOGFILE", file=sys.stderr)
        return 1
    path = Path(argv[1])
    log = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else "(no log)"
    sys.stdout.write(render(argv[0], log))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
