"""A suggestion in words: JSON (the contract in SPEC.md), text, and markdown for a PR body
(pure). Every string from the evidence or the files passes safe.* where it is shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from iamsync.core import safe
from iamsync.engine.suggest import Suggestion

SHOWN = 12  # unused actions listed per service in text; JSON lists them all


def to_json(
    s: Suggestion, kind: str, written: Sequence[str] = (), left: Sequence[str] = ()
) -> dict[str, Any]:
    return {
        "principal": {"type": kind, "name": s.principal.name},
        "events": s.events,
        "from": s.first or None,
        "to": s.last or None,
        "missing": [
            {"action": m.action, "resources": list(m.resources), "denied": m.denied}
            for m in s.missing
        ],
        "used": list(s.used),
        "unused": list(s.unused),
        "blocked": [
            {"action": b.action, "resources": list(b.resources), "denied": b.denied, "why": b.why}
            for b in s.blocked
        ],
        "unseen": {why: list(actions) for why, actions in s.unseen.items()},
        "unmapped": [
            {"event": u.source, "events": u.events, "denied": u.denied} for u in s.unmapped
        ],
        "granted": s.granted,
        "records_read": s.read,
        "written": list(written),
        "left_alone": list(left),
    }


def lines(
    s: Suggestion, kind: str, written: Sequence[str] = (), left: Sequence[str] = ()
) -> list[str]:
    """The suggestion as plain lines (a terminal, a log)."""
    who = f"{kind} {s.principal.name}"
    if not s.events:
        return [
            f"No event of {who} in the evidence ({s.read:,} records read): nothing to suggest, "
            "and nothing is removed for lack of evidence."
        ]
    out = [
        f"Evidence for {who}: {s.events:,} events from {s.first} to {s.last} "
        f"({s.read:,} records read)."
    ]
    if s.missing:
        out.append("Missing (denied, and no file grants it):")
        out += [
            f"  + {m.action} on {', '.join(m.resources) or '(no resource named: add it)'} "
            f"(denied {m.denied} times)"
            for m in s.missing
        ]
    if s.blocked:
        out.append("Denied, but a grant would not fix it:")
        out += [f"  ! {b.action} (denied {b.denied} times): {b.why}" for b in s.blocked]
    out.append(
        f"Granted {s.granted:,} actions; {len(s.used):,} used in {s.days} day"
        f"{'s' if s.days != 1 else ''}, {len(s.unused):,} unused:"
    )
    for service, actions in _by_service(s.unused):
        shown = ", ".join(actions[:SHOWN]) + (
            f" and {len(actions) - SHOWN} more" if len(actions) > SHOWN else ""
        )
        out.append(f"  - {service} ({_levels(actions, s.levels)}): {shown}")
    for why, hidden in s.unseen.items():
        out.append(
            f"Cannot tell from this evidence ({len(hidden):,} actions, {why}): not called unused."
        )
    for u in s.unmapped:
        out.append(
            f"Not mapped to an IAM action: {u.source} ({u.events} events, {u.denied} denied)"
        )
    out += [f"Wrote {path}" for path in written]
    out += [f"Left alone: {why}" for why in left]
    return [safe.line(line) for line in out]


def markdown(
    s: Suggestion, kind: str, written: Sequence[str] = (), left: Sequence[str] = ()
) -> str:
    """A pull request body: what the evidence showed and what the change does."""
    who = safe.code(f"{kind} {s.principal.name}")
    body = [f"### Least privilege from evidence: {who}", ""]
    if not s.events:
        body.append(f"No event of {who} in the evidence: nothing to suggest.")
        return "\n".join(body) + "\n"
    body.append(
        f"{s.events:,} events from {safe.code(s.first)} to {safe.code(s.last)}; granted "
        f"{s.granted:,} actions, {len(s.used):,} used, {len(s.unused):,} unused."
    )
    if s.missing:
        body += ["", "**Missing** (denied, and no file grants it):", ""]
        body += [
            f"- {safe.code(m.action)} on "
            f"{', '.join(safe.code(r) for r in m.resources) or 'no resource named'}"
            f" (denied {m.denied} times)"
            for m in s.missing
        ]
    if s.blocked:
        body += ["", "**Denied, but a grant would not fix it:**", ""]
        body += [f"- {safe.code(b.action)}: {safe.code(b.why)}" for b in s.blocked]
    if s.unused:
        body += ["", "**Unused** in the window:", ""]
        body += [
            f"- {safe.code(service)}: {', '.join(safe.code(a) for a in actions[:SHOWN])}"
            + (f" and {len(actions) - SHOWN} more" if len(actions) > SHOWN else "")
            for service, actions in _by_service(s.unused)
        ]
    for why, actions in s.unseen.items():
        body += [
            "",
            f"Not shown by this evidence ({len(actions):,} actions, {safe.visible(why)}): kept.",
        ]
    if written or left:
        body += ["", "**This change:**", ""]
        body += [f"- wrote {safe.code(p)}" for p in written]
        body += [f"- left alone: {safe.code(w)}" for w in left]
    return "\n".join(body) + "\n"


_ORDER = ("Permissions management", "Write", "Tagging", "Read", "List")


def _levels(actions: Sequence[str], levels: Mapping[str, str]) -> str:
    """ "2 Write, 1 Read": the access levels of some actions, most dangerous first."""
    counts: dict[str, int] = {}
    for a in actions:
        counts[levels.get(a, "Unknown")] = counts.get(levels.get(a, "Unknown"), 0) + 1
    ordered = sorted(counts, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))
    return ", ".join(f"{counts[k]} {k}" for k in ordered)


def _by_service(actions: Sequence[str]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for a in actions:
        groups.setdefault(a.partition(":")[0], []).append(a)
    return sorted(groups.items())
