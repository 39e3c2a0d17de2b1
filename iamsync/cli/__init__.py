"""The command line: parse flags, dispatch to a command, map outcomes to exit codes."""

from __future__ import annotations

import argparse
import difflib
import gc
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from iamsync import __version__
from iamsync.cli.status import ExitStatus
from iamsync.core import safe
from iamsync.core.errors import IamsyncError, LocatedError

MODES = ("validate", "plan", "apply", "import", "suggest")
_MODE_HELP = {
    "validate": "Offline checks of the repository's files: schema and semantics, no AWS call.",
    "plan": "Validate, read live IAM, print the plan and its access review; writes nothing.",
    "apply": "Validate, plan from the committed files, apply the plan, print what was done.",
    "import": "Write repository files for live resources under the ownership prefix.",
    "suggest": "From a principal's CloudTrail events: what it was denied and what it never "
    "used; --write edits the files to match.",
}
# Every environment variable iamsync reads or relies on; --help and the README list them all.
ENVIRONMENT = {
    "AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
    "AWS_SESSION_TOKEN, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE": "the standard boto3 "
    "chain (profiles, SSO, environment, instance role); nothing else is read for access",
    "AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS, "
    "AWS_ENDPOINT_URL_ACCESSANALYZER, AWS_ENDPOINT_URL_CLOUDTRAIL": "another endpoint (a "
    "local server: python -m iamsync.cli.local_server)",
    "IAMSYNC_API_LOG": "a file to append one line per API call to",
    "IAMSYNC_FULL_PLAN_HINT": "where a trimmed markdown plan says the full plan is",
    "GIT_DIR": "a Git directory elsewhere: its files are listed even without a .git above",
    "GITHUB_ACTIONS, CI": "annotations on the pull request, plain progress lines",
}


# What an interrupt leaves, by mode. Apply's own interrupt (between calls) is reported by
# the apply loop with what was done; one that reaches here came before its first call.
_UNDONE = {
    "apply": "no IAM call had been made; nothing was changed",
    "import": "IAM was only read; files written so far stay (re-run --import: it never overwrites)",
}


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    # A short run that builds large trees of objects: collect cycles rarely, not every
    # 700 allocations (measured: a third off validating and reading a large account).
    gc.set_threshold(100_000, 50, 100)
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    for held in ("iamsync.aws.organizations", "iamsync.aws.session", "iamsync.pipeline.early"):
        module = sys.modules.get(held)
        if module is not None:  # what one run found (accounts, ambient clients) is that run's
            module.forget()
    args = _parse(list(sys.argv[1:] if argv is None else argv), err)
    if isinstance(args, int):
        return args
    try:
        return int(_dispatch(args, out, err))
    except IamsyncError as exc:
        if args.debug:
            traceback.print_exc(file=err)
        said = str(exc) if isinstance(exc, LocatedError) else f"iamsync: error: {exc}"
        print(safe.line(said), file=err)
        return ExitStatus.ERROR
    except KeyboardInterrupt:
        if args.debug:
            traceback.print_exc(file=err)
        print(f"iamsync: interrupted; {_UNDONE.get(args.mode, 'nothing was changed')}", file=err)
        return ExitStatus.INTERRUPTED


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    if args.mode in ("plan", "apply") and not (args.local or args.many or args.plan_file):
        # the account's read leaves now, while the rest of iamsync loads (early: why)
        from iamsync.pipeline import early

        early.start(args.repo or Path.cwd(), args.target)
    from iamsync.engine import repo

    args.repo = repo.locate(args.repo, Path.cwd(), allow_empty=args.mode == "import")
    if args.mode == "validate":  # offline: keep AWS, Git and terminal libraries unloaded
        from iamsync.cli import checking

        return checking.validate(args, out, err)
    from iamsync.cli import commands

    if args.local:
        return commands.local_loop(args, out, err)
    if args.mode in ("plan", "apply") and args.many:
        from iamsync.cli import many

        return many.plan(args, out, err) if args.mode == "plan" else many.apply(args, out, err)
    if args.mode == "plan":
        return commands.plan(args, out, err)
    if args.mode == "apply":
        return commands.apply(args, out, err)
    if args.mode == "suggest":
        from iamsync.cli import suggesting

        return suggesting.suggest(args, out, err)
    return commands.import_(args, out, err)


def _parse(argv: list[str], err: TextIO) -> argparse.Namespace | int:
    mode = next((a for a in argv if a in MODES), None)
    if mode and any(a in ("-h", "--help") for a in argv):
        _parser(mode).print_help(sys.stdout)  # iamsync MODE --help: its options only
        return ExitStatus.OK
    parser = _parser()
    unknown = _unknown_options(parser, argv)
    if unknown:
        parser.print_usage(err)
        print(f"iamsync: error: {unknown}", file=err)
        return ExitStatus.ERROR
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or --help, --version)
        return ExitStatus.OK if not exc.code else ExitStatus.ERROR
    if args.mode and args.mode_word and args.mode != args.mode_word:
        print(f"iamsync: error: both {args.mode_word} and --{args.mode} given", file=err)
        return ExitStatus.ERROR
    args.target = args.targets[0] if args.targets and len(args.targets) == 1 else None
    args.many = bool(args.all_targets) or bool(args.targets and len(args.targets) > 1)
    if args.suggest is not None:
        args.mode = "suggest"
    args.mode = args.mode or args.mode_word
    if args.mode == "suggest" and args.suggest is None:
        print("iamsync: error: suggest needs a principal: --suggest user/NAME", file=err)
        return ExitStatus.ERROR
    if args.mode is None and not args.local:
        parser.print_usage(err)
        print(
            "iamsync: error: choose one of --validate, --plan, --apply, --import, --suggest "
            "(or --local to watch the whole loop against an embedded IAM)",
            file=err,
        )
        return ExitStatus.ERROR
    misuse = _misuse(args)
    if misuse:
        print(f"iamsync: error: {misuse}", file=err)
        return ExitStatus.ERROR
    return args


def _unknown_options(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """An option iamsync does not have, said as such with the one meant (before argparse
    reads its value as the MODE). Options are never guessed from a prefix: a flag that
    allows deleting everything must be typed in full."""
    known = {s for a in parser._actions for s in a.option_strings}
    takes_value = {s for a in parser._actions if a.nargs != 0 for s in a.option_strings}
    previous = ""
    for arg in argv:
        if arg == "--":
            break
        option = arg.split("=", 1)[0]
        value_of_previous = previous in takes_value and "=" not in previous
        previous = arg
        if value_of_previous or not option.startswith("-") or option in known or option == "-":
            continue
        if option.startswith("-") and not option.startswith("--") and f"-{option}" in known:
            return f"unknown option {option}: iamsync's options take two dashes (-{option})"
        close = difflib.get_close_matches(option, sorted(known), n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"unknown option {option}{hint}"
    return None


def _misuse(args: argparse.Namespace) -> str | None:
    if args.all_targets and args.targets:
        return "--all-targets plans every target: give no --target with it"
    if args.many and args.mode not in ("validate", "plan", "apply"):
        return (
            "several targets (--all-targets, or --target more than once) go with --validate, "
            "--plan or --apply"
        )
    if args.many and args.plan_file:
        return "a saved plan is one target's: apply it with --target NAME (or none)"
    if args.many and args.out:
        return "--out saves one target's plan: give one --target"
    if args.many and args.access_analyzer:
        return "--access-analyzer checks one target's plan: give one --target"
    if args.mode == "suggest" and not args.events:
        return (
            "--suggest needs --events PATH [PATH …] (CloudTrail files or folders) or "
            "--events cloudtrail"
        )
    for flag, given in (
        ("--events", args.events),
        ("--write", args.write),
        ("--since", args.since),
    ):
        if given and args.mode != "suggest":
            return f"{flag} goes with --suggest"
    if args.since is not None and args.since < 1:
        return "--since must be at least 1 day"
    if args.out and args.mode != "plan":
        return "--out goes with --plan"
    if args.plan_file and args.mode != "apply":
        return "--plan-file goes with --apply"
    if args.detailed_exitcode and args.mode != "plan":
        return "--detailed-exitcode goes with --plan"
    if args.fail_on and args.mode != "plan":
        return "--fail-on goes with --plan"
    if args.access_analyzer and args.mode != "plan":
        return "--access-analyzer goes with --plan"
    if args.allow_delete_all and args.mode not in ("plan", "apply"):
        return "--allow-delete-all goes with --plan or --apply"
    if args.parallelism < 1:
        return "--parallelism must be at least 1"
    if args.local and args.mode not in (None,):
        return "--local runs the whole loop itself; give no other mode"
    return None


EXIT_CODES = (
    "Exit codes: 0 success; 1 any error (invalid files, AWS error, refused apply); with "
    "--plan --detailed-exitcode, 2 when there are changes; 130 when interrupted (Ctrl-C)."
)


def _parser(mode: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `mode`, the one `iamsync MODE --help` shows (its options only)."""
    parser = argparse.ArgumentParser(
        prog=f"iamsync {mode}" if mode else "iamsync",
        description=_MODE_HELP.get(mode or "", "Git as the source of truth for AWS IAM."),
        epilog=f"{EXIT_CODES} Environment: "
        + "; ".join(f"{names}: {text}" for names, text in ENVIRONMENT.items())
        + ".",
        allow_abbrev=False,
    )
    if mode is None:
        parser.add_argument(
            "mode_word",
            nargs="?",
            choices=MODES,
            metavar="MODE",
            help="validate | plan | apply | import | suggest (the same as the --MODE flags; "
            "iamsync MODE --help shows its options)",
        )
        group = parser.add_mutually_exclusive_group()
        for name, text in (
            ("validate", "offline checks: schema and semantics, no AWS call"),
            ("plan", "validate, read live IAM, print the plan"),
            ("apply", "validate, plan, apply, print what was done"),
            ("import", "write repository files for live resources"),
        ):
            group.add_argument(
                f"--{name}", dest="mode", action="store_const", const=name, help=text
            )
        group.add_argument(
            "--suggest",
            metavar="PRINCIPAL",
            help="user/NAME or role/NAME: what its CloudTrail events say it needs and never "
            "used (with --events)",
        )
        group.add_argument(
            "--local",
            action="store_true",
            help="run validate, plan, apply and plan again against an embedded local IAM (moto)",
        )

    def option(*flags: str, modes: tuple[str, ...] = MODES, **kwargs: Any) -> None:
        if mode is None or mode in modes:
            parser.add_argument(*flags, **kwargs)

    option(
        "--repo",
        type=Path,
        metavar="DIR",
        default=None,
        help="policy repository root (default: the folder at or above the current one "
        "that holds iamsync.json or a kind's folder: policies/, users/, groups/, roles/)",
    )
    option(
        "--target",
        metavar="NAME",
        action="append",
        dest="targets",
        help="target name from iamsync.json (repeat it for several at once)",
    )
    option(
        "--all-targets",
        modes=("validate", "plan", "apply"),
        action="store_true",
        help="with --validate/--plan/--apply: every target of iamsync.json, in parallel (at "
        "most --parallelism at once); one target's failure does not stop the others",
    )
    option(
        "--format",
        modes=("plan", "apply", "suggest"),
        choices=("text", "markdown", "json"),
        default="text",
        help="plan (or suggestion) output format (default: text)",
    )
    option(
        "--events",
        modes=("suggest",),
        nargs="+",
        metavar="PATH",
        help="with --suggest: CloudTrail log files (.json, .json.gz), folders of them, or "
        "saved lookup-events output; or the word cloudtrail to read LookupEvents",
    )
    option(
        "--since",
        modes=("suggest",),
        type=int,
        metavar="DAYS",
        help="with --suggest --events cloudtrail: the days of events to read (default 90)",
    )
    option(
        "--write",
        modes=("suggest",),
        action="store_true",
        help="with --suggest: edit the files only that principal uses to grant what it was "
        "denied and drop what it never used (never without its events)",
    )
    option(
        "--out",
        modes=("plan",),
        type=Path,
        metavar="FILE",
        help="with --plan: also save the plan as JSON",
    )
    option(
        "--plan-file",
        modes=("apply",),
        type=Path,
        metavar="FILE",
        help="with --apply: apply exactly this saved plan, or refuse if "
        "live IAM changed since it was made",
    )
    option(
        "--detailed-exitcode",
        modes=("plan",),
        action="store_true",
        help="with --plan: exit 0 when there are no changes, 2 when there are",
    )
    option(
        "--fail-on",
        modes=("plan",),
        choices=("high", "medium", "low"),
        metavar="LEVEL",
        help="with --plan: exit 1 when the plan introduces a risk finding at LEVEL (high, "
        "medium, low) or above; the plan is still printed in full",
    )
    option(
        "--access-analyzer",
        modes=("plan",),
        action="store_true",
        help="with --plan: also run IAM Access Analyzer's ValidatePolicy (free, online) on "
        "every document the plan writes",
    )
    option(
        "--allow-dirty",
        modes=("apply",),
        action="store_true",
        help="with --apply: allow uncommitted changes to the files iamsync reads "
        "(the kinds' folders, iamsync.json)",
    )
    option(
        "--allow-delete-all",
        modes=("plan", "apply"),
        action="store_true",
        help="with --plan/--apply: allow a plan that deletes every resource iamsync owns "
        "and creates nothing (refused otherwise: it is what an empty or wrong folder plans)",
    )
    option(
        "--parallelism",
        modes=("apply", "plan"),
        type=int,
        default=8,
        metavar="N",
        help="with --apply: at most N API calls at once; with several targets, at most N "
        "targets at once (default 8)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("-V", "--version", action="version", version=f"iamsync {__version__}")
    return parser
