"""Words and diffs for one change, shared by the text and markdown renderers (pure)."""

from __future__ import annotations

import difflib

from iamsync import normalize
from iamsync.plan import Action, Change, Plan, PolicyChange, UserChange


def title(change: Change) -> str:
    return f"{change.action.symbol} {change.type} {change.name}"


def summary_line(plan: Plan) -> str:
    if plan.empty:
        return "No changes. Live IAM matches the repository."
    return (
        f"Plan: {plan.count(Action.CREATE)} to add, {plan.count(Action.UPDATE)} to change, "
        f"{plan.count(Action.DELETE)} to destroy."
    )


def details(change: Change) -> list[str]:
    """One line per effect of the change, most important first."""
    if isinstance(change, PolicyChange):
        return _policy_details(change)
    return _user_details(change)


def document_diff(change: Change) -> list[str]:
    """A unified diff of the canonical JSON (no ---/+++ header); [] for users."""
    if not isinstance(change, PolicyChange):
        return []
    before = _lines(change.before)
    after = _lines(change.after)
    diff = difflib.unified_diff(before, after, lineterm="", n=3)
    return [line for line in diff if not line.startswith(("---", "+++"))]


def _lines(document: object) -> list[str]:
    if document is None:
        return []
    return normalize.pretty(normalize.canonical(document, fold_case=False)).splitlines()


def access_changes(before: object, after: object, limit: int = 12) -> list[str]:
    """What a document change grants and revokes, one "+/- Effect action on resource" each."""
    old, new = _grants(before), _grants(after)
    lines = [f"+ {new[k]}" for k in sorted(new.keys() - old.keys())]
    lines += [f"- {old[k]}" for k in sorted(old.keys() - new.keys())]
    if len(lines) > limit:
        lines = [*lines[:limit], f"… and {len(lines) - limit} more (see the document diff)"]
    return lines


def _grants(document: object) -> dict[tuple[str, ...], str]:
    """Each (effect, action, resource, condition) of a document, keyed case-insensitively."""
    found: dict[tuple[str, ...], str] = {}
    if document is None:
        return found
    for st in normalize.canonical(document, fold_case=False).get("Statement", []):
        if not isinstance(st, dict):
            continue
        effect = str(st.get("Effect", ""))
        actions = st.get("Action") or ["every action but " + ", ".join(st.get("NotAction", []))]
        resources = st.get("Resource") or [
            "every resource but " + ", ".join(st.get("NotResource", []))
        ]
        condition = normalize.dumps(st["Condition"]) if "Condition" in st else ""
        suffix = f" if {condition}" if condition else ""
        for action in actions:
            for resource in resources:
                key = (effect, action.lower(), resource, condition.lower())
                found[key] = f"{effect} {action} on {resource}{suffix}"
    return found


def _policy_details(c: PolicyChange) -> list[str]:
    out = []
    if c.action is Action.CREATE:
        out.append("new managed policy")
    elif c.action is Action.UPDATE and c.reactivate:
        out.append(f"re-activates kept version {c.reactivate} as the default (no new version)")
    elif c.action is Action.UPDATE:
        out.append("new default version")
    if c.prune:
        out.append(
            f"deletes old version{'s' if len(c.prune) > 1 else ''} {', '.join(c.prune)} "
            "first, to stay within IAM's 5 versions"
        )
    if c.action is Action.DELETE:
        if c.delete_versions:
            out.append(f"deletes non-default versions {', '.join(c.delete_versions)} first")
        if c.users:
            out.append(f"detached from {', '.join(c.users)} first")
    elif c.users:
        out.append(f"access changes for: {', '.join(c.users)}")
    if c.action is Action.UPDATE:
        out += [f"  {line}" for line in access_changes(c.before, c.after)]
    return out


def _user_details(c: UserChange) -> list[str]:
    out = []
    if c.action is Action.DELETE:
        out.append("deletes the user and, first, what blocks its deletion:")
        out += [f"  deletes {item}" for item in c.credentials.describe()]
        out += [f"  deletes inline policy {p}" for p in c.inline_policies]
        out += [f"  leaves group {g}" for g in c.remove_groups]
        out += [f"  detaches {arn}" for arn in c.detach]
        if c.remove_boundary:
            out.append("  removes its permissions boundary")
        return out
    if c.action is Action.CREATE:
        out.append("new user")
        if c.tags:
            out.append("tags: " + ", ".join(f"{k}={v}" for k, v in sorted(c.tags.items())))
    out += [f"+ attach {arn}" for arn in c.attach]
    out += [f"- detach {arn}" for arn in c.detach]
    out += [f"+ join group {g}" for g in c.add_groups]
    out += [f"- leave group {g}" for g in c.remove_groups]
    if c.boundary:
        out.append(f"~ permissions boundary {c.boundary}")
    if c.remove_boundary:
        out.append("- permissions boundary removed")
    if c.action is Action.UPDATE:
        out += [f"~ tag {k} = {v!r}" for k, v in sorted(c.tags.items())]
        out += [f"- tag {k}" for k in c.untag]
    return out
