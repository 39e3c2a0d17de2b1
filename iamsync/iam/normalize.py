"""One canonical form for policy documents, so cosmetic differences never look like changes.

Both the desired document (from Git) and the live one (from IAM) pass through
`canonical`; two documents are the same policy when their canonical forms are
equal. Covered: key order and whitespace, a single string vs a one-element list,
order and duplicates in lists, action and condition-key case, the Effect's case,
scalar condition values vs their string forms, an empty Sid, a lone Statement
object, a trust policy's principals as string or list, and IAM's URL-encoded storage.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

_LISTS = ("Action", "NotAction", "Resource", "NotResource")
_CASELESS = ("Action", "NotAction")


def canonical(document: Any, *, fold_case: bool = True) -> dict[str, Any]:
    """The canonical form. `fold_case=False` keeps action spelling, for display."""
    doc = decode(document)
    if not isinstance(doc, dict):
        return {"_unparsed": doc}
    out: dict[str, Any] = {k: v for k, v in doc.items() if k != "Statement"}
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    canon = (
        [_statement(s, fold_case) for s in statements]
        if isinstance(statements, list)
        else statements
    )
    if isinstance(canon, list):
        unique = {dumps(s): s for s in canon}
        canon = [unique[k] for k in sorted(unique, key=_sort_key(unique))]
    out["Statement"] = canon
    return out


def equal(a: Any, b: Any) -> bool:
    return canonical(a) == canonical(b)


def dumps(value: Any) -> str:
    """Deterministic compact JSON of a canonical value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compact(document: Any) -> str:
    """A document as iamsync sends it: compact JSON (IAM does not count whitespace)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def pretty(value: Any) -> str:
    """Deterministic indented JSON, for diffs a person reads."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)


def decode(document: Any) -> Any:
    """A document as IAM may return it: a dict, or (URL-encoded) JSON text."""
    if isinstance(document, str):
        for text in (document, unquote(document)):
            try:
                return json.loads(text)
            except ValueError:
                continue
        return document
    return document


def _sort_key(unique: dict[str, dict[str, Any]]) -> Any:
    """Statements sort by Sid, then by content: stable and readable in diffs."""
    return lambda k: (str(unique[k].get("Sid", "")), k)


def _statement(st: Any, fold_case: bool) -> Any:
    if not isinstance(st, dict):
        return st
    out: dict[str, Any] = {}
    for key, value in st.items():
        if key == "Sid" and value == "":
            continue
        if key == "Effect" and isinstance(value, str):
            out[key] = value.capitalize()
        elif key in _LISTS:
            out[key] = _list(value, caseless=key in _CASELESS, fold=fold_case)
        elif key == "Condition" and isinstance(value, dict):
            out[key] = _condition(value, fold_case)
        elif key in ("Principal", "NotPrincipal") and isinstance(value, dict):
            out[key] = {kind: _list(v, caseless=False, fold=False) for kind, v in value.items()}
        else:
            out[key] = value
    return out


def _list(value: Any, *, caseless: bool, fold: bool) -> Any:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        return value
    if not caseless:
        return sorted(set(items))
    if fold:
        return sorted({i.lower() for i in items})
    unique: dict[str, str] = {}
    for item in items:  # keep the first spelling of a case-insensitive duplicate
        unique.setdefault(item.lower(), item)
    return [unique[k] for k in sorted(unique)]


def _condition(block: dict[str, Any], fold_case: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for op, keys in block.items():
        if not isinstance(keys, dict):
            out[op] = keys
            continue
        merged: dict[str, Any] = {}
        for key, values in keys.items():
            name = key.lower() if fold_case else key
            items = values if isinstance(values, list) else [values]
            merged[name] = sorted({_scalar(v) for v in items})
        out[op] = merged
    return out


def _scalar(value: Any) -> str:
    """IAM stores condition values as strings: true -> "true", 1 -> "1"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
