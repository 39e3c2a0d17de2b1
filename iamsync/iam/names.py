"""IAM's naming rules and the string helpers the checks share (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Iterable

USER_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
POLICY_NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
GROUP_NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
# A managed policy path: "/", or "/a/b/" with IAM's policy-path characters.
SID = re.compile(r"[A-Za-z0-9]*")
PARTITIONS = (
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
)


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, for "did you mean"."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def near_miss(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo of `word` most likely meant, or None when none is close.

    Close means at most one edit for short words and two for long ones
    (transpositions count as one), compared case-insensitively.
    """
    close = near_misses(word, candidates)
    return close[0] if close else None


def near_misses(word: str, candidates: Iterable[str]) -> list[str]:
    """Every close candidate (see near_miss), nearest first, then in the order given."""
    word_l = word.lower()
    if len(word_l) < 2:
        return []
    budget = 1 if len(word_l) <= 8 else 2
    found = []
    for order, candidate in enumerate(candidates):
        if abs(len(candidate) - len(word_l)) > budget:
            continue
        d = distance(word_l, candidate.lower())
        if d <= budget:
            found.append((d, order, candidate))
    return [candidate for _, _, candidate in sorted(found)]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """'; did you mean "X"?' for the nearest candidate, or "" when none is close."""
    hint = near_miss(word, candidates)
    return f'; did you mean "{hint}"?' if hint else ""
