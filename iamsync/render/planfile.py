"""The plan as JSON: what --format json prints and --out saves, and reading it back.

Changes are converted by their dataclass fields and type hints, whatever the kind: a new
field or kind needs no code here.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, TextIO

from iamsync import kinds
from iamsync.access.review import Review
from iamsync.core import safe
from iamsync.core.errors import IamsyncError
from iamsync.engine.plan import Plan
from iamsync.kinds.base import Action, Change

FORMAT_VERSION = 3


def to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "account_id": plan.account_id,
        "partition": plan.partition,
        "path_prefix": plan.path_prefix,
        "fingerprint": plan.fingerprint,
        "owned": plan.owned,
        "commit": plan.commit,
        "desired_digest": plan.desired_digest,
        "summary": {a.value: plan.count(a) for a in Action},
        "changes": [change_json(c) for c in plan.changes],
        "access": _json(plan.review.access),
        "findings": _json(plan.review.findings),
        "access_notes": _json(plan.review.notes),
        "reach": _json(plan.review.reach),
        "access_analyzer": _json(plan.review.analyzer),
        "left_alone": list(plan.left_alone),
    }


# What a reviewer reads about access, derived from the changes and from documents AWS may
# update on its own (AWS-managed policies); not what apply does. A saved plan is compared
# without them.
REVIEW_KEYS = ("access", "findings", "access_notes", "reach", "access_analyzer")


def without_review(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in REVIEW_KEYS}


def change_json(c: Change) -> dict[str, Any]:
    """One change: action, type and name first (the contract), then every other field."""
    head = ("action", "type", "name")
    fields = {f.name: _json(getattr(c, f.name)) for f in dataclasses.fields(c)}
    return {**{k: fields[k] for k in head}, **{k: v for k, v in fields.items() if k not in head}}


def dumps(plan: Plan) -> str:
    """ASCII JSON (a terminal shows no raw control character) with no "##[" in it."""
    return safe.json_text(json.dumps(to_json(plan), indent=2, ensure_ascii=True)) + "\n"


def write(plan: Plan, out: TextIO) -> None:
    """dumps(plan), written as it is encoded: a plan of 25,000 changes is never one string.
    Outside strings JSON has no "#", and the encoder yields each string whole, so each
    piece is made safe on its own."""
    pending: list[str] = []
    size = 0
    for piece in json.JSONEncoder(indent=2, ensure_ascii=True).iterencode(to_json(plan)):
        pending.append(safe.json_text(piece))
        size += len(piece)
        if size > 1 << 16:
            out.write("".join(pending))
            pending, size = [], 0
    out.write("".join(pending) + "\n")


def loads(text: str, source: str = "plan file") -> Plan:
    """Read a saved plan; anything malformed is one clear error."""
    try:
        data = json.loads(text)
        if data.get("format_version") != FORMAT_VERSION:
            raise IamsyncError(
                f"{source}: format_version {data.get('format_version')!r} is not "
                f"{FORMAT_VERSION}; re-run --plan --out with this iamsync"
            )
        return Plan(
            changes=tuple(_read_change(c) for c in data["changes"]),
            account_id=str(data["account_id"]),
            partition=str(data["partition"]),
            path_prefix=str(data["path_prefix"]),
            of_live=str(data["fingerprint"]),
            owned=int(data["owned"]),
            commit=str(data["commit"]),
            desired_digest=str(data["desired_digest"]),
            left_alone=tuple(str(x) for x in data["left_alone"]),
            review=_build(
                Review,
                {
                    "access": data["access"],
                    "findings": data["findings"],
                    "notes": data["access_notes"],
                    "reach": data["reach"],
                    "analyzer": data["access_analyzer"],
                },
            ),
        )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else safe.line(str(exc))
        raise IamsyncError(f"{source} is not a plan saved by iamsync --out ({reason})") from exc


def _json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset):
        return [_json(v) for v in value]
    return value


def _read_change(data: Mapping[str, Any]) -> Change:
    kind = kinds.by_type(data["type"])
    if kind is None:
        raise ValueError(f"unknown change type {data['type']!r}")
    return typing.cast(Change, _build(kind.change_class, data))


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    values = {
        f.name: _from_json(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.init
    }
    return cls(**values)


def _from_json(hint: Any, value: Any) -> Any:
    """`value` (from JSON) as the type `hint` says: tuples, mappings, enums, dataclasses."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or value is None:
        return value
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _from_json(inner[0], value) if len(inner) == 1 else value
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value)
    if origin is tuple:
        item = args[0] if args else Any
        return tuple(_from_json(item, v) for v in value)
    if origin is frozenset:
        return frozenset(_from_json(args[0], v) for v in value)
    if origin in (Mapping, dict) or hint in (dict,):
        item = args[1] if len(args) == 2 else Any
        return types.MappingProxyType({str(k): _from_json(item, v) for k, v in value.items()})
    if hint in (str, int, bool):
        if not isinstance(value, hint):
            raise TypeError(f"expected {hint.__name__}, got {type(value).__name__}")
        return value
    return value
