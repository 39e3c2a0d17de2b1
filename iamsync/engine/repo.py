"""Find and read the repository's files: each kind's folder, bootstrap/ and iamsync.json."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from iamsync import kinds
from iamsync.core.errors import ConfigError
from iamsync.core.problems import Problem
from iamsync.files import git, source
from iamsync.files.config import CONFIG_FILE
from iamsync.files.source import Source
from iamsync.files.tree import SYMLINK_REFUSED, FolderTree, Tree, Unreadable

# Policies of iamsync's own roles (bootstrap/policies/): validated as policies, never synced.
BOOTSTRAP = "bootstrap"


def kind_dirs() -> dict[str, str]:
    """Kind type -> its folder, for every registered kind (and the bootstrap policies)."""
    return {**{k.type: k.folder for k in kinds.registered()}, BOOTSTRAP: "bootstrap/policies"}


# One target's own files: targets/<target>/<kind's folder>/ (the shared folders apply to
# every target; a name is shared or one target's own, never both).
TARGETS = "targets"
TARGET_NAME = re.compile(r"(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # also the schema's


def scope() -> tuple[str, ...]:
    """What iamsync reads of a repository (Git lists, commits hold): its config, the
    registered kinds' folders, the bootstrap policies, the targets' own folders."""
    return (CONFIG_FILE, *kind_dirs().values(), TARGETS)


def target_folders(tree: Tree) -> list[str]:
    """The names of the folders under targets/ (each should be a target of iamsync.json)."""
    return sorted({rel.split("/")[1] for rel in tree.files(TARGETS) if rel.count("/") >= 1})


def _top_dirs() -> tuple[str, ...]:
    """What makes a folder a policy repository, with iamsync.json: a kind's folder."""
    return tuple(k.folder for k in kinds.registered())


def _name_rule(kind: str) -> tuple[re.Pattern[str], str]:
    found = kinds.bootstrap() if kind == BOOTSTRAP else kinds.by_type(kind)
    assert found is not None
    return found.name_rule, found.name_limit


@dataclass(frozen=True)
class Files:
    """Every file of the repository that parsed, by kind and IAM name."""

    root: Path
    config: Source | None
    by_kind: dict[str, dict[str, Source]] = field(default_factory=dict)  # kind -> name -> file
    problems: list[Problem] = field(default_factory=list)  # files that could not be used
    count: int = 0  # files read, parsed or not
    # Names whose file exists but could not be parsed: references to them are not errors
    # of their own (the file's problem is the cause, reported once).
    unparsed: frozenset[tuple[str, str]] = frozenset()  # (kind, name)


class NotARepository(ConfigError):
    """The folder iamsync was pointed at (or started in) holds no policy repository."""


def locate(explicit: Path | None, cwd: Path, *, allow_empty: bool = False) -> Path:
    """The policy repository's root: `explicit` (--repo) as given, else found from `cwd`.

    Found the way Git finds its top: from `cwd` up, the nearest folder with iamsync.json
    or a kind's folder (policies/, users/, groups/, roles/), never above the Git work
    tree's top. Reading
    a folder that is not a repository would plan the deletion of everything iamsync owns,
    so that is an error. `allow_empty` (import, which only writes files) accepts the start
    folder when nothing is found.
    """
    start = explicit if explicit is not None else cwd
    if not start.exists():
        raise ConfigError(f"repository folder {start} does not exist")
    if not start.is_dir():
        raise ConfigError(f"{start} is not a folder; --repo takes the repository's folder")
    if explicit is not None:
        if is_repository(explicit) or allow_empty:
            return explicit
        raise NotARepository(_not_found(explicit, _search(explicit.resolve()), explicit=True))
    found = _search(cwd.resolve())
    if found is not None:
        return found
    if allow_empty:
        return cwd
    raise NotARepository(_not_found(cwd, None, explicit=False))


def is_repository(folder: Path) -> bool:
    return (folder / CONFIG_FILE).is_file() or any((folder / d).is_dir() for d in _top_dirs())


def _search(start: Path) -> Path | None:
    """The nearest folder at or above `start` (within its Git work tree) that is a repository."""
    top = git.work_tree_top(start)
    for folder in (start, *start.parents):
        if is_repository(folder):
            return folder
        if folder == top:
            return None  # the top of the Git work tree: a repository above is another project
    return None


def _not_found(start: Path, above: Path | None, *, explicit: bool) -> str:
    top = _top_dirs()
    looked = f"{CONFIG_FILE}, {', '.join(f'{d}/' for d in top[:-1])} or {top[-1]}/"
    if above is not None:
        return (
            f"{start} is not a policy repository (no {looked} in it); "
            f"the repository is {above}: use --repo {above}, or run from there"
        )
    if explicit:
        return f"{start} is not a policy repository: it has no {looked}"
    return (
        f"{start} is not in a policy repository: looked for {looked} here and in each "
        "folder above it up to the top of the Git work tree. Run iamsync in the "
        "repository, or pass --repo DIR"
    )


def load(root: Path, tree: Tree | None = None, target: str | None = None) -> Files:
    """Every file of the repository, parsed; what cannot be used is a Problem, never skipped.
    With `target`, that target's own files (targets/<target>/) join the shared ones.

    Read: iamsync.json, and each kind's folder recursively, where files ending in .json (in
    any case) are read and hidden files and folders (a leading ".") are not. A file Git
    ignores is not read, nor is any other file there: each is a warning, so nothing is
    skipped in silence. A symbolic link is an error.
    """
    if not root.is_dir():
        raise ConfigError(f"repository folder {root} does not exist")
    tree = tree or FolderTree(root)
    problems: list[Problem] = []
    count = 0
    config = None
    if tree.exists(CONFIG_FILE):  # an ignored iamsync.json does not exist, as for Git
        count += 1
        config = _keep(_read(tree, CONFIG_FILE), problems)
    by_kind: dict[str, dict[str, Source]] = {}
    unparsed: set[tuple[str, str]] = set()
    target = target or _default_target(config)
    if target is not None and not TARGET_NAME.fullmatch(target):
        # a name is a folder under targets/: "../x" would read files outside the repository
        raise ConfigError(
            f"target name {target[:80]!r} cannot name a folder under {TARGETS}/: use letters, "
            "digits, '.', '_' and '-' (starting with a letter or digit)"
        )
    own = f"{TARGETS}/{target}/" if target else None
    problems += _target_problems(tree, config)
    for kind, folder in kind_dirs().items():
        found: dict[str, Source] = {}
        lower: dict[str, str] = {}
        folders = [folder]
        if own is not None and kind != BOOTSTRAP:
            folders.append(own + folder)
        for rel in (rel for f in folders for rel in tree.files(f)):
            stem, dot, suffix = rel.rpartition("/")[2].rpartition(".")
            if tree.ignored(rel):
                problems.append(_ignored(rel))
                continue
            if tree.is_link(rel):
                problems.append(_read_problem(rel, Unreadable(SYMLINK_REFUSED)))
                continue
            if not dot or suffix.lower() != "json" or not stem:
                problems.append(_not_read(rel, rel.rsplit("/", 1)[0]))
                continue
            count += 1
            problems.extend(_name_problems(kind, stem, rel, lower))
            parsed = _keep(_read(tree, rel), problems)
            lower.setdefault(stem.lower(), rel)
            if parsed is None:
                unparsed.add((kind, stem))
            elif stem not in found:
                found[stem] = parsed
        by_kind[kind] = found
    return Files(root, config, by_kind, problems, count, frozenset(unparsed))


def _default_target(config: Source | None) -> str | None:
    """iamsync.json's default_target, when it names one of its targets."""
    value = config.value if config is not None and isinstance(config.value, dict) else {}
    name, targets = value.get("default_target"), value.get("targets")
    return name if isinstance(name, str) and isinstance(targets, dict) and name in targets else None


def _target_problems(tree: Tree, config: Source | None) -> list[Problem]:
    """A folder under targets/ that names no target of iamsync.json, and a file there
    outside a kind's folder: each said once (their files would apply nowhere)."""
    value = config.value if config is not None and isinstance(config.value, dict) else {}
    listed = value.get("targets")
    known: dict[str, object] = listed if isinstance(listed, dict) else {}
    folders = {k.folder for k in kinds.registered()}
    found = []
    discovered = bool(value.get("organizations"))
    for name in target_folders(tree):
        if name not in known and discovered:
            found.append(
                Problem.at(
                    f"{TARGETS}/{name}",
                    1,
                    1,
                    "TARGET_NOT_LISTED",
                    f"{TARGETS}/{name}/ names no target of {CONFIG_FILE}: its files apply only "
                    "if Organizations has an account of that name (checked online)",
                )
            )
        elif name not in known:
            names = ", ".join(sorted(known)) or "none"
            found.append(
                Problem.at(
                    f"{TARGETS}/{name}",
                    1,
                    1,
                    "UNKNOWN_TARGET",
                    f"{TARGETS}/{name}/ names no target of {CONFIG_FILE} (its targets: {names}); "
                    "its files would apply to no account: add the target, or rename the folder",
                )
            )
    for rel in tree.files(TARGETS):
        parts = rel.split("/")
        if len(parts) < 4 or parts[2] not in folders:
            found.append(
                Problem.at(
                    rel,
                    1,
                    1,
                    "NOT_READ",
                    f"not read: a target's files go in {TARGETS}/<target>/<folder>/, where "
                    f"<folder> is one of {', '.join(sorted(f + '/' for f in folders))}",
                )
            )
    return found


def read_one(tree: Tree, rel: str) -> Source | Problem:
    """One file of the repository by its relative path, under the same rules as load()."""
    return _read(tree, rel)


def _read(tree: Tree, rel: str) -> Source | Problem:
    try:
        raw = tree.read(rel)
    except Unreadable as exc:
        return _read_problem(rel, exc)
    return source.from_bytes(rel, raw)


def _read_problem(rel: str, exc: Unreadable) -> Problem:
    return Problem.at(rel, 1, 1, "UNREADABLE", f"{rel} {exc}")


def _ignored(rel: str) -> Problem:
    return Problem.at(
        rel,
        1,
        1,
        "IGNORED_BY_GIT",
        "not read: Git ignores this file (a .gitignore, .git/info/exclude or a global "
        "excludes file says so: git check-ignore -v shows which), and iamsync reads only "
        "what Git would commit; un-ignore it, or move it out",
    )


def _not_read(rel: str, folder: str) -> Problem:
    return Problem.at(
        rel,
        1,
        1,
        "NOT_READ",
        f"not read: only files ending in .json are read in {folder}/; rename it, or move "
        f'it out of {folder}/ (hidden files, starting with ".", are not read either)',
    )


def _keep(result: Source | Problem, problems: list[Problem]) -> Source | None:
    if isinstance(result, Problem):
        problems.append(result)
        return None
    return result


def _name_problems(kind: str, name: str, rel: str, seen: dict[str, str]) -> list[Problem]:
    rule, length = _name_rule(kind)
    kind = kinds.bootstrap().type if kind == BOOTSTRAP else kind
    found = []
    if not rule.fullmatch(name):
        found.append(
            Problem.at(
                rel,
                1,
                1,
                "INVALID_NAME",
                f'"{name}" is not a valid {kind} name: the file name is the IAM '
                f"name, {length} characters of A-Z a-z 0-9 + = , . @ _ -",
            )
        )
    if name.lower() in seen:
        found.append(
            Problem.at(
                rel,
                1,
                1,
                "DUPLICATE_NAME",
                f'{kind} "{name}" is also defined by {seen[name.lower()]} (IAM '
                "names are unique, case-insensitively)",
            )
        )
    return found
