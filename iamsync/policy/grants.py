"""What a policy document grants, in the words a reviewer reads (pure): the one describer
of grants. `where` says where a grant applies (the access review's lines use it too);
`access_changes` what a document change grants and revokes, statement by statement."""

from __future__ import annotations

from collections.abc import Iterable

from iamsync.core.lines import Line, added, note, removed
from iamsync.iam import normalize


def access_changes(before: object, after: object, limit: int = 12) -> list[Line]:
    """What a document change grants and revokes: "+/- Effect actions on resources [if …]".

    One line per group of grants that share effect, condition and resources, so a statement
    of 4 actions on 2 resources is one line, not 8.
    """
    old, new = _grants(before), _grants(after)
    lines = [added(line) for line in _grouped([new[k] for k in new.keys() - old.keys()])]
    lines += [removed(line) for line in _grouped([old[k] for k in old.keys() - new.keys()])]
    if len(lines) > limit:
        lines = [*lines[:limit], note(f"… and {len(lines) - limit} more (see the document diff)")]
    return lines


def where(resources: Iterable[str], *, excluded: bool = False, condition: str = "") -> str:
    """ "arn:a, arn:b", "every resource but arn:a", each with " if {…}" when conditional."""
    said = ("every resource but " if excluded else "") + ", ".join(resources)
    return said + (f" if {condition}" if condition else "")


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
        resources = st.get("Resource") or [where(st.get("NotResource", []), excluded=True)]
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
        f"{effect} {_some(sorted(actions, key=str.lower), 8)} on "
        + where([_some(list(resources), 4)], condition=condition)
        for (effect, condition, resources), actions in sorted(lines.items())
    ]


def _some(items: list[str], shown: int) -> str:
    if len(items) <= shown:
        return ", ".join(items)
    return f"{', '.join(items[:shown])} and {len(items) - shown} more"
