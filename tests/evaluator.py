"""A small IAM policy evaluator for the tests: is one request allowed by a set of policies?

Enough of IAM's evaluation logic to prove iamsync's own roles and its boundary offline
(moto authorises IAM calls on Resource "*" only, and no condition): explicit Deny wins;
otherwise an Allow in an identity policy is needed and, with a permissions boundary, an
Allow in the boundary too. Action/NotAction, Resource/NotResource with * and ?, policy
variables such as ${aws:username}, and the condition operators our policies use (String*,
Arn*, Bool, Null; IfExists; ForAnyValue/ForAllValues), with IAM's rule for a key the
request lacks: positive operators fail, negated ones match.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Document = Mapping[str, Any]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, str | list[str]] = field(default_factory=dict)


def allowed(
    identity: Sequence[Document], request: Request, boundary: Document | None = None
) -> bool:
    every = [*identity, *([boundary] if boundary is not None else [])]
    if any(_matches(st, request) for doc in every for st in _statements(doc, "Deny")):
        return False
    granted = any(_matches(st, request) for doc in identity for st in _statements(doc, "Allow"))
    if boundary is not None:
        granted = granted and any(_matches(st, request) for st in _statements(boundary, "Allow"))
    return granted


def _statements(doc: Document, effect: str) -> list[Mapping[str, Any]]:
    found = doc["Statement"]
    found = found if isinstance(found, list) else [found]
    return [st for st in found if st["Effect"] == effect]


def _listed(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _matches(st: Mapping[str, Any], request: Request) -> bool:
    if "Action" in st:
        action_ok = any(_glob(request.action, p, fold=True) for p in _listed(st["Action"]))
    else:
        action_ok = not any(_glob(request.action, p, fold=True) for p in _listed(st["NotAction"]))
    if not action_ok:
        return False
    if "Resource" in st:
        hit = any(_glob(request.resource, _vars(p, request)) for p in _listed(st["Resource"]))
    else:
        hit = not any(
            _glob(request.resource, _vars(p, request)) for p in _listed(st["NotResource"])
        )
    return hit and _conditions(st.get("Condition", {}), request)


def _glob(value: str, pattern: str, *, fold: bool = False) -> bool:
    if fold:
        value, pattern = value.lower(), pattern.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _vars(pattern: str, request: Request) -> str:
    def sub(m: re.Match[str]) -> str:
        value = request.context.get(m.group(1))
        return value if isinstance(value, str) else "\0no-such-value\0"

    return re.sub(r"\$\{([^}]+)\}", sub, pattern)


_NEGATED = {
    "StringNotEquals",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "StringNotEqualsIgnoreCase",
}


def _conditions(block: Mapping[str, Mapping[str, Any]], request: Request) -> bool:
    return all(
        _condition(op, key, _listed(values), request)
        for op, keys in block.items()
        for key, values in keys.items()
    )


def _condition(op: str, key: str, wanted: list[Any], request: Request) -> bool:
    qualifier, _, base = op.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    present = key in request.context
    got = _listed(request.context[key]) if present else []
    if base == "Null":
        return (not present) == (str(wanted[0]).lower() == "true")
    if not present:
        if if_exists or qualifier == "ForAllValues":
            return True
        return base in _NEGATED and qualifier != "ForAnyValue"
    negated = base in _NEGATED
    compare = _COMPARE[base.replace("Not", "", 1) if negated else base]
    if qualifier == "ForAllValues":
        return all(any(compare(g, w) for w in wanted) != negated for g in got)
    hits = any(compare(g, w) for g in got for w in wanted)
    return not hits if negated else hits


_COMPARE = {
    "StringEquals": lambda got, want: got == str(want),
    "StringEqualsIgnoreCase": lambda got, want: got.lower() == str(want).lower(),
    "StringLike": lambda got, want: fnmatch.fnmatchcase(got, str(want)),
    "ArnEquals": lambda got, want: got == str(want),
    "ArnLike": lambda got, want: fnmatch.fnmatchcase(got, str(want)),
    "Bool": lambda got, want: got.lower() == str(want).lower(),
}
