"""The plan: a pure diff of Desired against Live, as frozen values (no client, no clock).

Each registered kind diffs its own resources; this module computes what crosses kinds
once (who holds which policy, which names move), checks ownership, and orders the
changes: creations and updates kind by kind, then deletions in the reverse order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from types import MappingProxyType
from typing import Any

from iamsync import kinds
from iamsync.access.review import Review
from iamsync.core import ownership
from iamsync.core.model import Desired, Live
from iamsync.engine import fingerprint
from iamsync.kinds.base import Action, Change, DiffContext

__all__ = ["Action", "Change", "Plan", "diff"]


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    account_id: str
    partition: str
    path_prefix: str
    # The fingerprint of the live state the plan was computed from, or what computes it:
    # asked for when a plan is saved, compared or shown in a PR comment (fingerprint).
    of_live: str | Callable[[], str] = field(compare=False, repr=False)
    owned: int = 0  # resources under the prefix in live IAM when the plan was made
    # Provenance, set by the caller: the commit the files were read from ("" when they were
    # not all committed) and a digest of the desired state built from them.
    commit: str = ""
    desired_digest: str = ""
    # The access review, set by the caller (it needs AWS-managed documents read live).
    review: Review = field(default_factory=Review)
    # Display: "user alice", under the prefix but not made by iamsync and named by no file.
    left_alone: tuple[str, ...] = ()

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    def __eq__(self, other: object) -> bool:
        """Field by field, the fingerprint's value standing for what computes it."""
        if not isinstance(other, Plan):
            return NotImplemented
        return self.fingerprint == other.fingerprint and all(
            getattr(self, f.name) == getattr(other, f.name) for f in fields(self) if f.compare
        )

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the live state the plan was computed from (engine/fingerprint.of),
        made when first asked: a plan printed and left pays nothing for it (measured: half
        the diff of a no-change plan)."""
        return self.of_live if isinstance(self.of_live, str) else self.of_live()

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def deletes_everything(self) -> bool:
        """Every owned resource goes and nothing comes: what an empty or wrong folder plans."""
        deletes = self.count(Action.DELETE)
        return deletes > 0 and deletes >= self.owned and self.count(Action.CREATE) == 0


def diff(desired: Desired, live: Live) -> Plan:
    """Every change that makes Live equal Desired within the ownership prefix."""
    prefix = desired.path_prefix
    check(desired, live)
    ctx = DiffContext(
        desired,
        live,
        _holders(live.resources, lambda p: p.attached, lambda r: ownership.owned(r, prefix)),
        _holders(desired.resources, lambda p: p.policies, lambda r: True),
        ownership.renames(desired, live),
    )
    registered = kinds.registered()
    made = [(kind, change) for kind in registered for change in kind.diff(ctx)]
    order = {kind.type: i for i, kind in enumerate(registered)}
    kept = tuple(
        c
        for _, c in sorted(
            made,
            key=lambda kc: (
                kc[1].action is Action.DELETE,
                -order[kc[0].type] if kc[1].action is Action.DELETE else order[kc[0].type],
            ),
        )
    )
    owned = sum(
        1
        for records in live.resources.values()
        for r in records.values()
        if ownership.owned(r, prefix)
    )
    return Plan(
        kept,
        live.account_id,
        live.partition,
        prefix,
        functools.partial(fingerprint.of, live, prefix, tuple(c.name for c in kept)),
        owned,
        left_alone=tuple(ownership.foreign(live, prefix, desired.resources)),
    )


def check(desired: Desired, live: Live) -> None:
    """Raise PlanConflict with every reason the desired state cannot be planned."""
    found = [
        conflict
        for kind in kinds.registered()
        for conflict in (
            *ownership.collisions(
                kind.type,
                desired.of(kind.type),
                live.of(kind.type),
                desired.path_prefix,
                movable=getattr(kind, "movable", False),
            ),
            *kind.conflicts(desired, live),
        )
    ]
    found += ownership.rename_conflicts(desired, live)
    if found:
        raise ownership.PlanConflict(found)


def _holders(
    resources: Mapping[str, Mapping[str, Any]],
    policies: Callable[[Any], Iterable[str]],
    mine: Callable[[Any], bool],
) -> Mapping[str, frozenset[str]]:
    """Policy ARN -> owned principals and groups ("user ci") holding it, desired or live."""
    holders = {k.type for k in kinds.with_access(kinds.Access.PRINCIPAL)}
    holders |= {k.type for k in kinds.with_access(kinds.Access.GROUP)}
    found: dict[str, set[str]] = {}
    for kind, records in resources.items():
        for record in records.values() if kind in holders else ():
            if not mine(record):
                continue
            for arn in policies(record):
                found.setdefault(arn, set()).add(f"{kind} {record.name}")
    return MappingProxyType({arn: frozenset(who) for arn, who in found.items()})
