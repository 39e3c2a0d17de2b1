"""What a plan must refuse: taking over, breaking or relying on what iamsync does not own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from iamsync.core.errors import IamsyncError
from iamsync.core.model import MANAGED_BY_TAG, MANAGED_BY_VALUE, Desired, Live


@dataclass(frozen=True)
class Conflict:
    """One reason a plan is refused, tied to the repository file that causes it."""

    kind: str  # "policy" | "user" | "group" | "role": the file's kind
    name: str  # the file's IAM name (its file may be gone: a deletion)
    code: str  # stable, like a validation problem's
    message: str  # names the live resource involved
    field: str | None = None  # the key of the file it is about ("groups", "policies")
    item: str | None = None  # the entry of that key (a group name, a policy ARN)


class PlanConflict(IamsyncError):
    """The repository asks for something iamsync must not do; nothing is written."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__("; ".join(c.message for c in conflicts))
        self.conflicts = conflicts


def under(path: str, prefix: str) -> bool:
    """The path is under the ownership prefix (a user's or group's path anyone with
    UpdateUser / UpdateGroup could set; a role's or policy's is fixed at creation)."""
    return path.startswith(prefix)


def owned(record: Any, prefix: str) -> bool:
    """iamsync's own: under the prefix and, for the kinds IAM tags (users, roles), carrying
    the managed-by tag iamsync writes when it creates them. A user moved under the prefix
    by someone else is not iamsync's: it is never deleted or changed unless a file names
    it (an adoption the plan says)."""
    if not under(record.path, prefix):
        return False
    if not getattr(record, "bookkept", False):
        return True
    return made_by_iamsync(record.tags)


def made_by_iamsync(tags: Mapping[str, str]) -> bool:
    """The managed-by tag iamsync writes (IAM tag keys are case-insensitive)."""
    if tags.get(MANAGED_BY_TAG) == MANAGED_BY_VALUE:  # as iamsync writes it: no scan
        return True
    return any(k.lower() == MANAGED_BY_TAG and v == MANAGED_BY_VALUE for k, v in tags.items())


def foreign(live: Live, prefix: str, wanted: Mapping[str, Iterable[str]]) -> list[str]:
    """ "user alice": records under the prefix that iamsync did not make and no file names,
    which the plan leaves alone (said, so an adoption is one --import away)."""
    return [
        f"{kind} {name}"
        for kind, records in sorted(live.resources.items())
        for name, record in sorted(records.items())
        if under(record.path, prefix)
        and not owned(record, prefix)
        and name not in set(wanted.get(kind, ()))
    ]


def collisions(
    kind: str,
    wanted: Iterable[str],
    existing: Mapping[str, Any],
    prefix: str,
    *,
    movable: bool = False,
) -> list[Conflict]:
    """Names of `kind` that exist outside the prefix, or in another case. `movable`: IAM
    can change the path of its resources (update-user --new-path), so one can be adopted."""
    found = []
    by_lower = {n.lower(): r for n, r in existing.items()}
    for name in sorted(wanted):
        have = by_lower.get(name.lower())
        if have is None:
            continue
        if not under(have.path, prefix):
            found.append(
                Conflict(
                    kind,
                    name,
                    "NAME_TAKEN",
                    f'{kind} "{have.name}" already exists at path {have.path}, outside the '
                    f"ownership prefix {prefix}; iamsync never takes over what it does not "
                    f"own. {_how_to_adopt(kind, have.name, prefix, movable)}",
                )
            )
        elif have.name != name:
            found.append(
                Conflict(
                    kind,
                    name,
                    "NAME_CASE_DIFFERS",
                    f'{kind} "{name}" differs only in case from the existing {kind} '
                    f'"{have.name}" (IAM names are case-insensitive); rename the file to match',
                )
            )
    return found


def _how_to_adopt(kind: str, name: str, prefix: str, movable: bool) -> str:
    if movable:
        return (
            f"To adopt it, move it under the prefix (aws iam update-{kind} --{kind}-name {name} "
            f"--new-path {prefix}) and plan again; or rename the file"
        )
    return (
        f"A {kind}'s path cannot change: to adopt it, create it anew from this file under "
        "another name and move what uses it, or rename the file"
    )


def rename_conflicts(desired: Desired, live: Live) -> list[Conflict]:
    """A file renamed from a live name while its new name exists too: the plan would keep
    the new one and delete the old (with its keys or members) instead of renaming."""
    found = []
    for kind, records in desired.resources.items():
        have = live.of(kind)
        for name, want in sorted(records.items()):
            old: str | None = getattr(want, "renamed_from", None)
            if old is None or old in records or name not in have or old not in have:
                continue
            found.append(
                Conflict(
                    kind,
                    name,
                    "RENAME_CONFLICT",
                    f'{kind} "{name}" is renamed from "{old}", but both exist: this plan would '
                    f'delete {kind} "{old}" instead of renaming it. Delete or rename one of '
                    f"them first, or remove renamed_from",
                    "renamed_from",
                )
            )
    return found


def renames(desired: Desired, live: Live) -> dict[str, dict[str, str]]:
    """kind -> old name -> new name, for files that say renamed_from and can move now."""
    found: dict[str, dict[str, str]] = {}
    for kind, records in desired.resources.items():
        have = live.of(kind)
        for name, want in records.items():
            old: str | None = getattr(want, "renamed_from", None)
            if old is None or name in have or old not in have or old in records:
                continue
            if owned(have[old], desired.path_prefix):
                found.setdefault(kind, {})[old] = name
    return found
