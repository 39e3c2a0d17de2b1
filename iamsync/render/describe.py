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
    """A unified diff of the canonical JSON (no ---/+++ header); [] for users and renames."""
    if not isinstance(change, PolicyChange) or change.same_document_as:
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
    """What a document change grants and revokes: "+/- Effect actions on resources [if …]".

    One line per group of grants that share effect, condition and resources, so a statement
    of 4 actions on 2 resources is one line, not 8.
    """
    old, new = _grants(before), _grants(after)
    lines = [f"+ {line}" for line in _grouped([new[k] for k in new.keys() - old.keys()])]
    lines += [f"- {line}" for line in _grouped([old[k] for k in old.keys() - new.keys()])]
    if len(lines) > limit:
        lines = [*lines[:limit], f"… and {len(lines) - limit} more (see the document diff)"]
    return lines


_Grant = tuple[str, str, str, str]  # effect, action, resource, condition (as shown)


def _grants(document: object) -> dict[tuple[str, ...], _Grant]:
    """Each (effect, action, resource, condition) of a document, keyed case-insensitively."""
    found: dict[tuple[str, ...], _Grant] = {}
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
        for action in actions:
            for resource in resources:
                key = (effect, action.lower(), resource, condition.lower())
                found[key] = (effect, action, resource, condition)
    return found


def _grouped(grants: list[_Grant]) -> list[str]:
    """Grants sharing effect, condition and resource set, as one line each."""
    by_action: dict[tuple[str, str, str], set[str]] = {}
    for effect, action, resource, condition in grants:
        by_action.setdefault((effect, condition, action), set()).add(resource)
    lines: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for (effect, condition, action), resources in by_action.items():
        lines.setdefault((effect, condition, tuple(sorted(resources))), []).append(action)
    return [
        f"{effect} {_some(sorted(actions, key=str.lower), 8)} on {_some(list(resources), 4)}"
        + (f" if {condition}" if condition else "")
        for (effect, condition, resources), actions in sorted(lines.items())
    ]


def _some(items: list[str], shown: int) -> str:
    if len(items) <= shown:
        return ", ".join(items)
    return f"{', '.join(items[:shown])} and {len(items) - shown} more"


def _policy_details(c: PolicyChange) -> list[str]:
    if c.same_document_as:
        return _rename_details(c)
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


def _rename_details(c: PolicyChange) -> list[str]:
    """A created and a deleted policy with one document: what a renamed file plans."""
    other = c.same_document_as
    if c.action is Action.CREATE:
        out = [f"new managed policy with the same document as policy {other} (deleted below)"]
    else:
        out = [f"replaced by policy {other}, which has the same document (created above)"]
        if c.delete_versions:
            out.append(f"deletes non-default versions {', '.join(c.delete_versions)} first")
    who = ", ".join(c.users)
    if c.keeps_access:
        out.append(
            f"nobody's access changes: {who} move{'s' if len(c.users) == 1 else ''} "
            f"from {other if c.action is Action.CREATE else c.name} to "
            f"{c.name if c.action is Action.CREATE else other}"
            if who
            else "nobody's access changes: no user holds either"
        )
    elif who:
        out.append(f"{'attached to' if c.action is Action.CREATE else 'detached from'}: {who}")
    return out


def _user_details(c: UserChange) -> list[str]:
    out = []
    if c.action is Action.DELETE:
        out.append("deletes the user and, first, what blocks its deletion:")
        if c.boundary:
            out.append(f"  sets the required permissions boundary {c.boundary} (first)")
        out += [f"  deletes {item}" for item in c.credentials.describe()]
        out += [f"  deletes inline policy {p}" for p in c.inline_policies]
        out += [f"  leaves group {g}" for g in c.remove_groups]
        out += [f"  detaches {arn}" for arn in c.detach]
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
        for key, value in sorted(c.tags.items()):
            if key in c.tags_before:
                out.append(f"~ tag {key}: {c.tags_before[key]!r} → {value!r}")
            else:
                out.append(f"+ tag {key} = {value!r}")
        out += [
            f"- tag {key}" + (f" (was {c.tags_before[key]!r})" if key in c.tags_before else "")
            for key in c.untag
        ]
    return out
