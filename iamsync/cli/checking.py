"""The validate command and problem reporting: no AWS libraries are loaded for these."""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from typing import TextIO

from iamsync.cli.status import ExitStatus
from iamsync.core import problems, safe
from iamsync.engine import repo, validate as validate_mod


def validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    """What Git would commit now: tracked and new files, never ignored ones."""
    from iamsync.files import tree

    files = tree.working(args.repo, repo.scope())
    if getattr(args, "many", False):  # --all-targets or a repeated --target: each of them
        config = validate_mod.read_config(args.repo, files)
        chosen = sorted(config.targets) if args.all_targets else list(dict.fromkeys(args.targets))
        if not chosen:
            from iamsync.core.errors import ConfigError

            raise ConfigError(
                "iamsync.json defines no targets: --all-targets has nothing to validate; "
                "leave it out"
            )
        results = [validate_mod.check(args.repo, target=n, tree=files) for n in chosen]
        merged = results[0]
        for other in results[1:]:
            merged = _merged(merged, other)
        report(merged, out, err)
        return ExitStatus.OK if merged.ok else ExitStatus.ERROR
    result = validate_mod.check(args.repo, target=args.target, tree=files)
    if args.target is None:  # every target's own files too, each with the shared ones
        for name in repo.target_folders(files):
            if name in result.config.targets and name != result.config.default_target:
                result = _merged(result, validate_mod.check(args.repo, target=name, tree=files))
    report(result, out, err)
    return ExitStatus.OK if result.ok else ExitStatus.ERROR


def _merged(a: validate_mod.Result, b: validate_mod.Result) -> validate_mod.Result:
    """Two targets' validations as one: each problem once, each file counted once."""
    from dataclasses import replace

    shared = {p for p in a.problems}
    files = a.files + sum(1 for s in b.sources.values() if s.path.startswith(repo.TARGETS + "/"))
    return replace(a, problems=sorted(shared | set(b.problems)), files=files)


class Reporter:
    """A plan's problems, printed as `validate` prints them (to the error stream)."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.live = err.isatty()  # a terminal: one line, rewritten; CI: a plain line each
        self.plain = not self.live and os.environ.get("GITHUB_ACTIONS") == "true"

    def step(self, doing: str) -> None:
        if self.live:
            self.err.write("\r\x1b[2K" + (f"iamsync: {doing}…" if doing else ""))
            self.err.flush()
        elif self.plain and doing:
            print(f"iamsync: {doing}", file=self.err)

    def validation(self, result: validate_mod.Result) -> None:
        self.step("")
        report(result, self.err, self.err, quiet_ok=True)

    def refusals(self, found: list[problems.Problem]) -> None:
        self.step("")
        show_problems(found, self.err)


def show_problems(found: list[problems.Problem], out: TextIO) -> bool:
    """Each problem as its contract line (and an annotation under GitHub Actions)."""
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    for p in found:
        print(p.format(), file=out)
        if github:
            print(p.annotation(), file=out)
    return github


def report(
    result: validate_mod.Result, out: TextIO, err: TextIO, *, quiet_ok: bool = False
) -> None:
    """Every problem, GitHub annotations under Actions, and the summary line."""
    github = show_problems(result.problems, out)
    if os.environ.get("CI") or github:
        warning = validate_mod.catalog_age_warning(
            validate_mod.default_catalog(), datetime.now(), result.config.catalog_max_age_days
        )
        if warning:
            print(f"iamsync: warning: {warning}", file=out)
            if github:
                command = safe.workflow_command(
                    "warning", {"title": "IAM catalog is stale"}, warning
                )
                print(command, file=out)
    for note in result.notes:
        print(f"iamsync: note: {note}", file=err)
    if result.problems or not quiet_ok:
        print(problems.summary(result.problems, result.files), file=err)
