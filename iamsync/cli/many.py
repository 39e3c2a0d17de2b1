"""--all-targets, or --target given more than once: validate or plan every target."""

from __future__ import annotations

import argparse
import json
import os
from typing import TextIO

from iamsync.cli import checking
from iamsync.cli.showing import show
from iamsync.cli.status import ExitStatus
from iamsync.core import safe
from iamsync.core.errors import ConfigError
from iamsync.engine import repo, validate as validate_mod
from iamsync.files import tree as tree_mod
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
    chosen = names(args, files)
    collected = targets.Collected()
    results = targets.plan_all(
        args.repo,
        chosen,
        files,
        tree_mod.committed(files, repo.scope()),
        args.parallelism,
        collected,
    )
    checking.show_problems(sorted(set(collected.problems)), err)
    refused = []
    for i, r in enumerate(results):
        if r.plan is not None and r.plan.deletes_everything and not args.allow_delete_all:
            refused.append(r.name)
            results[i] = targets.TargetPlan(
                r.name,
                r.account_id,
                None,
                "the plan deletes everything iamsync owns there and creates nothing (what a "
                "wrong folder plans): refused; pass --allow-delete-all if it is meant",
            )
    if args.format == "json":
        print(json.dumps(render.to_json(results), indent=2), file=out)
    elif args.format == "markdown":
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
    status = ExitStatus.OK
    for r in results:
        if r.plan is None:
            print(safe.line(f"iamsync: error: target {r.name}: {r.error}"), file=err)
            status = ExitStatus.ERROR
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
