"""The plan as a GitHub pull-request comment: a summary table and a diff per resource.

Names, ARNs, conditions and documents come from files and live IAM: each reaches the
markdown only through safe.cell / safe.code / a fenced block, so none renders as HTML,
a link, an image or a mention.

GitHub refuses comments over 65,536 characters. The table always fits; the
per-resource details are added while they fit, and the rest is left to the full
plan, which the comment points to.
"""

from __future__ import annotations

from iamsync.access.review import AccessChange, FindingRecord, Review
from iamsync.core import safe
from iamsync.engine.plan import Action, Change, Plan
from iamsync.render import access, describe

GITHUB_LIMIT = 65_536
DRAWN = 8  # principals drawn per policy in the reach diagram; the rest are one node
MARKER = "<!-- iamsync-plan -->"  # lets CI find and update its one sticky comment


def render(
    plan: Plan,
    *,
    limit: int = GITHUB_LIMIT,
    full_plan: str = "",
    title: str = "iamsync plan",
    marker: bool = True,
) -> str:
    """Markdown under `limit` characters; `full_plan` says where the whole plan is.

    Danger leads and is never trimmed away: the destructive changes, then the new findings
    (every high one is kept, grouped by code if they are many), then who gains what. What
    is trimmed goes whole, block by block, so no fence or details element is left open.
    """
    head = [*([MARKER] if marker else []), f"### {title}", ""]
    head += [f"**{describe.summary_line(plan)}**", ""]
    head += [f"> {safe.code(line)}" for line in describe.left_alone(plan)[:20]]
    if plan.left_alone:
        head.append("")
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
    pointer = full_plan or "Run `python sync.py --plan` for the full plan."
    planned = f" · files of commit {safe.code(plan.commit[:12])}" if plan.commit else ""
    tail = [
        "",
        f"_Account {safe.code(plan.account_id)}{planned} · plan fingerprint "
        f"{safe.code(plan.fingerprint[:12])}_",
    ]
    budget = limit - _size(head + tail) - len(pointer) - 400
    danger = _findings(plan.review, budget // 2)
    budget -= _size(danger)
    review = _access(plan.review, budget // 2)
    budget -= _size(review)
    half = budget // 2  # the table gets up to half; details get the rest
    rows, unused = _fit(_table_rows(plan.changes), half)
    blocks, _ = _fit([_details(c) for c in plan.changes], budget - half + unused)
    parts = [*head, *danger, *review, *_TABLE_HEAD, *rows]
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
_MORE_ACCESS = "_…the access review is longer: see the JSON plan (`access`, `findings`)._"


def _size(blocks: list[str]) -> int:
    return sum(len(b) + 1 for b in blocks)


def _findings(review: Review, budget: int) -> list[str]:
    """The new findings, most severe first. Every high one is kept: one line each while
    they fit, else one line per code naming as many principals as fit."""
    new = access.new_findings(review)
    if not new:
        return []
    lines = [_finding_line(f) for f in new]
    if _size(lines) <= budget:
        return ["#### New findings", *lines, ""]
    high = [f for f in new if f.severity == "high"]
    kept = [_finding_line(f) for f in high]
    if _size(kept) > budget:
        kept = _grouped(high, budget)
    rest, _ = _fit([_finding_line(f) for f in new if f.severity != "high"], budget - _size(kept))
    dropped = len(new) - len(high) - len(rest)
    out = ["#### New findings", *kept, *rest]
    if dropped:
        out.append(f"- _…and {dropped} more new findings of lower severity: see the JSON plan._")
    return [*out, ""]


def _finding_line(f: FindingRecord) -> str:
    owner = "" if f.principal.owned else " (not managed by iamsync)"
    who = safe.code(f"{f.principal.type} {f.principal.name}") + owner
    return f"- **{f.severity}** {safe.code(f.code)} {who}: {safe.code(f.message)}"


def _grouped(found: list[FindingRecord], budget: int) -> list[str]:
    """One line per code: "**high** `CODE` on 120 principals: `user a`, … and 117 more"."""
    by: dict[str, list[FindingRecord]] = {}
    for f in found:
        by.setdefault(f.code, []).append(f)
    share = max(200, budget // max(1, len(by)))
    out = []
    for code, items in by.items():
        names: list[str] = []
        used = 0
        for f in items:
            name = safe.code(f"{f.principal.type} {f.principal.name}")
            if used + len(name) + 2 > share - 120:
                break
            names.append(name)
            used += len(name) + 2
        more = f" and {len(items) - len(names)} more" if len(items) > len(names) else ""
        out.append(
            f"- **high** {safe.code(code)} on {len(items)} principals: {', '.join(names)}{more}"
        )
    return out


def _access(review: Review, budget: int) -> list[str]:
    """One headline per principal whose access changes (details collapsed), notes, the
    existing findings' count, Access Analyzer's findings and the reach diagram: whole
    blocks, while they fit."""
    blocks: list[str] = []
    if review.access or review.notes:
        blocks.append("#### Access")
        blocks += [_principal_block(c, n) for c, n in access.grouped(review.access)]
        blocks += [f"- {safe.code(note)}" for note in review.notes]
        blocks.append("")
    summary = access.existing_summary(review)
    if summary:
        blocks += [f"_{safe.code(summary)}_", ""]
    if review.analyzer:
        blocks.append("#### IAM Access Analyzer")
        blocks += [f"- {safe.code(access.analyzer_line(f))}" for f in review.analyzer]
        blocks.append("")
    diagram = _diagram(review)
    if diagram:
        blocks.append("\n".join(diagram))
    kept, _ = _fit(blocks, budget - len(_MORE_ACCESS) - 2)
    if len(kept) < len(blocks):
        kept += [_MORE_ACCESS, ""]
    return kept


def _principal_block(change: AccessChange, count: int) -> str:
    """A headline, and the actions behind it: inline when short, else collapsed."""
    head = f"- {safe.code(access.headline(change, count))}"
    items = [f"  - {safe.code(line.text)}" for line in access.lines(change)]
    if len(items) <= 3:
        return "\n".join([head, *items])
    summary = safe.html_text(f"{len(items)} lines: what it gains, now reaches and loses")
    body = "\n".join(
        ["", f"  <details><summary>{summary}</summary>", "", *items, "", "  </details>"]
    )
    return head + body


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
    for policy, reached in edges.items():
        shown = reached if len(reached) <= DRAWN else reached[: DRAWN - 1]
        out += [f"  {node(policy)} --> {node(who)}" for who in shown]
        if len(shown) < len(reached):
            out.append(f"  {node(policy)} --> {node(f'{len(reached) - len(shown)} more')}")
    return [*out, "```", ""]  # one block: trimmed whole or not at all


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
        effects = [d.text.rstrip(":") for d in lines if not d.under]
        text = "; ".join(effects[:3]) + (" …" if len(effects) > 3 else "")
        first = [d.text.strip() for d in lines if d.under]
        if first:
            text += " (" + "; ".join(first[:3]) + (" …" if len(first) > 3 else "") + ")"
        rows.append(f"| {_badge(c.action)} | {c.type} | {safe.cell(c.name)} | {safe.cell(text)} |")
    return rows


def _details(change: Change) -> str:
    body = "\n".join(
        safe.visible(str(line))
        for line in [*describe.details(change), *describe.document_diff(change)]
    )
    fence = safe.fence_for(body)
    return (
        f"<details><summary><code>{safe.html_text(describe.title(change))}</code></summary>\n\n"
        f"{fence}diff\n{body}\n{fence}\n</details>"
    )


def _badge(action: Action) -> str:
    word = {"create": "create", "update": "update", "delete": "**delete**"}[action.value]
    return f"`{action.symbol}` {word}"
