"""ARN shape and glob matching against the catalog's ARN templates (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from iamsync.iam import names

_STAR = object()
_ONE = object()
_NAME = object()
# Template variables whose values hold no "/" (the service's naming rules): a bucket is
# not "bucket/key", a DynamoDB table is not "table/t/index/i".
_ACCOUNT = 4  # the account's place among the segments after "arn"
# Services whose own resources (public documents and parameters, service views, partner
# event sources) have ARNs without an account, though their templates say ${Account}.
_OWNED_BY_AWS = frozenset({"ssm", "resource-explorer-2", "partnercentral", "events"})
# (lower case, as fits() compares)
_NO_SLASH = frozenset({"bucketname", "tablename", "indexname", "accesspointname"})
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
    parts = _split(text)
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
    if region and not _is_pattern(region) and not _REGION.fullmatch(region):
        return f'region "{region}" is not a region name such as us-east-1{_region_hint(region)}'
    return Arn(partition, service, region, account, resource)


# us-east-1, us-gov-west-1, cn-northwest-1, us-isob-east-1, eusc-de-east-1: letters in
# dashed words, then the number. A shape, not a list, so a new region is accepted.
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+){1,3}-[0-9]{1,2}")


def _region_hint(region: str) -> str:
    if _REGION.fullmatch(region.lower()):
        return " (region names are lower case)"
    if _REGION.fullmatch(region[:-1]) and region[-1].isalpha():
        return f' ("{region}" is an Availability Zone; its region is {region[:-1]})'
    return ""


def _split(text: str) -> list[str]:
    """Its six parts, at the colons outside policy variables ("${aws:username}")."""
    if "${" not in text:
        return text.split(":", 5)
    masked = _POLICY_VAR.sub(lambda m: "_" * len(m.group()), text)
    parts, pos = [], 0
    for _ in range(5):
        end = masked.find(":", pos)
        if end < 0:
            break
        parts.append(text[pos:end])
        pos = end + 1
    parts.append(text[pos:])
    return parts


def fits(arn: str, template: str) -> bool:
    """Can some resource match both the policy ARN (with * ? ${var}) and the template?"""
    return _fits(arn.lower(), template.lower())


@lru_cache(maxsize=65536)
def _fits(arn: str, template: str) -> bool:
    a = _split(arn)
    t = template.split(":", 5)
    if len(a) != 6 or len(t) != 6:
        return False
    for index, (x, y) in enumerate(zip(a[1:], t[1:], strict=True), 1):
        if not x and _whole_variable(y) and (index != _ACCOUNT or t[2] not in _OWNED_BY_AWS):
            return False  # "arn:aws:iam:::role/x" names no role: IAM's ARNs carry an account
        if not _segment_fits(x, y):
            return False
    return True


def _segment_fits(policy: str, template: str) -> bool:
    if _whole_variable(template) and template[2:-1] not in _NO_SLASH:
        return True  # the template takes any value here, e.g. ${Region}
    if not _is_pattern(policy):
        if not _restricted(template):
            return _literal_fits(policy, template)
        regex = _literal_regex(template)
        if regex is not None:
            return regex.fullmatch(policy) is not None
    return _intersects(_tokens(policy, policy=True), _tokens(template, policy=False))


@lru_cache(maxsize=4096)
def _literal_regex(template: str) -> re.Pattern[str] | None:
    """A template with slash-free variables as a regex for literal text: each such
    variable "[^/]*", the others ".*". Only with at most one ".*", so matching is linear
    (a "[^/]*" cannot take the "/" that ends it); None otherwise (the general walk)."""
    parts: list[str] = []
    anything = 0
    pos = 0
    for m in _POLICY_VAR.finditer(template):
        parts.append(re.escape(template[pos : m.start()]))
        if m.group()[2:-1] in _NO_SLASH:
            parts.append("[^/]*")
        else:
            parts.append(".*")
            anything += 1
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts), re.DOTALL) if anything <= 1 else None


def _whole_variable(template: str) -> bool:
    return template.startswith("${") and template.endswith("}") and template.count("${") == 1


def _restricted(template: str) -> bool:
    return any(m.group()[2:-1] in _NO_SLASH for m in _POLICY_VAR.finditer(template))


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
    """Characters, with wildcards and ${...} variables as _STAR/_ONE markers (a template's
    variable of a name that holds no "/" as _NAME)."""
    out: list[object] = []
    pos = 0
    for m in _POLICY_VAR.finditer(text):
        out.extend(_chars(text[pos : m.start()], policy))
        out.append(_NAME if not policy and m.group()[2:-1] in _NO_SLASH else _STAR)
        pos = m.end()
    out.extend(_chars(text[pos:], policy))
    return tuple(out)


def _chars(text: str, policy: bool) -> list[object]:
    if not policy:
        return list(text)
    return [_STAR if c == "*" else _ONE if c == "?" else c for c in text]


def _intersects(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Whether two patterns of chars, _STAR (any run), _NAME (any run without "/") and
    _ONE (any char) share a match: a walk over pairs of positions, each seen once, after
    the characters both begin and both end with (each must be the same in both)."""
    start, end = 0, 0
    while start < min(len(a), len(b)) and type(a[start]) is str and type(b[start]) is str:
        if a[start] != b[start]:
            return False
        start += 1
    while (
        end < min(len(a), len(b)) - start and type(a[-1 - end]) is str and type(b[-1 - end]) is str
    ):
        if a[-1 - end] != b[-1 - end]:
            return False
        end += 1
    a, b = a[start : len(a) - end], b[start : len(b) - end]
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
        x_run, y_run = x is _STAR or x is _NAME, y is _STAR or y is _NAME
        if x_run:
            todo.append((i + 1, j))  # the run ends
        if y_run:
            todo.append((i, j + 1))
        if x is None or y is None or (x_run and y_run) or not _share_char(x, y):
            continue
        todo.append((i if x_run else i + 1, j if y_run else j + 1))  # one character of both
    return False


def _share_char(x: object, y: object) -> bool:
    """Whether one character can match both tokens (neither None, not both runs)."""
    if isinstance(x, str) and isinstance(y, str):
        return x == y
    if x is _NAME or y is _NAME:
        other = y if x is _NAME else x
        return other != "/"
    return True
