"""The commands: each wires the stages (validate, read, diff, calls, apply, render) together."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from iamsync import (
    aws,
    calls,
    desired,
    fingerprint,
    gitinfo,
    live,
    local,
    plan as plan_mod,
    planfile,
    validate as validate_mod,
)
from iamsync.cli import checking
from iamsync.cli.status import ExitStatus
from iamsync.errors import IamsyncError
from iamsync.ownership import PlanConflict
from iamsync.render import describe, markdown

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


class InvalidRepository(IamsyncError):
    """Validation found errors; they have been printed and nothing was written."""


class MassDeletion(IamsyncError):
    """The plan deletes everything iamsync owns and creates nothing; not without a flag."""


def plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    computed, _ = compute_plan(args.repo, args.target, err)
    if computed.deletes_everything and not args.allow_delete_all:
        show(computed, args.format, out)
        raise _mass_deletion(computed, args.repo, "planned")
    if args.out:
        try:
            args.out.write_text(planfile.dumps(computed), encoding="utf-8")
        except OSError as exc:
            raise IamsyncError(f"cannot write the plan to {args.out}: {exc.strerror}") from exc
        print(f"iamsync: plan saved to {args.out}", file=err)
    show(computed, args.format, out, full_plan=os.environ.get("IAMSYNC_FULL_PLAN_HINT", ""))
    if args.detailed_exitcode and not computed.empty:
        return ExitStatus.CHANGES
    return ExitStatus.OK


def apply(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    if not args.allow_dirty:
        gitinfo.ensure_clean(args.repo)
    if args.plan_file:
        chosen, connection = _saved_plan(args.plan_file, args.repo, args.target)
    else:
        chosen, connection = compute_plan(args.repo, args.target, err)
    show(chosen, args.format, out)
    if chosen.deletes_everything and not args.allow_delete_all:
        raise _mass_deletion(chosen, args.repo, "applied")
    return _carry_out(chosen, connection, gitinfo.commit(args.repo), err, args.parallelism)


def _mass_deletion(chosen: plan_mod.Plan, root: Path, what: str) -> MassDeletion:
    return MassDeletion(
        f"refused: this plan deletes all {chosen.count(plan_mod.Action.DELETE)} resources "
        f"under {chosen.path_prefix} and creates nothing, which is what reading the wrong "
        f"folder looks like (the repository read was {root.resolve()}). Nothing was "
        f"{what}. If deleting everything is what you want, pass --allow-delete-all"
    )


def import_(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """Write files for owned live resources that the repository lacks; never overwrite."""
    from iamsync import adopt, repo

    config = validate_mod.read_config(args.repo)
    connection = aws.connect(config.target(args.target))
    ident = connection.identity
    with aws.reading("live IAM"):
        state = live.read(connection.iam, ident.account_id, ident.partition)
    present = repo.load(args.repo)
    written = adopt.files(state, config.path_prefix, present.policies, present.users)
    for item in written:
        path = args.repo / item.path
        if path.exists():  # a file that does not parse: the user's to fix, never overwritten
            print(f"left {item.path} alone: it exists but could not be read", file=err)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item.text, encoding="utf-8")
        print(f"wrote {item.path}", file=out)
    others = adopt.unowned(state, config.path_prefix)
    print(
        f"imported {len(written)} resource(s) under {config.path_prefix}; "
        f"{len(others)} customer-managed policies and users outside it were left alone "
        "(to manage a user, move it: aws iam update-user --user-name NAME --new-path "
        f"{config.path_prefix}; a policy's path cannot change)",
        file=err,
    )
    return ExitStatus.OK


def local_loop(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """validate -> plan -> apply -> plan, against an embedded moto IAM."""
    console = _console(out)
    step = _step_label()
    with local.endpoint() as url:
        console.print(f"[bold]iamsync local mode[/]: an embedded IAM (moto) at {url}\n")
        console.print(f"[bold]1. validate[/]  {step('validate')}")
        result = validate_mod.check(args.repo, target=args.target)
        checking.report(result, out, out)
        if not result.ok:
            return ExitStatus.ERROR
        console.print(f"\n[bold]2. plan[/]  {step('plan')}")
        first, connection = compute_plan(args.repo, args.target, err)
        show(first, "text", out)
        console.print(f"\n[bold]3. apply[/]  {step('apply')}")
        status = _carry_out(first, connection, gitinfo.commit(args.repo), out)
        if status is not ExitStatus.OK:
            return status
        console.print(f"\n[bold]4. plan again[/]  {step('plan')}")
        second, _ = compute_plan(args.repo, args.target, err)
        show(second, "text", out)
        if not second.empty:
            raise IamsyncError("the second plan is not empty: apply did not converge")
    console.print("\nThe loop works: Git and IAM agree. The local IAM is gone with this process.")
    return ExitStatus.OK


def _step_label() -> Callable[[str], str]:
    """How the user runs each step: "python sync.py --plan" or "iamsync plan"."""
    if Path(sys.argv[0]).name == "sync.py":
        return lambda mode: f"python sync.py --{mode}"
    return lambda mode: f"iamsync {mode}"


def compute_plan(
    root: Path, target_name: str | None, err: TextIO
) -> tuple[plan_mod.Plan, aws.Connection]:
    """Validate with the account's real values, read live IAM, diff. Writes nothing."""
    config = validate_mod.read_config(root)
    connection = aws.connect(config.target(target_name))
    ident = connection.identity
    builtins = {"AccountId": ident.account_id, "Partition": ident.partition}
    if connection.region:
        builtins["Region"] = connection.region
    with ThreadPoolExecutor(max_workers=1) as pool:
        # IAM reads while the repository validates: the slow parts overlap.
        reading = pool.submit(live.read, connection.iam, ident.account_id, ident.partition)
        result = validate_mod.check(root, target=target_name, builtins=builtins)
        checking.report(result, err, err, quiet_ok=True)
        if not result.ok:
            reading.cancel()
            raise InvalidRepository("the repository has errors; nothing was planned or written")
        with aws.reading("live IAM"):
            state = reading.result()
    gc.freeze()  # the live state stays to the end: keep the collector from re-scanning it
    wanted = desired.build(
        result.policies,
        result.users,
        account_id=ident.account_id,
        partition=ident.partition,
        path_prefix=result.config.path_prefix,
    )
    with aws.reading("the credentials of users to delete"):
        credentials = {
            name: live.read_credentials(connection.iam, name)
            for name in plan_mod.doomed_users(wanted, state)
        }
    try:
        computed = plan_mod.diff(wanted, state, credentials)
        with aws.reading("the policies to attach"):
            live.check_policies_exist(connection.iam, computed, state)
    except PlanConflict as exc:
        refusals = sorted(result.locate(c) for c in exc.conflicts)
        checking.show_problems(refusals, err)
        raise InvalidRepository(
            f"the plan was refused ({len(refusals)} problem"
            f"{'s' if len(refusals) > 1 else ''} with live IAM above); nothing was written"
        ) from exc
    return computed, connection


def show(chosen: plan_mod.Plan, fmt: str, out: TextIO, *, full_plan: str = "") -> None:
    if fmt == "json":
        out.write(planfile.dumps(chosen))
    elif fmt == "markdown":
        out.write(markdown.render(chosen, full_plan=full_plan) + "\n")
    elif chosen.empty:
        out.write(describe.summary_line(chosen) + "\n")  # no need to load rich for one line
    else:
        from iamsync.render import text

        _console(out).print(text.render(chosen), soft_wrap=True)


def _saved_plan(
    path: Path, root: Path, target_name: str | None
) -> tuple[plan_mod.Plan, aws.Connection]:
    try:
        saved = planfile.loads(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise IamsyncError(f"cannot read the plan file: {exc}") from exc
    config = validate_mod.read_config(root)
    connection = aws.connect(config.target(target_name))
    if connection.identity.account_id != saved.account_id:
        raise IamsyncError(
            f"{path} was made for account {saved.account_id}, but the credentials belong to "
            f"account {connection.identity.account_id}; nothing was written"
        )
    with aws.reading("live IAM"):
        state = live.read(connection.iam, saved.account_id, saved.partition)
    names = {c.name for c in saved.changes}
    if fingerprint.of(state, saved.path_prefix, names) != saved.fingerprint:
        raise IamsyncError(
            f"live IAM changed since {path} was made, so it is not the plan that was "
            "reviewed; nothing was written. Make a new plan (--plan --out) and review it"
        )
    return saved, connection


def _carry_out(
    chosen: plan_mod.Plan,
    connection: aws.Connection,
    commit: str,
    log: TextIO,
    parallelism: int = 8,
) -> ExitStatus:
    if chosen.empty:
        return ExitStatus.OK
    from iamsync import apply as apply_mod

    stages = calls.to_calls(chosen, commit)
    every = calls.flat(stages)
    total = len(every)
    console = _console(log)
    console.print(f"Applying {total} calls (commit {commit[:12]})...")
    try:
        with _progress(console, total) as tick:
            apply_mod.run(stages, connection.iam, on_call=tick, workers=parallelism)
    except apply_mod.ApplyFailed as exc:
        console.print(
            f"[bold red]Apply failed[/] at {exc.failed.describe()}: {exc.reason}", soft_wrap=True
        )
        _report_partial(console, every, exc.done, failed=exc.failed)
        console.print("Fix the cause and re-run --apply: it re-plans from live IAM and converges.")
        return ExitStatus.ERROR
    except apply_mod.ApplyInterrupted as exc:
        console.print(
            "[bold red]Apply interrupted[/]: the calls in flight finished; no new one was started."
        )
        _report_partial(console, every, exc.done)
        console.print("Re-run --apply to finish: it re-plans from live IAM and converges.")
        return ExitStatus.INTERRUPTED
    console.print(
        f"[bold green]Apply complete[/]: {total} calls. "
        + describe.summary_line(chosen).removeprefix("Plan: ")
    )
    return ExitStatus.OK


_LISTED = 50  # calls listed per section of a partial-apply report; the rest are counted


def _report_partial(
    console: Console,
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
        console.print(heading, soft_wrap=True)
        if failed is not None and items is left:
            console.print(f"  {failed.describe()}  (failed)", soft_wrap=True, markup=False)
        for call in items[:_LISTED]:
            console.print(f"  {call.describe()}", soft_wrap=True, markup=False)
        if len(items) > _LISTED:
            console.print(f"  … and {len(items) - _LISTED} more", soft_wrap=True)


def _console(stream: TextIO) -> Console:
    from rich.console import Console

    return Console(file=stream, highlight=False)


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
                stream.write(f"  done: {call.describe()}\n")

        return line

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
