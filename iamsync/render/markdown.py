"""The plan as a GitHub pull-request comment: a summary table and a diff per resource.

Names, ARNs, conditions and documents come from files and live IAM: each reaches the
markdown only through safe.cell / safe.code / a fenced block, so none renders as HTML,
a link, an image or a mention.

GitHub refuses comments over 65,536 characters. The table always fits; the
per-resource details are added while they fit, and the rest is left to the full
plan, which the comment points to.
"""

from __future__ import annotations

from iamsync import safe
from iamsync.access.review import Review
from iamsync.plan import Action, Change, Plan
from iamsync.render import access, describe

GITHUB_LIMIT = 65_536
MARKER = "<!-- iamsync-plan -->"  # lets CI find and update its one sticky comment


def render(plan: Plan, *, limit: int = GITHUB_LIMIT, full_plan: str = "") -> str:
    """Markdown under `limit` characters; `full_plan` says where the whole plan is."""
    head = [MARKER, "### iamsync plan", "", f"**{describe.summary_line(plan)}**", ""]
    if plan.empty:
        return "\n".join(head)
    destroyed = [c for c in plan.changes if c.action.is_destructive]
    if destroyed:
        names = ", ".join(safe.code(f"{c.type} {c.name}") for c in destroyed[:20])
        more = f" and {len(destroyed) - 20} more" if len(destroyed) > 20 else ""
        head += [
            f"> [!WARNING]\n> **{len(destroyed)} destructive change"
            f"{'s' if len(destroyed) > 1 else ''}:** {names}{more}",
            "",
        ]
    head += _access(plan.review, limit // 4)
    pointer = full_plan or "Run `python sync.py --plan` for the full plan."
    tail = [
        "",
        f"_Account {safe.code(plan.account_id)} · plan fingerprint "
        f"{safe.code(plan.fingerprint[:12])}_",
    ]
    budget = limit - len("\n".join(head + tail)) - len(pointer) - 200
    half = budget // 2  # the table gets up to half; details get the rest
    rows, unused = _fit(_table_rows(plan.changes), half)
    blocks, _ = _fit([_details(c) for c in plan.changes], budget - half + unused)
    parts = [*head, *_TABLE_HEAD, *rows]
    if len(rows) < len(plan.changes):
        parts.append(f"\n_…and {len(plan.changes) - len(rows)} more changes._")
    parts += ["", *blocks]
    if len(blocks) < len(plan.changes):
        parts.append(
            f"\n**{len(plan.changes) - len(blocks)} of {len(plan.changes)} resource "
            f"details omitted to fit GitHub's comment limit.** {pointer}"
        )
    return "\n".join(parts + tail)


_TABLE_HEAD = ["| | Type | Name | What changes |", "|---|---|---|---|"]


def _access(review: Review, budget: int) -> list[str]:
    """Who gains and loses what, new findings, and which principals changed policies reach."""
    lines: list[str] = []
    if review.access or review.notes:
        lines.append("#### Access")
        for change in review.access:
            lines.append(f"- {safe.code(access.headline(change))}")
            lines += [f"  - {safe.code(line)}" for line in access.lines(change)]
        lines += [f"- {safe.code(note)}" for note in review.notes]
        lines.append("")
    new = [f for f in review.findings if f.new]
    if new:
        lines.append("#### New findings")
        for f in new:
            who = safe.code(f"{f.principal.type} {f.principal.name}")
            lines.append(f"- **{f.severity}** {safe.code(f.code)} {who}: {safe.code(f.message)}")
        lines.append("")
    summary = access.existing_summary(review)
    if summary:
        lines += [f"_{safe.code(summary)}_", ""]
    if review.analyzer:
        lines.append("#### IAM Access Analyzer")
        lines += [f"- {safe.code(access.analyzer_line(f))}" for f in review.analyzer]
        lines.append("")
    lines += _diagram(review)
    kept, _ = _fit(lines, budget)
    if len(kept) < len(lines):
        kept.append("_…the access review is longer: see the JSON plan (`access`, `findings`)._")
    return kept


def _diagram(review: Review) -> list[str]:
    """A Mermaid diagram (GitHub draws it) when a changed policy reaches several principals."""
    edges = {policy: who for policy, who in review.reach.items() if len(who) > 1}
    if not edges:
        return []
    ids: dict[str, str] = {}

    def node(label: str) -> str:
        if label not in ids:
            ids[label] = f"n{len(ids)}"
            return f'{ids[label]}["{_mermaid_text(label)}"]'
        return ids[label]

    out = ["```mermaid", "flowchart LR"]
    out += [
        f"  {node(policy)} --> {node(who)}" for policy, reached in edges.items() for who in reached
    ]
    return [*out, "```", ""]


def _mermaid_text(text: str) -> str:
    """A node label: IAM names have no quotes or brackets, and none may slip in."""
    return "".join(ch if ch.isalnum() or ch in " +=,.@_-:/" else "_" for ch in text)


def _fit(items: list[str], budget: int) -> tuple[list[str], int]:
    """The leading items that fit in `budget` characters (one newline each), and what is left."""
    kept = []
    for item in items:
        if len(item) + 1 > budget:
            break
        kept.append(item)
        budget -= len(item) + 1
    return kept, budget


def _table_rows(changes: tuple[Change, ...]) -> list[str]:
    rows = []
    for c in changes:
        lines = describe.details(c)
        effects = [d.rstrip(":") for d in lines if not d.startswith("  ")]
        text = "; ".join(effects[:3]) + (" …" if len(effects) > 3 else "")
        first = [d.strip() for d in lines if d.startswith("  ")]
        if first:
            text += " (" + "; ".join(first[:3]) + (" …" if len(first) > 3 else "") + ")"
        rows.append(f"| {_badge(c.action)} | {c.type} | {safe.cell(c.name)} | {safe.cell(text)} |")
    return rows


def _details(change: Change) -> str:
    body = "\n".join(
        safe.visible(line) for line in [*describe.details(change), *describe.document_diff(change)]
    )
    fence = safe.fence_for(body)
    return (
        f"<details><summary><code>{safe.html_text(describe.title(change))}</code></summary>\n\n"
        f"{fence}diff\n{body}\n{fence}\n</details>"
    )


def _badge(action: Action) -> str:
    word = {"create": "create", "update": "update", "delete": "**delete**"}[action.value]
    return f"`{action.symbol}` {word}"
