"""Condition blocks: known operators, well-formed keys, values of the operator's type."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Generator, Iterator
from datetime import datetime
from typing import Any

from iamsync.core.problems import Problem
from iamsync.files.source import Pointer
from iamsync.iam import names
from iamsync.iam.catalog import Action
from iamsync.policy.rules.context import Document, Statement, entries, statements

_FAMILIES = {
    "String": (
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
    ),
    "Numeric": (
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
    ),
    "Date": (
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
    ),
    "Bool": ("Bool",),
    "Binary": ("BinaryEquals",),
    "IPAddress": ("IpAddress", "NotIpAddress"),
    "ARN": ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"),
    "Null": ("Null",),
}
_OPERATORS = {op.lower(): (op, family) for family, ops in _FAMILIES.items() for op in ops}
_ALL_FORMS = (
    [op for ops in _FAMILIES.values() for op in ops]
    + [
        f"{q}:{op}"
        for q in ("ForAnyValue", "ForAllValues")
        for ops in _FAMILIES.values()
        for op in ops
    ]
    + [f"{op}IfExists" for ops in _FAMILIES.values() for op in ops]
)
# Which key types an operator family is meant for (String works on ARNs too).
_FITS = {
    "String": {"String", "ARN"},
    "ARN": {"ARN", "String"},
    "Numeric": {"Numeric"},
    "Date": {"Date", "Numeric"},
    "Bool": {"Bool"},
    "IPAddress": {"IPAddress"},
}
# service:name; an OIDC provider host (with a path) or "saml" may be the prefix, too.
_KEY = re.compile(r"[A-Za-z0-9.-]+(/[^\s:]+)?:[^\s]+")


def check(policy: Document) -> Iterator[Problem]:
    for st in statements(policy):
        block = st.body.get("Condition")
        if not isinstance(block, dict):
            continue
        originals = list(st.original.get("Condition", {}))
        actions = _Actions(policy, st)
        for index, (op, keys) in enumerate(block.items()):
            pointer = (*st.pointer, "Condition", originals[index])
            family = yield from _check_operator(policy, pointer, op)
            if isinstance(keys, dict):
                raw_keys = list(st.original["Condition"][originals[index]])
                for k_index, (key, value) in enumerate(keys.items()):
                    at = (*pointer, raw_keys[k_index])
                    yield from _check_key(policy, at, op, family, key, value)
                    if family is not None:
                        yield from _check_applies(policy, st, actions, at, op, key, value)


def _split(op: str) -> tuple[str, str, bool]:
    """("ForAnyValue:", "StringLike", True) for "ForAnyValue:StringLikeIfExists"."""
    qualifier, _, base = op.rpartition(":")
    if_exists = base.endswith("IfExists")
    return qualifier, base.removesuffix("IfExists") if if_exists else base, if_exists


def _check_operator(
    policy: Document, pointer: Pointer, op: str
) -> Generator[Problem, None, str | None]:
    qualifier, base, if_exists = _split(op)
    known = _OPERATORS.get(base.lower())
    if qualifier not in ("", "ForAnyValue", "ForAllValues") or known is None:
        yield policy.problem(
            pointer,
            "INVALID_CONDITION_OPERATOR",
            f'unknown condition operator "{op}"{names.did_you_mean(op, _ALL_FORMS)}',
            key=True,
        )
        return None
    spelled, family = known
    if spelled != base:
        yield policy.problem(
            pointer,
            "INVALID_CONDITION_OPERATOR",
            f'condition operator "{op}" must be spelled "{spelled}"',
            key=True,
        )
    if family == "Null" and (if_exists or qualifier):
        yield policy.problem(
            pointer,
            "NULL_WITH_IF_EXISTS",
            '"Null" takes no IfExists suffix or ForAnyValue/ForAllValues prefix',
            key=True,
        )
    return family


def _check_key(
    policy: Document, pointer: Pointer, op: str, family: str | None, key: str, value: Any
) -> Iterator[Problem]:
    if not _KEY.fullmatch(key):
        yield policy.problem(
            pointer,
            "INVALID_CONDITION_KEY_FORMAT",
            f'condition key "{key}" must be service:name, e.g. "aws:SourceIp"',
            key=True,
        )
        return
    found = policy.catalog.condition_key(key)
    prefix = key.partition(":")[0].lower()
    if found is None and (prefix == "aws" or policy.catalog.service_exists(prefix)):
        known = policy.catalog.condition_key_names(prefix)
        yield policy.problem(
            pointer,
            "UNKNOWN_CONDITION_KEY",
            f'condition key "{key}" is not in the IAM catalog{names.did_you_mean(key, known)}',
            key=True,
        )
    if family is None:
        return
    values = value if isinstance(value, list) else [value]
    for i, item in enumerate(values):
        at = (*pointer, i) if isinstance(value, list) else pointer
        problem = _check_value(family, item)
        if problem:
            yield policy.problem(
                at,
                "INVALID_CONDITION_VALUE",
                f"{json.dumps(item)} is not {problem} (operator {op})",
            )
    if found is None:
        return
    key_type = found.type.removeprefix("ArrayOf")
    fits = _FITS.get(family)
    if fits is not None and key_type not in fits and not (fits & found.also):
        yield policy.problem(
            pointer,
            "CONDITION_TYPE_MISMATCH",
            f'"{op}" compares {family.lower()} values, but "{found.name}" is of type '
            f"{found.type}{_never_matching(op, family, key_type, value)}",
            key=True,
        )
    if op.startswith("ForAllValues:") and not found.type.startswith("ArrayOf"):
        yield policy.problem(
            pointer,
            "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
            f'ForAllValues with the single-valued key "{found.name}" also '
            "matches requests without the key; use the plain operator",
            key=True,
        )


class _Actions:
    """The catalogued actions a statement's Action names, expanded once when first asked;
    None when they are not a known set (NotAction, "*", a service wildcard)."""

    def __init__(self, policy: Document, st: Statement) -> None:
        self._policy, self._st = policy, st
        self._found: list[Action] | None = None
        self._done = False

    def get(self) -> list[Action] | None:
        if not self._done:
            self._done = True
            self._found = self._expand()
        return self._found

    def _expand(self) -> list[Action] | None:
        if "Action" not in self._st.body:
            return None
        found: dict[str, Action] = {}
        for _, pattern in entries(self._st, "Action"):
            if pattern == "*" or names.has_wildcard(pattern.partition(":")[0]):
                return None
            for action in self._policy.catalog.expand(pattern):
                found.setdefault(action.full, action)
        return list(found.values())


_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "ArnNotEquals",
    "ArnNotLike",
    "NotIpAddress",
}


def _when_absent(op: str, value: Any) -> bool | None:
    """What the condition evaluates to in a request without its key; None when IfExists
    says the author expects such requests, or when it depends on the values."""
    qualifier, base, if_exists = _split(op)
    known = _OPERATORS.get(base.lower())
    if known is None or if_exists:
        return None
    spelled, family = known
    if family == "Null":
        values = {str(v).lower() for v in (value if isinstance(value, list) else [value])}
        return True if values == {"true"} else False if values == {"false"} else None
    if qualifier == "ForAllValues":
        return True
    if qualifier == "ForAnyValue":
        return False
    return spelled in _NEGATED


def _check_applies(
    policy: Document,
    st: Statement,
    actions: _Actions,
    pointer: Pointer,
    op: str,
    key: str,
    value: Any,
) -> Iterator[Problem]:
    """A service key that some of the statement's actions never carry in their requests:
    for them the condition always holds (a negated operator: the restriction does nothing)
    or never does (a positive one: the statement does nothing for them)."""
    prefix = key.partition(":")[0].lower()
    if prefix == "aws" or not policy.catalog.service_exists(prefix):
        return
    absent = _when_absent(op, value)
    if absent is None:
        return
    found = actions.get()
    if not found:
        return
    catalog = policy.catalog
    never = [a.full for a in found if catalog.applies(a, key) is False]
    if not never:
        return
    deny = st.body.get("Effect") == "Deny"
    who = (
        f"any of this statement's actions ({_some(never)})"
        if len(never) == len(found)
        else f"{_some(never)} (of this statement's actions)"
    )
    them = "it" if len(never) == 1 else "them"
    if absent:
        effect = (
            f"denies {them} whatever the value"
            if deny
            else f"allows {them} without this restriction"
        )
        tail = f"{op} is always true where the key is missing, so the statement {effect}"
    else:
        effect = f"never denies {them}" if deny else f"grants {them} nothing"
        tail = f"{op} is false where the key is missing, so the statement {effect}"
    yield policy.problem(
        pointer,
        "CONDITION_KEY_NOT_APPLICABLE",
        f'"{key}" is never in a request for {who}: {tail}',
        key=True,
    )


def _some(actions: list[str]) -> str:
    shown = ", ".join(actions[:3])
    return f"{shown} and {len(actions) - 3} more" if len(actions) > 3 else shown


def _never_matching(op: str, family: str, key_type: str, value: Any) -> str:
    """A string operator on a number, date or boolean key still compares the request's
    value as text: the values that are not of the key's type ("recent" for
    aws:MultiFactorAuthAge), which never match."""
    if family != "String" or key_type not in ("Numeric", "Date", "Bool"):
        return ""
    values = value if isinstance(value, list) else [value]
    bad = [
        (item, problem)
        for item in values
        if not ("Like" in op and names.has_wildcard(str(item)))
        and (problem := _check_value(key_type, item))
    ]
    if not bad:
        return ""
    item, problem = bad[0]
    more = f" (and {len(bad) - 1} more value(s))" if len(bad) > 1 else ""
    return f"; {json.dumps(item)} is not {problem}{more}, so it never matches"


def _check_value(family: str, value: Any) -> str | None:
    """What the value should have been, or None when it is fine."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if "${" in text:
        return None  # a policy variable: resolved at request time
    if family in ("Bool", "Null"):
        return None if text.lower() in ("true", "false") else "true or false"
    if family == "Numeric":
        return None if re.fullmatch(r"-?\d+(\.\d+)?", text) else "a number"
    if family == "Date":
        return None if _is_date(text) else "an ISO 8601 date or epoch seconds"
    if family == "IPAddress":
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            return "an IP address or CIDR range"
    return None


def _is_date(text: str) -> bool:
    if text.isdigit():
        return True
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
