"""The commands: each wires the stages (validate, read, diff, calls, apply, render) together."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from iamsync.aws import live, local, session as aws
from iamsync.cli import checking
from iamsync.cli.applying import carry_out, console_for
from iamsync.cli.showing import show
from iamsync.cli.status import ExitStatus
from iamsync.core import safe
from iamsync.core.errors import IamsyncError
from iamsync.engine import plan as plan_mod, repo, validate as validate_mod
from iamsync.files import git, template, tree as tree_mod
from iamsync.kinds.base import Need
from iamsync.pipeline import saved
from iamsync.pipeline.plan import compute_plan
from iamsync.render import access as render_access, planfile


class MassDeletion(IamsyncError):
    """The plan deletes everything iamsync owns and creates nothing; not without a flag."""


def plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """Plan what Git would commit now (your edits included); read-only."""
    files = tree_mod.working(args.repo, repo.scope())
    with ThreadPoolExecutor(max_workers=1) as pool:
        # whether the files are HEAD's (their blobs compared) is known by the plan's end
        committed = pool.submit(tree_mod.committed, files, repo.scope())
        computed, connection = compute_plan(
            args.repo, args.target, checking.Reporter(err), files, committed.result
        )
    if args.access_analyzer:
        computed = _with_analyzer(computed, connection, err)
    if computed.deletes_everything and not args.allow_delete_all:
        show(computed, args.format, out)
        raise _mass_deletion(computed, args.repo, "saved or applied")
    if args.out:
        try:
            with args.out.open("w", encoding="utf-8") as saved_to:
                planfile.write(computed, saved_to)
        except OSError as exc:
            raise IamsyncError(f"cannot write the plan to {args.out}: {exc.strerror}") from exc
        note = "" if computed.commit else " (from uncommitted files: it cannot be applied)"
        print(f"iamsync: plan saved to {args.out}{note}", file=err)
    show(computed, args.format, out, full_plan=os.environ.get("IAMSYNC_FULL_PLAN_HINT", ""))
    if args.fail_on:
        blocking = computed.review.new_at_or_above(args.fail_on)
        if blocking:
            for f in blocking:
                print(safe.line(f"iamsync: error: {render_access.finding(f)}"), file=err)
            print(
                f"iamsync: error: the plan introduces {len(blocking)} finding"
                f"{'s' if len(blocking) > 1 else ''} at {args.fail_on} or above (--fail-on "
                f"{args.fail_on})",
                file=err,
            )
            return ExitStatus.ERROR
    if args.detailed_exitcode and not computed.empty:
        return ExitStatus.CHANGES
    return ExitStatus.OK


def _with_analyzer(
    computed: plan_mod.Plan, connection: aws.Connection, err: TextIO
) -> plan_mod.Plan:
    """The plan with IAM Access Analyzer's findings, or as it was (said) when unavailable."""
    from iamsync.aws import analyzer

    try:
        found = analyzer.validate(connection.analyzer(), computed)
    except IamsyncError as exc:
        print(safe.line(f"iamsync: warning: {exc}; the plan goes on without it"), file=err)
        return computed
    return replace(computed, review=replace(computed.review, analyzer=found))


def apply(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """Apply the committed files (HEAD), or exactly a saved plan of a commit of HEAD's history."""
    if args.plan_file:
        chosen, connection = saved.verify(
            args.plan_file, args.repo, args.target, checking.Reporter(err)
        )
    elif args.allow_dirty:
        chosen, connection = compute_plan(
            args.repo,
            args.target,
            checking.Reporter(err),
            tree_mod.working(args.repo, repo.scope()),
            "",
        )
    else:
        head = tree_mod.clean_head(tree_mod.working(args.repo, repo.scope()), repo.scope())
        chosen, connection = compute_plan(
            args.repo, args.target, checking.Reporter(err), head, head.commit
        )
    show(chosen, args.format, out)
    if chosen.deletes_everything and not args.allow_delete_all:
        raise _mass_deletion(chosen, args.repo, "applied")
    commit = chosen.commit or git.head(args.repo)
    return carry_out(chosen, connection, commit, err, args.parallelism)


def _mass_deletion(chosen: plan_mod.Plan, root: Path, what: str) -> MassDeletion:
    return MassDeletion(
        f"refused: this plan deletes all {chosen.count(plan_mod.Action.DELETE)} resources "
        f"under {chosen.path_prefix} and creates nothing, which is what reading the wrong "
        f"folder looks like (the repository read was {root.resolve()}). Nothing was "
        f"{what}. If deleting everything is what you want, pass --allow-delete-all"
    )


def import_(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """Write files for owned live resources that the repository lacks; never overwrite."""
    from iamsync.aws import organizations
    from iamsync.engine import adopt, repo

    files = tree_mod.working(args.repo, repo.scope())
    config = organizations.with_discovered(validate_mod.read_config(args.repo, files))
    config = config.for_target(config.target(args.target))
    connection = aws.connect(config.target(args.target))
    ident = connection.identity
    with aws.reading("live IAM"):
        state = live.read(connection.iam, ident.account_id, ident.partition, connection.client)
        present = repo.load(args.repo, files, args.target)
        need = Need(config.path_prefix, present=present.by_kind)
        state = live.complete(state, need, connection.client)
    required = None
    if config.permissions_boundary:
        values = {"AccountId": ident.account_id, "Partition": ident.partition}
        required = str(template.render(config.permissions_boundary, values)[0])
    written = adopt.files(state, config.path_prefix, present.by_kind, required)
    # With --target, what only that account has is that target's own: targets/NAME/.
    own = f"{repo.TARGETS}/{args.target}/" if args.target in config.targets else ""
    for item in written:
        path = args.repo / (own + item.path)
        if os.path.lexists(path):  # a file that does not parse: the user's to fix
            print(f"left {own}{item.path} alone: it exists but could not be read", file=err)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item.text, encoding="utf-8")
        print(f"wrote {own}{item.path}", file=out)
        for note in item.unkept:
            print(safe.line(f"iamsync: warning: {note}"), file=err)
    others = adopt.unowned(state, config.path_prefix)
    print(
        f"imported {len(written)} resource(s) under {config.path_prefix}; "
        f"{len(others)} policies, users, groups and roles outside it were left alone "
        "(to manage a user, move it: aws iam update-user --user-name NAME --new-path "
        f"{config.path_prefix}; a policy's path cannot change)",
        file=err,
    )
    return ExitStatus.OK


def local_loop(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """validate -> plan -> apply -> plan, against an embedded moto IAM."""
    console = console_for(out)
    step = _step_label()
    files = tree_mod.working(args.repo, repo.scope())
    with local.endpoint() as url:
        console.print(f"[bold]iamsync local mode[/]: an embedded IAM (moto) at {url}\n")
        console.print(f"[bold]1. validate[/]  {step('validate')}")
        result = validate_mod.check(args.repo, target=args.target, tree=files)
        checking.report(result, out, out)
        if not result.ok:
            return ExitStatus.ERROR
        if result.required_boundary:
            _provide_boundary(args, console)
        console.print(f"\n[bold]2. plan[/]  {step('plan')}")
        first, connection = compute_plan(args.repo, args.target, checking.Reporter(err), files, "")
        show(first, "text", out)
        console.print(f"\n[bold]3. apply[/]  {step('apply')}")
        status = carry_out(first, connection, git.head(args.repo), out)
        if status is not ExitStatus.OK:
            return status
        console.print(f"\n[bold]4. plan again[/]  {step('plan')}")
        second, _ = compute_plan(args.repo, args.target, checking.Reporter(err), files, "")
        show(second, "text", out)
        if not second.empty:
            raise IamsyncError("the second plan is not empty: apply did not converge")
    console.print("\nThe loop works: Git and IAM agree. The local IAM is gone with this process.")
    return ExitStatus.OK


def _provide_boundary(args: argparse.Namespace, console: Any) -> None:
    """What the bootstrap stack sets up on AWS: the boundary policy outside iamsync's path."""
    from iamsync.cli.local_server import provide_required_boundary

    arn = provide_required_boundary(args.repo, args.target)
    console.print(f"  (set up like the bootstrap stack: the permissions boundary {arn})")


def _step_label() -> Callable[[str], str]:
    """How the user runs each step: "python sync.py --plan" or "iamsync plan"."""
    if Path(sys.argv[0]).name == "sync.py":
        return lambda mode: f"python sync.py --{mode}"
    return lambda mode: f"iamsync {mode}"
