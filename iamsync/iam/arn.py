"""ARN shape and glob matching against the catalog's ARN templates (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from iamsync.iam import names

_STAR = object()
_ONE = object()
_POLICY_VAR = re.compile(r"\$\{[^{}$]*\}")  # stops at the next "$": "${${${…" is linear


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse(text: str) -> Arn | str:
    """The ARN's parts, or a sentence saying what is wrong with it."""
    parts = text.split(":", 5)
    if parts[0] != "arn":
        return 'must be "*" or an ARN starting with "arn:"'
    if len(parts) < 6:
        return "an ARN has 6 parts, arn:partition:service:region:account:resource"
    _, partition, service, region, account, resource = parts
    if not partition:
        return "the ARN has no partition (e.g. aws)"
    if not _is_pattern(partition) and partition not in names.PARTITIONS:
        return f'unknown partition "{partition}" (one of {", ".join(names.PARTITIONS)})'
    if not service:
        return "the ARN has no service (the third part)"
    if (
        account
        and not _is_pattern(account)
        and account != "aws"
        and not (account.isdigit() and len(account) == 12)
    ):
        return f'account "{account}" is not a 12-digit account id'
    return Arn(partition, service, region, account, resource)


def fits(arn: str, template: str) -> bool:
    """Can some resource match both the policy ARN (with * ? ${var}) and the template?"""
    return _fits(arn.lower(), template.lower())


@lru_cache(maxsize=65536)
def _fits(arn: str, template: str) -> bool:
    a = arn.split(":", 5)
    t = template.split(":", 5)
    if len(a) != 6 or len(t) != 6:
        return False
    return all(_segment_fits(x, y) for x, y in zip(a[1:], t[1:], strict=True))


def _segment_fits(policy: str, template: str) -> bool:
    if template.startswith("${") and template.endswith("}") and template.count("${") == 1:
        return True  # the template takes anything here, e.g. ${Region}
    if not _is_pattern(policy):
        return _literal_fits(policy, template)
    return _intersects(_tokens(policy, policy=True), _tokens(template, policy=False))


def _literal_fits(text: str, template: str) -> bool:
    """Whether a literal `text` matches `template`, whose ${...} variables take any run:
    its literal runs, in order, leftmost first (exact for patterns of only any-runs), with
    str's own search, so time is linear in the text for a catalog template."""
    runs = _literal_runs(template)
    if len(runs) == 1:  # no variable
        return text == template
    first, middle, last = runs[0], runs[1:-1], runs[-1]
    end = len(text) - len(last)
    if end < len(first) or not text.startswith(first) or not text.endswith(last):
        return False
    pos = len(first)
    for run in middle:
        found = text.find(run, pos, end)
        if found < 0:
            return False
        pos = found + len(run)
    return True


@lru_cache(maxsize=4096)
def _literal_runs(template: str) -> tuple[str, ...]:
    return tuple(_POLICY_VAR.split(template))


def _is_pattern(text: str) -> bool:
    return names.has_wildcard(text) or "${" in text or "{{" in text


def _tokens(text: str, *, policy: bool) -> tuple[object, ...]:
    """Characters, with wildcards and ${...} variables as _STAR/_ONE markers."""
    out: list[object] = []
    pos = 0
    for m in _POLICY_VAR.finditer(text):
        out.extend(_chars(text[pos : m.start()], policy))
        out.append(_STAR)
        pos = m.end()
    out.extend(_chars(text[pos:], policy))
    return tuple(out)


def _chars(text: str, policy: bool) -> list[object]:
    if not policy:
        return list(text)
    return [_STAR if c == "*" else _ONE if c == "?" else c for c in text]


def _intersects(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Whether two patterns of chars, _STAR (any run) and _ONE (any char) share a match."""
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        x = a[i] if i < len(a) else None
        y = b[j] if j < len(b) else None
        if x is _STAR:
            todo.append((i + 1, j))
            if y is not None:
                todo.append((i, j + 1))
        if y is _STAR:
            todo.append((i, j + 1))
            if x is not None:
                todo.append((i + 1, j))
        if (
            x is not None
            and y is not None
            and x is not _STAR
            and y is not _STAR
            and (x is _ONE or y is _ONE or x == y)
        ):
            todo.append((i + 1, j + 1))
    return False
