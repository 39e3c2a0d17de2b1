"""Find and read the repository's files: policies/, users/ and iamsync.json."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from iamsync import names, source
from iamsync.config import CONFIG_FILE
from iamsync.errors import ConfigError
from iamsync.problems import Problem, Severity
from iamsync.source import Source

KIND_DIRS = {"policy": "policies", "user": "users", "bootstrap": "bootstrap/policies"}
_NAME_RULES = {
    "policy": (names.POLICY_NAME, "1-128"),
    "bootstrap": (names.POLICY_NAME, "1-128"),
    "user": (names.USER_NAME, "1-64"),
}


@dataclass(frozen=True)
class Files:
    """Every file of the repository that parsed, by kind and IAM name."""

    root: Path
    config: Source | None
    policies: dict[str, Source] = field(default_factory=dict)
    users: dict[str, Source] = field(default_factory=dict)
    # Policies of iamsync's own roles (bootstrap/policies/): validated, never synced.
    bootstrap: dict[str, Source] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # files that could not be used
    count: int = 0  # files read, parsed or not


def load(root: Path) -> Files:
    if not root.is_dir():
        raise ConfigError(f"repository folder {root} does not exist")
    problems: list[Problem] = []
    count = 0
    config = None
    if (root / CONFIG_FILE).is_file():
        count += 1
        config = _keep(source.load(root, root / CONFIG_FILE), problems)
    by_kind: dict[str, dict[str, Source]] = {}
    for kind, folder in KIND_DIRS.items():
        found: dict[str, Source] = {}
        lower: dict[str, str] = {}
        for file in sorted((root / folder).rglob("*.json")):
            count += 1
            name = file.stem
            rel = file.relative_to(root).as_posix()
            problems.extend(_name_problems(kind, name, rel, lower))
            parsed = _keep(source.load(root, file), problems)
            lower.setdefault(name.lower(), rel)
            if parsed is not None and name not in found:
                found[name] = parsed
        by_kind[kind] = found
    return Files(
        root, config, by_kind["policy"], by_kind["user"], by_kind["bootstrap"], problems, count
    )


def _keep(result: Source | Problem, problems: list[Problem]) -> Source | None:
    if isinstance(result, Problem):
        problems.append(result)
        return None
    return result


def _name_problems(kind: str, name: str, rel: str, seen: dict[str, str]) -> list[Problem]:
    rule, length = _NAME_RULES[kind]
    kind = "policy" if kind == "bootstrap" else kind
    found = []
    if not rule.fullmatch(name):
        found.append(
            Problem(
                rel,
                1,
                1,
                Severity.ERROR,
                "INVALID_NAME",
                f'"{name}" is not a valid {kind} name: the file name is the IAM '
                f"name, {length} characters of A-Z a-z 0-9 + = , . @ _ -",
            )
        )
    if name.lower() in seen:
        found.append(
            Problem(
                rel,
                1,
                1,
                Severity.ERROR,
                "DUPLICATE_NAME",
                f'{kind} "{name}" is also defined by {seen[name.lower()]} (IAM '
                "names are unique, case-insensitively)",
            )
        )
    return found
