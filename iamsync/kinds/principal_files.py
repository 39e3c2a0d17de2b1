"""Principal files (users, groups, roles): references resolve, quotas hold, tags follow
IAM's rules, inline policies pass every policy rule and fit IAM's total for the kind."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from iamsync.core.model import BOOKKEEPING_TAGS as RESERVED_TAGS
from iamsync.core.problems import Problem
from iamsync.files.source import Pointer, Source
from iamsync.iam import limits, names
from iamsync.kinds import documents
from iamsync.kinds.base import CheckContext
from iamsync.policy.rules.context import DocKind, Document

POLICY_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):iam::(?P<account>aws|\d{12}):policy/(?:[!-~]+/)*(?P<name>"
    r"[\w+=,.@-]{1,128})",
    re.ASCII,
)
_TAG_EXTRA = set("_.:/=+-@")


@dataclass(frozen=True)
class PrincipalFile:
    source: Source
    noun: str  # "user" | "group" | "role"
    name: str
    value: Any  # after {{Variable}} substitution
    ctx: CheckContext

    @property
    def policy_names(self) -> Mapping[str, str]:
        return self.ctx.names.get("policy", {})

    @property
    def quota(self) -> int:
        return self.ctx.quota

    @property
    def required_boundary(self) -> str | None:
        return self.ctx.required_boundary

    def problem(self, pointer: Pointer, code: str, message: str, *, key: bool = False) -> Problem:
        return self.source.problem(pointer, code, message, key=key)


def check(user: PrincipalFile) -> Iterator[Problem]:
    """What every principal file shares: policies, boundary, tags, inline policies."""
    if not isinstance(user.value, dict):
        return
    yield from _check_policies(user)
    yield from _check_boundary(user)
    yield from _check_tags(user)
    yield from _check_inline(user)


def _check_boundary(user: PrincipalFile) -> Iterator[Problem]:
    boundary = user.value.get("permissions_boundary")
    if isinstance(boundary, str):
        problem = _check_reference(user, ("permissions_boundary",), boundary)
        if problem:
            yield problem
        elif user.required_boundary and boundary != user.required_boundary:
            yield user.problem(
                ("permissions_boundary",),
                "BOUNDARY_NOT_ALLOWED",
                f"iamsync.json requires the permissions boundary {user.required_boundary} for "
                f'every {user.noun}; "{boundary}" would replace it (remove this key: the '
                "required boundary is set for you)",
            )


def _check_inline(user: PrincipalFile) -> Iterator[Problem]:
    """Each inline policy passes every rule (the file's schema checked its structure);
    together they fit IAM's total."""
    inline = user.value.get("inline_policies")
    if not isinstance(inline, dict):
        return
    raw = user.source.value.get("inline_policies") if isinstance(user.source.value, dict) else None
    # A name may hold {{Variables}}: positions are found by the key as written (same order).
    written = list(raw) if isinstance(raw, dict) and len(raw) == len(inline) else list(inline)
    total = 0
    for (name, doc), key in zip(inline.items(), written, strict=True):
        at: Pointer = ("inline_policies", key)
        if not names.POLICY_NAME.fullmatch(name):
            yield user.problem(
                at,
                "INVALID_NAME",
                f'"{name}" is not a valid inline policy name (1-128 of A-Z a-z 0-9 +=,.@_-)',
                key=True,
            )
        if not isinstance(doc, dict):
            continue
        yield from documents.check(
            Document(user.source, at, doc, DocKind.IDENTITY, user.ctx.catalog)
        )
        total += limits.policy_size(doc)
    allowed = limits.INLINE_POLICIES_SIZE[user.noun]
    if total > allowed:
        yield user.problem(
            ("inline_policies",),
            "INLINE_POLICIES_TOO_LARGE",
            f"the {user.noun}'s inline policies are {total:,} characters without whitespace "
            f"together; IAM allows {allowed:,} for a {user.noun}: move some into managed "
            "policies",
            key=True,
        )


def _check_policies(user: PrincipalFile) -> Iterator[Problem]:
    refs = user.value.get("policies")
    if not isinstance(refs, list):
        return
    seen: dict[str, Pointer] = {}
    for i, ref in enumerate(refs):
        if not isinstance(ref, str):
            continue
        key = ref if ref.startswith("arn:") else ref.lower()
        if key in seen:
            yield user.problem(
                ("policies", i),
                "DUPLICATE_POLICY",
                f'"{ref}" is listed twice (first at line {user.source.where(seen[key])[0]})',
            )
            continue
        seen[key] = ("policies", i)
        problem = _check_reference(user, ("policies", i), ref)
        if problem:
            yield problem
    if len(seen) > user.quota:
        yield user.problem(
            ("policies",),
            "TOO_MANY_POLICIES",
            f"{len(seen)} managed policies attached; IAM allows {user.quota} per "
            f"{user.noun} (if your account's quota is raised, set "
            "quotas.managed_policies_per_user in iamsync.json)",
            key=True,
        )


def _check_reference(user: PrincipalFile, pointer: Pointer, ref: str) -> Problem | None:
    if ref.startswith("arn:"):
        match = POLICY_ARN.fullmatch(ref)
        if match is None:
            return user.problem(
                pointer,
                "INVALID_POLICY_ARN",
                f'"{ref}" is not a managed policy ARN '
                "(arn:aws:iam::aws:policy/NAME or "
                "arn:aws:iam::123456789012:policy/PATH/NAME)",
            )
        if match["partition"] not in names.PARTITIONS:
            return user.problem(
                pointer,
                "INVALID_POLICY_ARN",
                f'unknown partition "{match["partition"]}" in "{ref}"',
            )
        return None
    other = user.policy_names.get(ref.lower())
    if other == ref:
        return None
    if other is not None:
        return user.problem(
            pointer,
            "UNKNOWN_POLICY",
            f'no policy "{ref}"; names are case-sensitive: did you mean '
            f'"{other}" (policies/{other}.json)?',
        )
    hint = names.near_miss(ref, user.policy_names.values())
    tail = (
        f'; did you mean "{hint}"?'
        if hint
        else " (use a full ARN for a policy that is not in this repository)"
    )
    return user.problem(
        pointer, "UNKNOWN_POLICY", f'no file policies/{ref}.json defines policy "{ref}"{tail}'
    )


def check_groups(user: PrincipalFile) -> Iterator[Problem]:
    """A user's groups: valid names, once each, within IAM's count."""
    groups = user.value.get("groups")
    if not isinstance(groups, list):
        return
    seen: set[str] = set()
    for i, group in enumerate(groups):
        if not isinstance(group, str):
            continue
        if not names.GROUP_NAME.fullmatch(group):
            yield user.problem(
                ("groups", i),
                "INVALID_NAME",
                f'"{group}" is not a valid group name (1-128 of A-Z a-z 0-9 +=,.@_-)',
            )
        elif group.lower() in seen:
            yield user.problem(
                ("groups", i),
                "DUPLICATE_GROUP",
                f'group "{group}" is listed twice (group names are case-insensitive)',
            )
        seen.add(group.lower())
    if len(seen) > limits.GROUPS_PER_USER:
        yield user.problem(
            ("groups",),
            "TOO_MANY_GROUPS",
            f"{len(seen)} groups; IAM allows {limits.GROUPS_PER_USER} per user",
            key=True,
        )


def _check_tags(user: PrincipalFile) -> Iterator[Problem]:
    tags = user.value.get("tags")
    if not isinstance(tags, dict):
        return
    allowed = limits.TAGS_PER_RESOURCE - len(RESERVED_TAGS)
    if len(tags) > allowed:
        yield user.problem(
            ("tags",),
            "TOO_MANY_TAGS",
            f"{len(tags)} tags; IAM allows {limits.TAGS_PER_RESOURCE} per {user.noun} "
            f"and iamsync uses {len(RESERVED_TAGS)} ({', '.join(RESERVED_TAGS)})"
            f", so at most {allowed}",
            key=True,
        )
    seen: dict[str, str] = {}
    for key, value in tags.items():
        yield from _check_tag(user, key, value, seen)


def _check_tag(
    user: PrincipalFile, key: str, value: Any, seen: dict[str, str]
) -> Iterator[Problem]:
    at = ("tags", key)
    if not 1 <= len(key) <= limits.TAG_KEY_LENGTH:
        yield user.problem(
            at,
            "INVALID_TAG",
            f"tag key is {len(key)} characters; IAM allows 1-{limits.TAG_KEY_LENGTH}",
            key=True,
        )
    elif key.lower().startswith("aws:"):
        yield user.problem(
            at, "INVALID_TAG", f'tag key "{key}": the "aws:" prefix is reserved for AWS', key=True
        )
    elif key.lower() in RESERVED_TAGS:
        yield user.problem(
            at,
            "INVALID_TAG",
            f'tag key "{key}" is written by iamsync itself; pick another key',
            key=True,
        )
    elif bad := _bad_tag_char(key):
        yield user.problem(
            at,
            "INVALID_TAG",
            f'tag key "{key}" contains {bad}; allowed are '
            "letters, digits, spaces and _ . : / = + - @",
            key=True,
        )
    elif key.lower() in seen:
        yield user.problem(
            at,
            "DUPLICATE_TAG",
            f'tag key "{key}" differs only in case from "{seen[key.lower()]}"; '
            "tag keys are case-insensitive, so IAM keeps one",
            key=True,
        )
    seen.setdefault(key.lower(), key)
    if not isinstance(value, str):
        return
    if len(value) > limits.TAG_VALUE_LENGTH:
        yield user.problem(
            at,
            "INVALID_TAG",
            f"tag value is {len(value)} characters; IAM allows up to {limits.TAG_VALUE_LENGTH}",
        )
    elif bad := _bad_tag_char(value):
        yield user.problem(
            at,
            "INVALID_TAG",
            f"tag value contains {bad}; allowed are letters, digits, spaces and _ . : / = + - @",
        )


def _bad_tag_char(text: str) -> str | None:
    """Describe the first character outside [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@], if any."""
    for ch in text:
        if ch not in _TAG_EXTRA and unicodedata.category(ch)[0] not in "LZN":
            return f'"{ch}" (U+{ord(ch):04X})'
    return None
