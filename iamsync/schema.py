"""Structural checks of every file kind against the JSON Schemas in schema/."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from iamsync import names
from iamsync.problems import Problem
from iamsync.source import Source

KINDS = ("policy", "user", "config")


def schema_dir() -> Path:
    """schema/ of the checkout (source and editable installs), else the wheel's copy."""
    checkout = Path(__file__).resolve().parent.parent / "schema"
    if (checkout / "policy.schema.json").is_file():
        return checkout
    return Path(str(resources.files("iamsync") / "schema"))


@cache
def validator(kind: str) -> Draft202012Validator:
    schema = json.loads((schema_dir() / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def check(source: Source, kind: str) -> list[Problem]:
    """Every schema violation in `source`, each pointing at the offending key or value."""
    found = []
    for error in validator(kind).iter_errors(source.value):
        for leaf in _leaves(error):
            found.append(_problem(source, leaf))
    return found


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
                iter(difflib.get_close_matches(key, known, n=1, cutoff=0.7)), None)
            tail = f' (did you mean "{hint}"?)' if hint else _allowed(known)
            return source.problem((*pointer, key), "UNKNOWN_KEY",
                                  f'unknown key "{key}"{tail}', key=True)
    if v == "not" and isinstance(name, str):
        why = schema.get("description", "").removeprefix("Not allowed here: ")
        return source.problem(pointer, "NOT_ALLOWED", f'"{name}" is not allowed here: {why}',
                              key=True)
    if v == "required":
        missing = [k for k in schema["required"] if k not in instance]
        label = f" in {where}" if pointer else ""
        return source.problem(pointer, "MISSING_KEY",
                              f'missing required key "{missing[0]}"{label}', key=True)
    if v == "enum":
        options = " or ".join(json.dumps(o) for o in schema["enum"])
        return source.problem(pointer, "INVALID_VALUE",
                              f"{where} must be {options}, not {json.dumps(instance)}")
    if v == "type":
        return source.problem(pointer, "WRONG_TYPE",
                              f"{where} must be {_types(schema['type'], schema)}, "
                              f"not {_json_type(instance)}")
    if v in ("minItems", "minProperties", "minLength"):
        return source.problem(pointer, "EMPTY_VALUE", f"{where} must not be empty")
    if v == "pattern":
        return source.problem(pointer, "INVALID_VALUE",
                              f"{where} value {json.dumps(instance)} does not match "
                              f"{schema['pattern']}")
    if v == "propertyNames":
        return source.problem(pointer, "INVALID_VALUE", f"invalid name in {where}")
    return source.problem(pointer, "SCHEMA", f"{where}: {error.message}")


def _allowed(known: list[str]) -> str:
    return f"; allowed: {', '.join(known)}" if known else ""


def _types(expected: Any, schema: dict[str, Any]) -> str:
    kinds = [expected] if isinstance(expected, str) else list(expected)
    if set(kinds) == {"string", "array"} and schema.get("items", {}).get("type") == "string":
        return "a string or a list of strings"
    words = {"object": "an object", "array": "a list", "string": "a string",
             "integer": "an integer", "number": "a number", "boolean": "true or false"}
    return " or ".join(words.get(k, k) for k in kinds)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list", str: "a string", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)
