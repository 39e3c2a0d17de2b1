"""The plan as a GitHub pull-request comment: a summary table and a diff per resource.

GitHub refuses comments over 65,536 characters. The table always fits; the
per-resource details are added while they fit, and the rest is left to the full
plan, which the comment points to.
"""

from __future__ import annotations

from iamsync.plan import Action, Change, Plan
from iamsync.render import describe

GITHUB_LIMIT = 65_536
MARKER = "<!-- iamsync-plan -->"  # lets CI find and update its one sticky comment


def render(plan: Plan, *, limit: int = GITHUB_LIMIT, full_plan: str = "") -> str:
    """Markdown under `limit` characters; `full_plan` says where the whole plan is."""
    head = [MARKER, "### iamsync plan", "", f"**{describe.summary_line(plan)}**", ""]
    if plan.empty:
        return "\n".join(head)
    destroyed = [c for c in plan.changes if c.action.is_destructive]
    if destroyed:
        names = ", ".join(f"`{c.type} {c.name}`" for c in destroyed)
        head += [
            f"> [!WARNING]\n> **{len(destroyed)} destructive change"
            f"{'s' if len(destroyed) > 1 else ''}:** {names}",
            "",
        ]
    head += _table(plan.changes)
    tail = ["", f"_Account {plan.account_id} · plan fingerprint `{plan.fingerprint[:12]}`_"]
    omitted_note = (
        f"\n\n**{{n}} resource detail(s) omitted to fit GitHub's comment limit.** "
        f"{full_plan or 'Run `python sync.py --plan` for the full plan.'}"
    )
    budget = limit - len("\n".join(head + tail)) - len(omitted_note) - 20
    blocks: list[str] = []
    omitted = 0
    for change in plan.changes:
        block = _details(change)
        if omitted or len(block) + 1 > budget:
            omitted += 1
            continue
        blocks.append(block)
        budget -= len(block) + 1
    body = "\n".join([*head, "", *blocks, *tail])
    if omitted:
        body += omitted_note.format(n=omitted)
    return body


def _table(changes: tuple[Change, ...]) -> list[str]:
    rows = ["| | Type | Name | What changes |", "|---|---|---|---|"]
    for c in changes:
        effects = [d for d in describe.details(c) if not d.startswith("  ")]
        rows.append(
            f"| {_badge(c.action)} | {c.type} | `{c.name}` | "
            f"{_cell('; '.join(effects[:3]) + (' …' if len(effects) > 3 else ''))} |"
        )
    return rows


def _details(change: Change) -> str:
    body = "\n".join([*describe.details(change), *describe.document_diff(change)])
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    return (
        f"<details><summary><code>{describe.title(change)}</code></summary>\n\n"
        f"{fence}diff\n{body}\n{fence}\n</details>"
    )


def _longest_backtick_run(text: str) -> int:
    longest = current = 0
    for ch in text:
        current = current + 1 if ch == "`" else 0
        longest = max(longest, current)
    return longest


def _badge(action: Action) -> str:
    word = {"create": "create", "update": "update", "delete": "**delete**"}[action.value]
    return f"`{action.symbol}` {word}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
