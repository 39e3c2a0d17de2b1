"""What the evidence says a principal needs and does not use (pure).

From its own CloudTrail records: the calls it was denied (missing grants, or grants that
something else blocks), the granted actions it used, and those it did not, where the
evidence could have shown their use. An action the evidence cannot show (a data event the
trail did not log, a read when the trail logs writes only) is never called unused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from iamsync.access.effective import Holdings
from iamsync.evidence import events
from iamsync.evidence.events import Who
from iamsync.evidence.records import Record
from iamsync.iam.catalog import Catalog

READS = ("List", "Read")


@dataclass(frozen=True)
class Missing:
    """An action the principal was denied and the repository's files do not grant it."""

    action: str
    resources: tuple[str, ...]  # as the denials named them; () when none did
    denied: int


@dataclass(frozen=True)
class Blocked:
    """A denied action a grant in the files would not fix: said, never proposed."""

    action: str
    resources: tuple[str, ...]
    denied: int
    why: str


@dataclass(frozen=True)
class Unmapped:
    """Events whose IAM action could not be told: listed, never dropped."""

    source: str  # "eventSource eventName"
    events: int
    denied: int


@dataclass(frozen=True)
class Suggestion:
    principal: Who
    events: int
    first: str  # the earliest eventTime among the principal's events ("" if none)
    last: str
    missing: tuple[Missing, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    used: tuple[str, ...] = ()
    unused: tuple[str, ...] = ()
    unseen: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # why -> actions
    unmapped: tuple[Unmapped, ...] = ()
    granted: int = 0  # the principal's effective actions
    read: int = 0  # records read, the principal's or not
    levels: Mapping[str, str] = field(default_factory=dict)  # unused action -> access level

    @property
    def days(self) -> int:
        """The window the events span, in whole days (at least 1 when there are events)."""
        from datetime import datetime

        try:
            first = datetime.fromisoformat(self.first.replace("Z", "+00:00"))
            last = datetime.fromisoformat(self.last.replace("Z", "+00:00"))
        except ValueError:
            return 0
        return (last - first).days + 1


@dataclass
class _Tally:
    resources: set[str] = field(default_factory=set)
    denied: int = 0
    why: set[str] = field(default_factory=set)


def suggest(
    who: Who,
    records: Iterable[Record],
    holdings: Holdings,
    identity: Holdings,
    variables: Mapping[str, str],
    catalog: Catalog,
) -> Suggestion:
    """`holdings`: what the files grant the principal (its boundary included); `identity`:
    the same without the boundary (to tell a missing grant from a bounded one)."""
    count = read = 0
    first = last = ""
    denied: dict[str, _Tally] = {}
    unmapped: dict[str, list[int]] = {}
    used: set[str] = set()
    seen_data = seen_reads = seen_writes = False
    for record in records:
        read += 1
        if not who.owns(record):
            continue
        count += 1
        when = record.eventTime
        first = when if not first or when < first else first
        last = max(last, when)
        seen_data |= events.is_data_event(record)
        seen_reads |= record.readOnly is True
        seen_writes |= record.readOnly is False
        call = events.call(record, catalog)
        if not call.action:
            tally = unmapped.setdefault(call.source, [0, 0])
            tally[0] += 1
            tally[1] += call.denied
        elif call.denied:
            d = denied.setdefault(call.action, _Tally())
            d.resources.update(call.resources)
            d.denied += 1
            if call.why:
                d.why.add(call.why)
        else:
            used.add(call.action)
    missing, blocked = _denials(denied, holdings, identity, variables)
    granted = holdings.allowed
    seen = sorted(used & granted)
    unseen = _unseen(granted - used, catalog, seen_data, seen_reads, seen_writes)
    hidden = {a for actions in unseen.values() for a in actions}
    unused = tuple(sorted(granted - used - hidden)) if count else ()
    return Suggestion(
        who,
        count,
        first,
        last,
        tuple(missing),
        tuple(blocked),
        tuple(seen),
        unused,
        unseen,
        tuple(Unmapped(s, n, d) for s, (n, d) in sorted(unmapped.items())),
        len(granted),
        read,
        {a: catalog.access_level(a) or "Unknown" for a in unused},
    )


def _denials(
    denied: dict[str, _Tally],
    holdings: Holdings,
    identity: Holdings,
    variables: Mapping[str, str],
) -> tuple[list[Missing], list[Blocked]]:
    missing: list[Missing] = []
    blocked: list[Blocked] = []
    for action, d in sorted(denied.items()):
        resources = tuple(sorted(d.resources))
        why = sorted(d.why)
        elsewhere = [w for w in why if "identity-based" not in w]
        if elsewhere:
            said = "; ".join(elsewhere)
            blocked.append(Blocked(action, resources, d.denied, f"AWS says: {said}"))
        elif _grants(holdings, action, resources, variables):
            blocked.append(
                Blocked(
                    action,
                    resources,
                    d.denied,
                    "the repository's files already grant it: something else denied it (a "
                    "Deny, a service control policy, a session policy), or the plan is not "
                    "applied yet",
                )
            )
        elif _grants(identity, action, resources, variables):
            blocked.append(
                Blocked(
                    action,
                    resources,
                    d.denied,
                    "its permissions boundary does not allow it: a grant would not help",
                )
            )
        else:
            missing.append(Missing(action, resources, d.denied))
    return missing, blocked


def _grants(
    holdings: Holdings, action: str, resources: tuple[str, ...], variables: Mapping[str, str]
) -> bool:
    if not resources:
        return action in holdings.allowed
    return all(holdings.on(action, r, variables) is not None for r in resources)


def _unseen(
    candidates: Iterable[str], catalog: Catalog, data: bool, reads: bool, writes: bool
) -> dict[str, tuple[str, ...]]:
    """The granted actions whose use the evidence could not show, by why."""
    out: dict[str, list[str]] = {}
    for action in sorted(candidates):
        level = catalog.access_level(action)
        if not data and action.lower() in events.DATA_EVENT_ACTIONS:
            why = "data events (the evidence holds none: the trail does not log them)"
        elif not reads and level in READS:
            why = "reads (the evidence holds no read event: a trail of writes only)"
        elif not writes and level and level not in READS:
            why = "writes (the evidence holds no write event)"
        else:
            continue
        out.setdefault(why, []).append(action)
    return {k: tuple(v) for k, v in out.items()}
