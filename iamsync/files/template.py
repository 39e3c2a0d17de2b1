"""{{Variable}} substitution in policy documents; IAM's own ${...} variables pass untouched."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iamsync.files.source import Pointer

# Linear: no brace inside, no nested quantifiers ("{{" and 10,000 spaces is one scan).
_VAR = re.compile(r"\{\{([^{}]*)\}\}")

# Stand-ins used by offline validation when the target does not pin a value:
# real-looking and of real length, so ARN and size checks stay meaningful.
BUILTINS = ("AccountId", "Region", "Partition")
OFFLINE_DEFAULTS = {"AccountId": "123456789012", "Region": "us-east-1", "Partition": "aws"}


@dataclass(frozen=True)
class Unknown:
    """A {{Name}} with no value: where it is and what it was called."""

    pointer: Pointer
    in_key: bool
    name: str


def render(value: Any, variables: Mapping[str, str]) -> tuple[Any, list[Unknown]]:
    """Return `value` with every {{Name}} in strings and keys replaced, and the unknown names."""
    try:
        return _quick(value, variables), []
    except _Missing:  # some name has no value: again, keeping where each one sits
        unknown: list[Unknown] = []
        return _render(value, variables, (), unknown), unknown


class _Missing(Exception):
    pass


def _quick(value: Any, variables: Mapping[str, str]) -> Any:
    """_render for a value whose every name has a value (_Missing otherwise): no pointers
    are made, so a file's thousand strings cost a thousand "{{" searches."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: _value(m, variables), value) if "{{" in value else value
    if isinstance(value, dict):
        pairs = [
            (
                _VAR.sub(lambda m: _value(m, variables), k) if "{{" in k else k,
                _quick(v, variables),
            )
            for k, v in value.items()
        ]
        if all(a is b and x is y for (a, x), (b, y) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    if isinstance(value, list):
        items = [_quick(v, variables) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _value(match: re.Match[str], variables: Mapping[str, str]) -> str:
    found = variables.get(match.group(1).strip())
    if found is None:
        raise _Missing
    return found


def _render(value: Any, variables: Mapping[str, str], ptr: Pointer, unknown: list[Unknown]) -> Any:
    if isinstance(value, str):
        return _sub(value, variables, ptr, False, unknown)
    # What holds no {{Name}} is given back as it is, not copied: a repository's files are
    # held once, not twice (measured: 6 MB of 10,000 files).
    if isinstance(value, dict):
        out = {
            _sub(k, variables, (*ptr, k), True, unknown): _render(v, variables, (*ptr, k), unknown)
            for k, v in value.items()
        }
        same = len(out) == len(value) and all(
            a is b and x is y for (a, x), (b, y) in zip(out.items(), value.items(), strict=True)
        )
        return value if same else out
    if isinstance(value, list):
        items = [_render(v, variables, (*ptr, i), unknown) for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _sub(
    text: str, variables: Mapping[str, str], ptr: Pointer, in_key: bool, unknown: list[Unknown]
) -> str:
    if "{{" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name in variables:
            return variables[name]
        unknown.append(Unknown(ptr, in_key, name))
        return match.group(0)

    return _VAR.sub(replace, text)
