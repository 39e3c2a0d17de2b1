"""What a plan must refuse: taking over, breaking or relying on what iamsync does not own."""

from __future__ import annotations

from iamsync.errors import IamsyncError
from iamsync.model import Desired, Live, LivePolicy


class PlanConflict(IamsyncError):
    """The repository asks for something iamsync must not do; nothing is written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def owned(path: str, prefix: str) -> bool:
    return path.startswith(prefix)


def check(desired: Desired, live: Live) -> None:
    """Raise PlanConflict with every reason the desired state cannot be planned."""
    problems = []
    for kind, wanted, existing in (
        ("policy", desired.policies, live.policies),
        ("user", desired.users, live.users),
    ):
        by_lower = {n.lower(): r for n, r in existing.items()}
        for name in sorted(wanted):
            found = by_lower.get(name.lower())
            if found is None:
                continue
            if not owned(found.path, desired.path_prefix):
                problems.append(
                    f'{kind} "{found.name}" already exists at path {found.path}, outside the '
                    f"ownership prefix {desired.path_prefix}; iamsync never takes over what it "
                    f"does not own. {_how_to_adopt(kind, found.name, desired.path_prefix)}"
                )
            elif found.name != name:
                problems.append(
                    f'{kind} "{name}" differs only in case from the existing '
                    f'"{found.name}" (IAM names are case-insensitive); rename the '
                    "file to match"
                )
    for user in sorted(desired.users.values(), key=lambda u: u.name):
        for group in sorted(user.groups - live.groups):
            problems.append(
                f'user "{user.name}": group "{group}" does not exist (iamsync adds '
                "users to existing groups; create the group first)"
            )
    for name, policy in sorted(live.policies.items()):
        if owned(policy.path, desired.path_prefix) and name not in desired.policies:
            problems.extend(_still_used_elsewhere(policy, live, desired.path_prefix))
    if problems:
        raise PlanConflict(problems)


def _still_used_elsewhere(policy: LivePolicy, live: Live, prefix: str) -> list[str]:
    """A policy to delete must not be attached to, or bound, anything iamsync does not own."""
    mine = [u for u in live.users.values() if owned(u.path, prefix)]
    attached = policy.attachment_count - sum(1 for u in mine if policy.arn in u.attached)
    bounding = policy.boundary_count - sum(1 for u in mine if u.permissions_boundary == policy.arn)
    uses = [
        f"attached to {attached} principal(s)" if attached > 0 else "",
        f"the permissions boundary of {bounding} principal(s)" if bounding > 0 else "",
    ]
    said = " and ".join(u for u in uses if u)
    if not said:
        return []
    return [
        f'policy "{policy.name}" is to be deleted but is {said} outside {prefix}, which '
        "iamsync does not touch; remove it from them first, or keep its file"
    ]


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
