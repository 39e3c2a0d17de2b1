"""Carry out a plan: the calls, progress, and what was done when a call fails or Ctrl-C."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from iamsync.aws import session as aws
from iamsync.cli.status import ExitStatus
from iamsync.core import safe
from iamsync.engine import calls
from iamsync.engine.plan import Plan
from iamsync.render import describe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

_LISTED = 50  # calls listed per section of a partial-apply report; the rest are counted


def carry_out(
    chosen: Plan,
    connection: aws.Connection,
    commit: str,
    log: TextIO,
    parallelism: int = 8,
    stop: threading.Event | None = None,
) -> ExitStatus:
    if chosen.empty:
        return ExitStatus.OK
    from iamsync.aws import runner as apply_mod

    stages = calls.to_calls(chosen, commit)
    every = calls.flat(stages)
    total = len(every)
    console = console_for(log)
    say = _sayer(console)
    say(f"Applying {_calls(total)} (commit {commit[:12]})...")
    try:
        with _progress(console, total) as tick:
            apply_mod.run(stages, connection.client, on_call=tick, workers=parallelism, stop=stop)
    except apply_mod.ApplyFailed as exc:
        say(f"Apply failed at {exc.failed.describe()}: {exc.reason}", "bold red")
        _report_partial(say, every, exc.done, failed=exc.failed)
        say("Fix the cause and re-run --apply: it re-plans from live IAM and converges.")
        return ExitStatus.ERROR
    except apply_mod.ApplyInterrupted as exc:
        say("Apply interrupted: the calls in flight finished; no new one was started.", "bold red")
        _report_partial(say, every, exc.done)
        say("Re-run --apply to finish: it re-plans from live IAM and converges.")
        return ExitStatus.INTERRUPTED
    say(
        f"Apply complete: {_calls(total)}. " + describe.done_line(chosen),
        "bold green",
    )
    return ExitStatus.OK


def _calls(n: int) -> str:
    return f"{n} call" if n == 1 else f"{n} calls"


def console_for(stream: TextIO) -> Console:
    from rich.console import Console

    return Console(file=stream, highlight=False)


def _sayer(console: Console) -> Callable[..., None]:
    """Print one line as plain text (no markup: it may hold names from files or IAM)."""
    from rich.text import Text

    def say(line: str, style: str = "") -> None:
        console.print(Text(safe.line(line, limit=10_000), style=style), soft_wrap=True)

    return say


def _report_partial(
    say: Callable[..., None],
    every: list[calls.Call],
    done: list[calls.Call],
    failed: calls.Call | None = None,
) -> None:
    """What was done and what was not, after a failure or an interrupt."""
    finished = set(map(id, done))
    left = [c for c in every if id(c) not in finished and c is not failed]
    for heading, items in (
        (f"Done ({len(done)} of {len(every)} calls):", done),
        (f"Not done ({len(left) + (failed is not None)} calls):", left),
    ):
        say(heading)
        if failed is not None and items is left:
            say(f"  {failed.describe()}  (failed)")
        for call in items[:_LISTED]:
            say(f"  {call.describe()}")
        if len(items) > _LISTED:
            say(f"  … and {len(items) - _LISTED} more")


class _progress:
    """A progress bar on a terminal; one line per call elsewhere (CI logs)."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self._bar: Progress | None = None

    def __enter__(self) -> Callable[[calls.Call], None]:
        if self.console.is_terminal:
            from rich.progress import Progress

            bar = Progress(console=self.console, transient=True)
            bar.start()
            task = bar.add_task("applying", total=self.total)
            self._bar = bar
            return lambda call: bar.advance(task)
        stream = self.console.file
        lock = threading.Lock()

        def line(call: calls.Call) -> None:
            with lock:
                stream.write(f"  done: {safe.line(call.describe(), limit=10_000)}\n")

        return line

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
