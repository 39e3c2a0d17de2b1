"""The command line: parse flags, wire the stages together, map outcomes to exit codes."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import TextIO

from iamsync import __version__, problems, validate
from iamsync.errors import IamsyncError

MODES = ("validate", "plan", "apply", "import")


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    CHANGES = 2  # --plan --detailed-exitcode: live IAM differs from Git


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = _parse(list(sys.argv[1:] if argv is None else argv), err)
    if isinstance(args, int):
        return args
    try:
        return int(_run(args, out, err))
    except IamsyncError as exc:
        if args.debug:
            traceback.print_exc(file=err)
        print(f"iamsync: error: {exc}", file=err)
        return ExitStatus.ERROR
    except KeyboardInterrupt:
        print("iamsync: interrupted", file=err)
        return ExitStatus.ERROR


def _parse(argv: list[str], err: TextIO) -> argparse.Namespace | int:
    parser = argparse.ArgumentParser(
        prog="iamsync", description="Git as the source of truth for AWS IAM.")
    parser.add_argument("mode_word", nargs="?", choices=MODES, metavar="MODE",
                        help="validate | plan | apply | import (same as the --MODE flags)")
    group = parser.add_mutually_exclusive_group()
    for mode, text in (("validate", "offline checks: schema and semantics, no AWS call"),
                       ("plan", "validate, read live IAM, print the plan"),
                       ("apply", "validate, plan, apply, print what was done"),
                       ("import", "write repository files for live resources")):
        group.add_argument(f"--{mode}", dest="mode", action="store_const", const=mode,
                           help=text)
    parser.add_argument("--repo", type=Path, default=Path(),
                        help="policy repository root (default: current directory)")
    parser.add_argument("--target", help="target name from iamsync.json")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                        help="plan output format")
    parser.add_argument("--out", type=Path, help="with --plan: save the plan as JSON")
    parser.add_argument("--plan-file", type=Path,
                        help="with --apply: apply exactly this saved plan")
    parser.add_argument("--detailed-exitcode", action="store_true",
                        help="with --plan: exit 2 when there are changes, 0 when none")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"iamsync {__version__}")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.mode and args.mode_word and args.mode != args.mode_word:
        print(f"iamsync: error: both {args.mode_word} and --{args.mode} given", file=err)
        return ExitStatus.ERROR
    args.mode = args.mode or args.mode_word
    if args.mode is None:
        parser.print_usage(err)
        print("iamsync: error: choose one of --validate, --plan, --apply, --import", file=err)
        return ExitStatus.ERROR
    return args


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    if args.mode == "validate":
        return _validate(args, out, err)
    raise IamsyncError(f"--{args.mode} is not available in this version yet")


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    result = validate.check(args.repo, target=args.target)
    report(result, out, err)
    return ExitStatus.OK if result.ok else ExitStatus.ERROR


def report(result: validate.Result, out: TextIO, err: TextIO) -> None:
    """Print every problem, GitHub annotations under Actions, and the summary line."""
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    for p in result.problems:
        print(p.format(), file=out)
        if github:
            print(p.annotation(), file=out)
    if os.environ.get("CI") or github:
        _warn_catalog_age(result, out, github)
    print(problems.summary(result.problems, result.files), file=err)


def _warn_catalog_age(result: validate.Result, out: TextIO, github: bool) -> None:
    from iamsync.catalog import Catalog

    warning = validate.catalog_age_warning(Catalog(), datetime.now(),
                                           result.config.catalog_max_age_days)
    if warning:
        print(f"iamsync: warning: {warning}", file=out)
        if github:
            print(f"::warning title=IAM catalog is stale::{warning}", file=out)
