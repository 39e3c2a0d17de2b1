"""Structural checks of every file kind against the JSON Schemas in schema/."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iamsync import names
from iamsync.problems import Problem
from iamsync.source import Source

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

KINDS = ("policy", "user", "config")


def schema_dir() -> Path:
    """schema/ of the checkout (source and editable installs), else the wheel's copy."""
    checkout = Path(__file__).resolve().parent.parent / "schema"
    if (checkout / "policy.schema.json").is_file():
        return checkout
    return Path(str(resources.files("iamsync") / "schema"))


@cache
def load_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (schema_dir() / f"{kind}.schema.json").read_text(encoding="utf-8")
    )
    return schema


@cache
def validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # costly import: only when a file is invalid

    return Draft202012Validator(load_schema(kind))


def check(source: Source, kind: str) -> list[Problem]:
    """Every schema violation in `source`, each pointing at the offending key or value."""
    schema = load_schema(kind)
    if _accepts(schema, source.value, schema):
        return []
    found = []
    for error in validator(kind).iter_errors(source.value):
        for leaf in _leaves(error):
            found.append(_problem(source, leaf))
    return found


# -- fast acceptance -----------------------------------------------------------------------
# Most files are valid. This small interpreter of the keywords our schemas use says
# "valid" in microseconds; anything it does not accept (or a keyword it does not
# know) goes to jsonschema, which gives the authoritative verdict and the messages.
# tests/test_schema.py holds the two to agreement on every file the suite has.

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description"})
_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _accepts(schema: Any, value: Any, root: dict[str, Any]) -> bool:
    if schema is True:
        return True
    if schema is False or not isinstance(schema, dict):
        return False
    for keyword, arg in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        check = _KEYWORDS.get(keyword)
        if check is None or not check(arg, value, schema, root):
            return False
    return True


def _type_ok(arg: Any, value: Any, _s: Any, _r: Any) -> bool:
    return any(_is_type(t, value) for t in ([arg] if isinstance(arg, str) else arg))


def _is_type(name: str, value: Any) -> bool:
    if name in ("integer", "number"):
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (name == "number" and isinstance(value, float))
    kind = _TYPES.get(name)
    return kind is not None and type(value) is kind


def _properties_ok(arg: Any, value: Any, _s: Any, root: dict[str, Any]) -> bool:
    return not isinstance(value, dict) or all(
        _accepts(arg[k], v, root) for k, v in value.items() if k in arg
    )


def _additional_ok(arg: Any, value: Any, schema: Any, root: dict[str, Any]) -> bool:
    if not isinstance(value, dict):
        return True
    known = schema.get("properties", {})
    return all(_accepts(arg, v, root) for k, v in value.items() if k not in known)


def _items_ok(arg: Any, value: Any, _s: Any, root: dict[str, Any]) -> bool:
    return not isinstance(value, list) or all(_accepts(arg, v, root) for v in value)


def _ref_ok(arg: Any, value: Any, _s: Any, root: dict[str, Any]) -> bool:
    if not arg.startswith("#/$defs/"):
        return False
    return _accepts(root["$defs"][arg.removeprefix("#/$defs/")], value, root)


def _if_ok(arg: Any, value: Any, schema: Any, root: dict[str, Any]) -> bool:
    if _accepts(arg, value, root):
        return _accepts(schema.get("then", True), value, root)
    return _accepts(schema.get("else", True), value, root)


def _pattern_ok(arg: Any, value: Any, _s: Any, _r: Any) -> bool:
    return not isinstance(value, str) or _regex(arg).search(value) is not None


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _sized(kind: type, measure: Any) -> Any:
    return lambda arg, value, _s, _r: not isinstance(value, kind) or measure(value, arg)


_KEYWORDS: dict[str, Any] = {
    "type": _type_ok,
    "properties": _properties_ok,
    "additionalProperties": _additional_ok,
    "required": lambda arg, value, _s, _r: (
        not isinstance(value, dict) or all(k in value for k in arg)
    ),
    "enum": lambda arg, value, _s, _r: any(value == o and type(value) is type(o) for o in arg),
    "items": _items_ok,
    "minItems": _sized(list, lambda v, n: len(v) >= n),
    "minProperties": _sized(dict, lambda v, n: len(v) >= n),
    "minLength": _sized(str, lambda v, n: len(v) >= n),
    "minimum": lambda arg, value, _s, _r: not _is_type("number", value) or value >= arg,
    "maximum": lambda arg, value, _s, _r: not _is_type("number", value) or value <= arg,
    "pattern": _pattern_ok,
    "propertyNames": lambda arg, value, _s, root: (
        not isinstance(value, dict) or all(_accepts(arg, k, root) for k in value)
    ),
    "allOf": lambda arg, value, _s, root: all(_accepts(a, value, root) for a in arg),
    "not": lambda arg, value, _s, root: not _accepts(arg, value, root),
    "if": _if_ok,
    "then": lambda *_: True,  # decided by "if"
    "else": lambda *_: True,
    "$ref": _ref_ok,
}


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The most specific errors: an if/then or $ref failure stands for its causes."""
    if error.context:
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error


def _problem(source: Source, error: ValidationError) -> Problem:
    pointer = tuple(error.absolute_path)
    name = pointer[-1] if pointer else None
    where = f'"{name}"' if isinstance(name, str) else "value"
    v = error.validator
    instance: Any = error.instance
    schema: Any = error.schema
    if v == "additionalProperties":
        extra = sorted(set(instance) - set(schema.get("properties", {})))
        for key in extra:
            known = list(schema.get("properties", {}))
            hint = names.near_miss(key, known) or next(
                iter(difflib.get_close_matches(key, known, n=1, cutoff=0.7)), None
            )
            tail = f' (did you mean "{hint}"?)' if hint else _allowed(known)
            return source.problem(
                (*pointer, key), "UNKNOWN_KEY", f'unknown key "{key}"{tail}', key=True
            )
    if v == "not" and isinstance(name, str):
        why = schema.get("description", "").removeprefix("Not allowed here: ")
        return source.problem(
            pointer, "NOT_ALLOWED", f'"{name}" is not allowed here: {why}', key=True
        )
    if v == "required":
        missing = [k for k in schema["required"] if k not in instance]
        label = f" in {where}" if pointer else ""
        return source.problem(
            pointer, "MISSING_KEY", f'missing required key "{missing[0]}"{label}', key=True
        )
    if v == "enum":
        options = " or ".join(json.dumps(o) for o in schema["enum"])
        return source.problem(
            pointer, "INVALID_VALUE", f"{where} must be {options}, not {json.dumps(instance)}"
        )
    if v == "type":
        return source.problem(
            pointer,
            "WRONG_TYPE",
            f"{where} must be {_types(schema['type'], schema)}, not {_json_type(instance)}",
        )
    if v in ("minItems", "minProperties", "minLength"):
        return source.problem(pointer, "EMPTY_VALUE", f"{where} must not be empty")
    if v == "pattern":
        return source.problem(
            pointer,
            "INVALID_VALUE",
            f"{where} value {json.dumps(instance)} does not match {schema['pattern']}",
        )
    if v == "propertyNames":
        return source.problem(pointer, "INVALID_VALUE", f"invalid name in {where}")
    return source.problem(pointer, "SCHEMA", f"{where}: {error.message}")


def _allowed(known: list[str]) -> str:
    return f"; allowed: {', '.join(known)}" if known else ""


def _types(expected: Any, schema: dict[str, Any]) -> str:
    kinds = [expected] if isinstance(expected, str) else list(expected)
    if set(kinds) == {"string", "array"} and schema.get("items", {}).get("type") == "string":
        return "a string or a list of strings"
    words = {
        "object": "an object",
        "array": "a list",
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true or false",
    }
    return " or ".join(words.get(k, k) for k in kinds)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)
