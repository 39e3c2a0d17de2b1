"""Many targets' plans as one output (pure): JSON `{"targets": [...]}`, text sections,
and one markdown comment within GitHub's limit (a section per target with changes; the
targets without changes on one line; failures said first)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iamsync.core import safe
from iamsync.engine.plan import Action
from iamsync.render import markdown, planfile
from iamsync.render.markdown import GITHUB_LIMIT, MARKER

_EMPTY: dict[str, list[Any]] = {"changes": [], "access": [], "findings": []}


def to_json(results: Sequence[Any]) -> dict[str, Any]:
    out = []
    for r in results:
        body = planfile.to_json(r.plan) if r.plan is not None else dict(_EMPTY)
        out.append({"name": r.name, **body, "account_id": r.account_id, "error": r.error or None})
    return {"targets": out}


def header(r: Any) -> str:
    return f"== target {r.name} (account {r.account_id or 'unknown'}) =="


def summary(results: Sequence[Any]) -> str:
    """One line across every target: how many planned, changed, failed, and the counts."""
    planned = [r.plan for r in results if r.plan is not None]
    failed = [r for r in results if r.plan is None]
    changed = [p for p in planned if not p.empty]
    counts = [
        sum(p.count(a) for p in planned) for a in (Action.CREATE, Action.UPDATE, Action.DELETE)
    ]
    return (
        f"Targets: {len(results)} ({len(changed)} with changes, {len(failed)} failed). "
        f"Plan: {counts[0]} to add, {counts[1]} to change, {counts[2]} to destroy."
    )


def markdown_comment(
    results: Sequence[Any], *, limit: int = GITHUB_LIMIT, full_plan: str = ""
) -> str:
    head = [MARKER, "### iamsync plan: every target", "", f"**{summary(results)}**", ""]
    failed = [r for r in results if r.plan is None]
    head += [
        f"> [!CAUTION]\n> **{safe.code(r.name)}** ({safe.code(r.account_id or 'unknown')}) "
        f"could not be planned: {safe.code(r.error)}"
        for r in failed
    ]
    quiet = [r for r in results if r.plan is not None and r.plan.empty]
    if quiet:
        head += [
            "",
            "No changes: "
            + ", ".join(f"{safe.code(r.name)} ({safe.code(r.account_id)})" for r in quiet),
        ]
    busy = [r for r in results if r.plan is not None and not r.plan.empty]
    budget = limit - sum(len(line) + 1 for line in head) - 200
    share = budget // max(1, len(busy))
    sections = [
        markdown.render(
            r.plan,
            limit=share,
            full_plan=full_plan,
            title=f"Target {safe.code(r.name)} (account {safe.code(r.account_id)})",
            marker=False,
        )
        for r in busy
    ]
    return "\n".join([*head, "", *sections])
