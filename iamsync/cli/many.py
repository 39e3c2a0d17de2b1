"""--all-targets, or --target given more than once: plan or apply every target."""

from __future__ import annotations

import argparse
import io
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TextIO

from iamsync.cli import checking
from iamsync.cli.applying import carry_out
from iamsync.cli.showing import show
from iamsync.cli.status import ExitStatus
from iamsync.core import safe
from iamsync.core.errors import ConfigError
from iamsync.engine import repo, validate as validate_mod
from iamsync.files import git, tree as tree_mod
from iamsync.pipeline import targets
from iamsync.render import access as render_access, targets as render


def names(args: argparse.Namespace, files: tree_mod.Tree) -> list[str]:
    from iamsync.aws import organizations

    config = organizations.with_discovered(validate_mod.read_config(args.repo, files))
    chosen = sorted(config.targets) if args.all_targets else list(dict.fromkeys(args.targets))
    for name in chosen:
        config.target(name)  # an unknown name: one clear error before any account is read
    if not chosen:
        raise ConfigError(NO_TARGETS)
    return chosen


NO_TARGETS = (
    "iamsync.json defines no targets (and finds none in organizations): --all-targets has "
    "nothing to plan; leave it out to use the ambient account"
)


def plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    files = tree_mod.working(args.repo, repo.scope())
    results = _planned(args, files, files, tree_mod.committed(files, repo.scope()), err)
    _show(results, args.format, out)
    status = _failures(results, err)
    if args.fail_on:
        for r in results:
            for f in r.plan.review.new_at_or_above(args.fail_on) if r.plan else ():
                print(
                    safe.line(f"iamsync: error: target {r.name}: {render_access.finding(f)}"),
                    file=err,
                )
                status = ExitStatus.ERROR
    changed = any(r.plan is not None and not r.plan.empty for r in results)
    if status is ExitStatus.OK and args.detailed_exitcode and changed:
        return ExitStatus.CHANGES
    return status


def apply(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """Every target's plan of the committed files (HEAD; the working files with
    --allow-dirty), shown first, then carried out in parallel under --parallelism: each
    target's calls in its own account; one that fails (or could not be planned) stops only
    itself. Ctrl-C: no target starts a new call; each says what it did."""
    files = tree_mod.working(args.repo, repo.scope())
    tree: tree_mod.Tree = files
    commit = ""
    if not args.allow_dirty:
        head_tree = tree_mod.clean_head(files, repo.scope())
        tree, commit = head_tree, head_tree.commit
    results = _planned(args, files, tree, commit, err)
    _show(results, args.format, out)
    status = _failures(results, err)
    ready = [r for r in results if r.plan is not None and r.connection is not None]
    stop = threading.Event()
    lock = threading.Lock()
    head = commit or git.head(args.repo)

    def one(r: targets.TargetPlan) -> ExitStatus:
        assert r.plan is not None and r.connection is not None
        log = io.StringIO()  # one target's lines together, not interleaved with others'
        done = carry_out(r.plan, r.connection, head, log, args.parallelism, stop)
        with lock:
            err.write(f"{safe.line(render.header(r))}\n{log.getvalue()}")
            err.flush()
        return done

    pool = ThreadPoolExecutor(max_workers=max(1, min(args.parallelism, len(ready) or 1)))
    futures = [pool.submit(one, r) for r in ready]
    try:
        outcomes = [f.result() for f in futures]
    except KeyboardInterrupt:
        stop.set()  # each target finishes its calls in flight and says what it did
        pool.shutdown(wait=True, cancel_futures=True)
        outcomes = [
            f.result() if f.done() and not f.cancelled() else ExitStatus.INTERRUPTED
            for f in futures
        ]
    else:
        pool.shutdown(wait=True)
    failed = [r.name for r, o in zip(ready, outcomes, strict=True) if o is ExitStatus.ERROR]
    stopped = [r.name for r, o in zip(ready, outcomes, strict=True) if o is ExitStatus.INTERRUPTED]
    for name in failed:
        print(safe.line(f"iamsync: error: target {name}: the apply failed (above)"), file=err)
    print(
        f"Applied {len(ready) - len(failed) - len(stopped)} of {len(results)} targets"
        f" ({len(results) - len(ready) + len(failed)} failed, {len(stopped)} interrupted).",
        file=err,
    )
    if stopped:
        return ExitStatus.INTERRUPTED
    return ExitStatus.ERROR if failed or status is ExitStatus.ERROR else ExitStatus.OK


def _planned(
    args: argparse.Namespace, files: tree_mod.Tree, tree: tree_mod.Tree, commit: str, err: TextIO
) -> list[targets.TargetPlan]:
    """Each chosen target's plan (or why not); a plan that deletes everything is refused
    for that target unless --allow-delete-all."""
    chosen = names(args, files)
    collected = targets.Collected()
    results = targets.plan_all(args.repo, chosen, tree, commit, args.parallelism, collected)
    checking.show_problems(sorted(set(collected.problems)), err)
    for i, r in enumerate(results):
        if r.plan is not None and r.plan.deletes_everything and not args.allow_delete_all:
            results[i] = targets.TargetPlan(
                r.name,
                r.account_id,
                None,
                "the plan deletes everything iamsync owns there and creates nothing (what a "
                "wrong folder plans): refused; pass --allow-delete-all if it is meant",
            )
    return results


def _show(results: list[targets.TargetPlan], form: str, out: TextIO) -> None:
    if form == "json":
        print(json.dumps(render.to_json(results), indent=2), file=out)
    elif form == "markdown":
        hint = os.environ.get("IAMSYNC_FULL_PLAN_HINT", "")
        out.write(render.markdown_comment(results, full_plan=hint) + "\n")
    else:
        for r in results:
            print(safe.line(render.header(r)), file=out)
            if r.plan is not None:
                show(r.plan, "text", out)
            else:
                print(safe.line(f"error: {r.error}"), file=out)
            print(file=out)
        print(render.summary(results), file=out)


def _failures(results: list[targets.TargetPlan], err: TextIO) -> ExitStatus:
    status = ExitStatus.OK
    for r in results:
        if r.plan is None:
            print(safe.line(f"iamsync: error: target {r.name}: {r.error}"), file=err)
            status = ExitStatus.ERROR
    return status
