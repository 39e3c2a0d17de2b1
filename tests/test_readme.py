"""The README says what `--help` says: the same commands, options, exit codes and variables.

Users read one and run the other; a flag documented but gone, or added but undocumented,
is a trap either way. These tests read both and compare them, in both directions.
"""

from __future__ import annotations

import argparse
import re

from iamsync import cli, kinds
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _table(first_header: str) -> dict[str, str]:
    """The rows of the README's table whose first header cell is `first_header`."""
    lines = README.splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"| {first_header} |")))
    rows: dict[str, str] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows[cells[0]] = cells[1]
    return rows


def _actions() -> list[argparse.Action]:
    return list(cli._parser()._actions)


def _readme_options() -> dict[str, tuple[set[str], str]]:
    """Each option row: its flags, and what follows them (the metavar or the choices)."""
    found = {}
    for cell, meaning in _table("option").items():
        words = [w.strip("`") for w in re.findall(r"`[^`]+`", cell)]
        flags = {w.split()[0] for w in words}
        argument = next((w.split(maxsplit=1)[1] for w in words if " " in w), "")
        found[sorted(flags)[-1]] = (flags, argument.replace("\\|", "|") + " " + meaning)
    return found


def test_every_option_of_help_is_in_the_readme_and_nothing_else_is() -> None:
    readme = _readme_options()
    listed = {flag for flags, _ in readme.values() for flag in flags}
    modes = cli._parser()._mutually_exclusive_groups[0]._group_actions
    helped = set()
    for action in _actions():
        if any(action.option_strings == m.option_strings for m in modes):
            continue  # the modes: compared with the Commands block below
        helped |= set(action.option_strings) or {str(action.metavar)}
    assert listed == helped


def test_each_option_takes_in_the_readme_what_it_takes_in_help() -> None:
    readme = _readme_options()
    by_flag = {flag: text for flags, text in readme.values() for flag in flags}
    modes = cli._parser()._mutually_exclusive_groups[0]._group_actions
    for action in _actions():
        if not action.option_strings or action.nargs == 0:
            continue
        if any(action.option_strings == m.option_strings for m in modes):
            continue  # the modes (--suggest PRINCIPAL too): the Commands block
        text = by_flag[action.option_strings[-1]]
        if action.choices and action.metavar is None:
            assert text.split()[0] == "|".join(map(str, action.choices)), action.option_strings
        else:
            assert text.split()[0] == action.metavar, action.option_strings
            for choice in action.choices or ():
                assert f"`{choice}`" in text, (action.option_strings, choice)


def test_the_commands_block_names_every_mode_and_only_those() -> None:
    block = README.split("## Commands", 1)[1].split("```", 2)[1]
    shown = set(re.findall(r"python sync\.py (--[a-z-]+)", block))
    group = cli._parser()._mutually_exclusive_groups[0]
    assert shown == {a.option_strings[0] for a in group._group_actions}
    assert "`iamsync " + "|".join(cli.MODES) + "`" in README


def test_the_exit_codes_are_the_ones_help_names() -> None:
    readme = {cell.strip("`"): meaning for cell, meaning in _table("exit code").items()}
    helped = set(re.findall(r"\b(\d+) (?:success|any error|when)", cli.EXIT_CODES))
    assert set(readme) == helped == {"0", "1", "2", "130"}
    assert "detailed-exitcode" in readme["2"] and "Ctrl-C" in readme["130"]


def test_every_environment_variable_is_in_both() -> None:
    readme = {
        name.strip("`") for cell in _table("environment variable") for name in cell.split(", ")
    }
    helped = {name for names in cli.ENVIRONMENT for name in names.split(", ")}
    assert readme == helped
    text = cli._parser().format_help()
    assert all(name in text.replace("\n", " ") for name in helped)


def test_every_environment_variable_the_code_reads_is_listed() -> None:
    helped = {name for names in cli.ENVIRONMENT for name in names.split(", ")}
    read: set[str] = set()
    for path in (REPO_ROOT / "iamsync").rglob("*.py"):
        if path.name == "local.py":  # local mode sets the variables it points boto3 with
            continue
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"environ(?:\.get)?[\[(]\"([A-Z_]+)\"", text))
        read |= set(re.findall(r"\"(AWS_ENDPOINT_URL[A-Z_]*)\"", text))
    assert read and read <= helped, read - helped


def test_where_the_readme_lists_kind_folders_it_lists_them_all() -> None:
    folders = [f"{kind.folder}/" for kind in kinds.registered()]
    for line_no, line in enumerate(README.splitlines(), 1):
        named = [f for f in folders if re.search(rf"(?<![\w/.<-]){re.escape(f)}(?![\w<*])", line)]
        if len(named) >= 2:  # a list of them, not one kind's own text
            assert sorted(named) == sorted(folders), (line_no, line)
