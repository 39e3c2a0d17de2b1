"""Structural checks of every file kind against the JSON Schemas in schema/."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema_rs import ValidationErrorKind as Kind

from iamsync.core.problems import Problem
from iamsync.files.source import Pointer, Source
from iamsync.iam import names


def schema_dir() -> Path:
    """schema/ of the checkout (source and editable installs), else the wheel's copy."""
    checkout = Path(__file__).resolve().parents[2] / "schema"
    if (checkout / "policy.schema.json").is_file():
        return checkout
    return Path(str(resources.files("iamsync") / "schema"))


DEFINITIONS = "defs"  # what the other schemas share (defs.schema.json), not a file's schema


def schema_names() -> tuple[str, ...]:
    """Every schema the folder holds (one per kind's files, the config, the trust policy a
    role embeds, the shared definitions): the folder is the one list of them."""
    return tuple(
        sorted(p.name.removesuffix(".schema.json") for p in schema_dir().glob("*.schema.json"))
    )


@cache
def load_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (schema_dir() / f"{kind}.schema.json").read_text(encoding="utf-8")
    )
    return schema


@cache
def _registry() -> jsonschema_rs.Registry:
    """Every schema of the folder by its $id, so one schema's $ref to another (each role
    file's trust policy, every inline policy) resolves here, never over the network."""
    return jsonschema_rs.Registry([(load_schema(n)["$id"], load_schema(n)) for n in schema_names()])


@cache
def validator(kind: str) -> jsonschema_rs.Validator:
    return _compiled(load_schema(kind))


def _compiled(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(schema, registry=_registry(), offline=True)


@cache
def _definition(name: str) -> jsonschema_rs.Validator:
    return _compiled({"$ref": f"{load_schema(DEFINITIONS)['$id']}#/$defs/{name}"})


def valid(definition: str, value: Any) -> bool:
    """Whether `value` is a well-formed `definition` of defs.schema.json (such as an
    "identity_statement"), for code that must only read well-formed parts of a file."""
    return bool(_definition(definition).is_valid(value))


def check(source: Source, kind: str | Mapping[str, Any], base: Pointer = ()) -> list[Problem]:
    """Every schema violation in `source` (or in its part at `base`, such as an inline
    policy), each pointing at the offending key or value. `kind`: a schema file's name,
    or a schema itself (a kind that carries its own)."""
    node: Any = source.value
    for step in base:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return []  # not in the file as written: the caller's pointer names no node
    if isinstance(kind, str):
        rules, schema = validator(kind), load_schema(kind)
    else:
        schema = dict(kind)
        rules = _compiled(schema)
    if rules.is_valid(node):
        return []
    return [
        problem
        for error in rules.iter_errors(node)
        for problem in _problems(source, error, schema, base)
    ]


def _node(schema: dict[str, Any], error: jsonschema_rs.ValidationError) -> Any:
    """The schema object that holds the failing keyword: in the schema the error's keyword
    is written in (a $ref may lead into another file of the folder)."""
    uri, _, _ = (error.absolute_keyword_location or "").partition("#")
    written = uri.rsplit("/", 1)[-1].removesuffix(".schema.json")
    if uri and written in schema_names():
        schema = load_schema(written)
    node: Any = schema
    for step in error.schema_path[:-1]:
        node = node[step]
    return node


def _problems(
    source: Source, error: jsonschema_rs.ValidationError, schema: dict[str, Any], base: Pointer
) -> Iterator[Problem]:
    pointer = (*base, *error.instance_path)
    name = pointer[-1] if pointer else None
    where = f'"{name}"' if isinstance(name, str) else "value"
    here = _node(schema, error)
    kind = error.kind
    instance: Any = error.instance
    if isinstance(kind, Kind.AdditionalProperties):
        known = list(here.get("properties", {}))
        for key in sorted(kind.unexpected):
            hint = names.near_miss(key, known) or next(
                iter(difflib.get_close_matches(key, known, n=1, cutoff=0.7)), None
            )
            tail = f' (did you mean "{hint}"?)' if hint else _allowed(known)
            yield source.problem(
                (*pointer, key), "UNKNOWN_KEY", f'unknown key "{key}"{tail}', key=True
            )
    elif isinstance(kind, Kind.Required):
        label = f" in {where}" if pointer else ""
        yield source.problem(
            pointer, "MISSING_KEY", f'missing required key "{kind.property}"{label}', key=True
        )
    elif isinstance(kind, Kind.Not) and isinstance(name, str):
        why = here.get("description", "").removeprefix("Not allowed here: ")
        yield source.problem(
            pointer, "NOT_ALLOWED", f'"{name}" is not allowed here: {why}', key=True
        )
    elif isinstance(kind, Kind.Enum):
        options = " or ".join(json.dumps(o) for o in kind.options)
        yield source.problem(
            pointer, "INVALID_VALUE", f"{where} must be {options}, not {json.dumps(instance)}"
        )
    elif isinstance(kind, Kind.Type):
        yield source.problem(
            pointer,
            "WRONG_TYPE",
            f"{where} must be {_types(kind.types, here)}, not {_json_type(instance)}",
        )
    elif isinstance(kind, Kind.MinItems | Kind.MinProperties | Kind.MinLength):
        yield source.problem(pointer, "EMPTY_VALUE", f"{where} must not be empty")
    elif isinstance(kind, Kind.Pattern):
        yield source.problem(
            pointer,
            "INVALID_VALUE",
            f"{where} value {json.dumps(instance)} does not match {kind.pattern}",
        )
    elif isinstance(kind, Kind.PropertyNames):
        yield source.problem(
            pointer, "INVALID_VALUE", f"invalid name in {where}: {kind.error.message}"
        )
    else:
        yield source.problem(pointer, "SCHEMA", f"{where}: {error.message}")


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
