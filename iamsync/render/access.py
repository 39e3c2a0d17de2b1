"""Words for the access review, shared by the text and markdown renderers (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from iamsync.access.review import AccessChange, AnalyzerFinding, FindingRecord, Review

SHOWN = 8  # actions listed per principal and direction; the rest are counted


def headline(change: AccessChange) -> str:
    """ "user ci gains 3 actions (2 Write, 1 List); loses 1 (1 Read)"."""
    who = f"{change.principal.type} {change.principal.name}"
    parts = []
    if change.gained:
        parts.append(f"gains {_count(change.gained, change.gained_levels)}")
    if change.lost:
        parts.append(f"loses {_count(change.lost, change.lost_levels)}")
    return f"{who} {'; '.join(parts)}"


def _count(actions: tuple[str, ...], levels: Mapping[str, int]) -> str:
    """ "3 actions of ecr, s3 (2 Write, 1 List)": how many, of which services, which levels."""
    n = len(actions)
    noun = "action" if n == 1 else "actions"
    services = sorted({a.partition(":")[0] for a in actions})
    of = ", ".join(services[:4]) + (f" and {len(services) - 4} more" if len(services) > 4 else "")
    split = ", ".join(f"{v} {k}" for k, v in levels.items())
    return f"{n} {noun} of {of}" + (f" ({split})" if split else "")


def lines(change: AccessChange) -> list[str]:
    """The actions behind a headline: gained with where they apply, lost by name."""
    out = [f"+ {s}" for s in change.scope[:SHOWN]]
    if len(change.gained) > SHOWN:
        out.append(f"+ … and {len(change.gained) - SHOWN} more")
    out += [f"- {a}" for a in change.lost[:SHOWN]]
    if len(change.lost) > SHOWN:
        out.append(f"- … and {len(change.lost) - SHOWN} more")
    return out


def finding(f: FindingRecord) -> str:
    mark = "NEW " if f.new else ""
    return f"{mark}{f.severity} {f.code} {f.principal.type} {f.principal.name}: {f.message}"


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
        f"{len(old)} existing finding{'s' if len(old) > 1 else ''} not introduced by this plan "
        f"({split}); --format json lists them"
    )


def analyzer_line(f: AnalyzerFinding) -> str:
    return f"{f.document}: {f.type} {f.issue}: {f.details}"


def text_lines(review: Review) -> list[str]:
    """The review as plain lines (a terminal, a log)."""
    if not (review.access or review.findings or review.notes or review.analyzer):
        return []
    out = ["Access review:"]
    for change in review.access:
        out.append(f"  {headline(change)}")
        out += [f"      {line}" for line in lines(change)]
    out += [f"  {note}" for note in review.notes]
    out += [f"  {finding(f)}" for f in review.findings if f.new]
    summary = existing_summary(review)
    if summary:
        out.append(f"  {summary}")
    if review.analyzer:
        out.append("  IAM Access Analyzer:")
        out += [f"    {analyzer_line(f)}" for f in review.analyzer]
    return out
