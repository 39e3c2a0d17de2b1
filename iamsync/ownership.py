"""What a plan must refuse: taking over, breaking or relying on what iamsync does not own."""

from __future__ import annotations

from dataclasses import dataclass

from iamsync.errors import IamsyncError
from iamsync.model import Desired, Live, LivePolicy


@dataclass(frozen=True)
class Conflict:
    """One reason a plan is refused, tied to the repository file that causes it."""

    kind: str  # "policy" | "user": the file's kind
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


def owned(path: str, prefix: str) -> bool:
    return path.startswith(prefix)


def check(desired: Desired, live: Live) -> None:
    """Raise PlanConflict with every reason the desired state cannot be planned."""
    found = [
        *_collisions(desired, live),
        *_unknown_groups(desired, live),
        *_groups_outside_the_prefix(desired, live),
    ]
    for name, policy in sorted(live.policies.items()):
        if owned(policy.path, desired.path_prefix) and name not in desired.policies:
            found.extend(_still_used_elsewhere(policy, live, desired.path_prefix))
    if found:
        raise PlanConflict(found)


def _collisions(desired: Desired, live: Live) -> list[Conflict]:
    found = []
    for kind, wanted, existing in (
        ("policy", desired.policies, live.policies),
        ("user", desired.users, live.users),
    ):
        by_lower = {n.lower(): r for n, r in existing.items()}
        for name in sorted(wanted):
            have = by_lower.get(name.lower())
            if have is None:
                continue
            if not owned(have.path, desired.path_prefix):
                found.append(
                    Conflict(
                        kind,
                        name,
                        "NAME_TAKEN",
                        f'{kind} "{have.name}" already exists at path {have.path}, outside the '
                        f"ownership prefix {desired.path_prefix}; iamsync never takes over what "
                        f"it does not own. {_how_to_adopt(kind, have.name, desired.path_prefix)}",
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


def _unknown_groups(desired: Desired, live: Live) -> list[Conflict]:
    return [
        Conflict(
            "user",
            user.name,
            "UNKNOWN_GROUP",
            f'group "{group}" does not exist in account {live.account_id} (iamsync adds users '
            "to existing groups; create the group first)",
            "groups",
            group,
        )
        for user in sorted(desired.users.values(), key=lambda u: u.name)
        for group in sorted(user.groups - live.groups.keys())
    ]


def _groups_outside_the_prefix(desired: Desired, live: Live) -> list[Conflict]:
    """Under a required boundary, the apply role manages membership of owned groups only."""
    if desired.required_boundary is None:
        return []
    return [
        Conflict(
            "user",
            user.name,
            "GROUP_OUTSIDE_PREFIX",
            f'group "{group}" is at path {live.groups[group].path}, outside '
            f"{desired.path_prefix}: under the required permissions boundary, iamsync's apply "
            f"role manages membership only of groups under {desired.path_prefix} (IAM "
            "authorises AddUserToGroup on the group alone, so a role allowed any group could "
            "add anyone to an administrators group)",
            "groups",
            group,
        )
        for user in sorted(desired.users.values(), key=lambda u: u.name)
        for group in sorted(user.groups & live.groups.keys())
        if not owned(live.groups[group].path, desired.path_prefix)
    ]


def _still_used_elsewhere(policy: LivePolicy, live: Live, prefix: str) -> list[Conflict]:
    """A policy to delete must not be attached to, or bound, anything iamsync does not own."""
    attached, bounding = [], []
    for kind, principals in (("user", live.users), ("role", live.roles)):
        for p in principals.values():
            if owned(p.path, prefix):
                continue
            if policy.arn in p.attached:
                attached.append(f"{kind} {p.name}")
            if p.permissions_boundary == policy.arn:
                bounding.append(f"{kind} {p.name}")
    attached += [f"group {g.name}" for g in live.groups.values() if policy.arn in g.attached]
    # IAM's own counts also cover principals the read may not have listed: name the rest.
    mine = [u for u in live.users.values() if owned(u.path, prefix)]
    _count_rest(attached, policy.attachment_count - sum(policy.arn in u.attached for u in mine))
    _count_rest(
        bounding, policy.boundary_count - sum(u.permissions_boundary == policy.arn for u in mine)
    )
    uses = [
        f"attached to {', '.join(sorted(attached))}" if attached else "",
        f"the permissions boundary of {', '.join(sorted(bounding))}" if bounding else "",
    ]
    said = " and ".join(u for u in uses if u)
    if not said:
        return []
    return [
        Conflict(
            "policy",
            policy.name,
            "POLICY_IN_USE",
            f'policy "{policy.name}" is to be deleted (its file is gone) but is {said}, outside '
            f"{prefix}, which iamsync does not touch; remove it from them first, or keep its file",
        )
    ]


def _count_rest(named: list[str], total: int) -> None:
    if total > len(named):
        named.append(f"{total - len(named)} other principal(s)")


def _how_to_adopt(kind: str, name: str, prefix: str) -> str:
    if kind == "user":
        return (
            f"To adopt it, move it under the prefix (aws iam update-user --user-name {name} "
            f"--new-path {prefix}) and plan again; or rename the file"
        )
    return (
        "A policy's path cannot change: to adopt it, create it anew from this file under "
        "another name and move its attachments, or rename the file"
    )
