"""Words for the access review, shared by the text and markdown renderers (pure).

Danger leads: new findings first (high before medium before low), then one headline per
principal whose access changes, with what it gains counted by access level (Permissions
management and Write first) and what it now reaches on more resources said outright.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from iamsync.access.compare import Widening
from iamsync.access.review import AccessChange, AnalyzerFinding, FindingRecord, Review, rank
from iamsync.core.lines import Line, Mark, added, changed, removed

SHOWN = 8  # actions listed per principal and direction; the rest are counted


def who(change: AccessChange) -> str:
    ref = change.principal
    mark = "" if ref.owned else " (not managed by iamsync)"
    return f"{ref.type} {ref.name}{mark}"


def grouped(changes: tuple[AccessChange, ...]) -> list[tuple[AccessChange, int]]:
    """Principals whose access changes alike, as one (first change, how many) each, in
    order: 150 new users holding the same policies read as one headline."""
    groups: dict[Any, list[AccessChange]] = {}
    for c in changes:
        key = (c.principal.type, c.principal.owned, c.gained, c.lost, c.widened, c.narrowed)
        groups.setdefault(key, []).append(c)
    out = []
    for members in groups.values():
        first = members[0]
        if len(members) > 1:
            names = ", ".join(m.principal.name for m in members[:3])
            more = f" and {len(members) - 3} more" if len(members) > 3 else ""
            plural = replace(
                first.principal, name=f"{names}{more} ({len(members)} {first.principal.type}s)"
            )
            first = replace(first, principal=plural)
        out.append((first, len(members)))
    return out


def headline(change: AccessChange, count: int = 1) -> str:
    """ "user ci gains 3 actions of ecr (2 Write, 1 List); 6 actions of ecr now on more
    resources; loses 1 action of s3 (1 Read)" (`count`: how many principals it stands for)."""
    s = "s" if count == 1 else ""
    parts = []
    if change.gained:
        parts.append(f"gain{s} {_count(change.gained, change.gained_levels)}")
    if change.widened:
        actions = tuple(w.action for w in change.widened)
        parts.append(f"{_count(actions, {})} now on more resources")
    if change.lost:
        parts.append(f"lose{s} {_count(change.lost, change.lost_levels)}")
    if change.narrowed and not change.gained and not change.widened:
        parts.append(f"{_count(tuple(w.action for w in change.narrowed), {})} on fewer resources")
    return f"{who(change)} {'; '.join(parts)}"


def _count(actions: tuple[str, ...], levels: Mapping[str, int]) -> str:
    """ "3 actions of ecr, s3 (2 Write, 1 List)": how many, of which services, which levels."""
    n = len(actions)
    noun = "action" if n == 1 else "actions"
    services = sorted({a.partition(":")[0] for a in actions})
    of = ", ".join(services[:4]) + (f" and {len(services) - 4} more" if len(services) > 4 else "")
    split = ", ".join(f"{v} {k}" for k, v in levels.items())
    return f"{n} {noun} of {of}" + (f" ({split})" if split else "")


def lines(change: AccessChange) -> list[Line]:
    """The actions behind a headline: gained with where they apply, widened and narrowed
    grouped by their resources, lost by name."""
    out = [added(s) for s in change.scope[:SHOWN]]
    if len(change.gained) > SHOWN:
        out.append(added(f"… and {len(change.gained) - SHOWN} more"))
    out += [changed(line) for line in _moves(change.widened, "now on")]
    out += [changed(line) for line in _moves(change.narrowed, "now only on", skip=change.widened)]
    out += [removed(a) for a in change.lost[:SHOWN]]
    if len(change.lost) > SHOWN:
        out.append(removed(f"… and {len(change.lost) - SHOWN} more"))
    return out


def _moves(items: tuple[Widening, ...], verb: str, skip: tuple[Widening, ...] = ()) -> list[str]:
    """ "6 actions of ecr now on * (was arn:…:repository/web): ecr:PutImage, … and 2 more"."""
    seen = set(skip)
    groups: dict[tuple[tuple[str, ...], tuple[str, ...], str], list[str]] = {}
    for w in items:
        if w not in seen:
            groups.setdefault((w.after, w.before, w.why), []).append(w.action)
    out = []
    for (after, before, why), actions in groups.items():
        names = ", ".join(actions[:4]) + (
            f" and {len(actions) - 4} more" if len(actions) > 4 else ""
        )
        because = f"; {why}" if why else ""
        out.append(
            f"{_count(tuple(actions), {})} {verb} {_where(after)} (was {_where(before)}{because}):"
            f" {names}"
        )
    return out


def _where(patterns: tuple[str, ...]) -> str:
    if not patterns:
        return "nothing"
    shown = "; ".join(p if p != "*" else "every resource (*)" for p in patterns[:3])
    return shown + (f" and {len(patterns) - 3} more" if len(patterns) > 3 else "")


def new_findings(review: Review) -> list[FindingRecord]:
    """The findings the plan introduces, most severe first."""
    return sorted((f for f in review.findings if f.new), key=lambda f: -rank(f))


def finding(f: FindingRecord) -> str:
    mark = "NEW " if f.new else ""
    owner = "" if f.principal.owned else " (not managed by iamsync)"
    return f"{mark}{f.severity} {f.code} {f.principal.type} {f.principal.name}{owner}: {f.message}"


def existing_summary(review: Review) -> str:
    """One line for the findings the plan does not introduce."""
    old = [f for f in review.findings if not f.new]
    if not old:
        return ""
    by: dict[str, int] = {}
    for f in old:
        by[f.severity] = by.get(f.severity, 0) + 1
    split = ", ".join(f"{by[s]} {s}" for s in ("high", "medium", "low") if s in by)
    return (
        f"{len(old)} finding{'s' if len(old) > 1 else ''} the changed principals already had, "
        f"not introduced by this plan ({split}); --format json lists them"
    )


def analyzer_line(f: AnalyzerFinding) -> str:
    return f"{f.document}: {f.type} {f.issue}: {f.details}"


def text_lines(review: Review) -> list[Line]:
    """The review as plain lines (a terminal, a log), indented as shown: new findings
    first, a new high one marked as an alert."""
    if not (review.access or review.findings or review.notes or review.analyzer):
        return []
    out = [Line("Access review:", Mark.HEADING)]
    out += [
        Line(f"  {finding(f)}", Mark.ALERT if f.severity == "high" else Mark.NOTE)
        for f in new_findings(review)
    ]
    for change, count in grouped(review.access):
        out.append(Line(f"  {headline(change, count)}"))
        out += [Line(f"      {line.text}", line.mark) for line in lines(change)]
    out += [Line(f"  {note}") for note in review.notes]
    summary = existing_summary(review)
    if summary:
        out.append(Line(f"  {summary}"))
    if review.analyzer:
        out.append(Line("  IAM Access Analyzer:"))
        out += [Line(f"    {analyzer_line(f)}") for f in review.analyzer]
    return out
