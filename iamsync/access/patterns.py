"""Resource patterns as sets of ARNs: containment, matching and "every resource" (pure).

A policy's Resource pattern has `*` (any run), `?` (any one character) and IAM policy
variables (`${aws:username}`), which stand for one value fixed per request: the same
variable on both sides is the same value, and only a `*` can stand for it.

Every answer here errs on the side a reviewer needs: `covers(a, b)` is True only when every
ARN `b` matches is proven to match `a` (a doubtful case says "not covered", so the review
says "widened" rather than "no change"); `every_resource` is True whenever a pattern spans
every resource of a type, however it is spelled (`*`, `arn:*`, `…:key/*`, `…:key/?*`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

STAR = "\x00*"  # any run of characters, possibly empty
ONE = "\x00?"  # any one character
Token = str  # one character, STAR, ONE, or "\x00$name" (a policy variable)

_VARIABLE = re.compile(r"\$\{(\$|[^{}$]*)\}")  # ${$} is IAM's "$"; else stops at a "$"
# IAM's escapes: ${*}, ${?} and ${$} stand for the characters themselves.
_LITERAL = {"*": "*", "?": "?", "$": "$"}


@lru_cache(maxsize=65536)
def tokens(pattern: str) -> tuple[Token, ...]:
    """A policy pattern as tokens; compiled once per distinct pattern."""
    out: list[Token] = []
    pos = 0
    for m in _VARIABLE.finditer(pattern):
        out += _chars(pattern[pos : m.start()])
        name = m.group(1)
        out.append(_LITERAL[name] if name in _LITERAL else "\x00$" + name.lower())
        pos = m.end()
    out += _chars(pattern[pos:])
    return tuple(out)


def _chars(text: str) -> list[Token]:
    return [STAR if c == "*" else ONE if c == "?" else c for c in text]


def covers(wide: str, narrow: str) -> bool:
    """Every ARN that `narrow` matches, `wide` matches too (proven; False when unsure)."""
    return wide == narrow or wide == "*" or _covers(tokens(wide), tokens(narrow))


@lru_cache(maxsize=65536)
def _covers(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    """`a` matches `b` read as a word whose wildcards and variables only `a`'s `*` can
    absorb (`?` absorbs one character or one `?`). O(len(a) x len(b)) states."""
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a):
            if j == len(b):
                return True
            continue
        x = a[i]
        if x == STAR:
            todo.append((i + 1, j))
            if j < len(b):
                todo.append((i, j + 1))
        elif j < len(b):
            y = b[j]
            if (x == y and x != STAR) or (x == ONE and (len(y) == 1 or y == ONE)):
                todo.append((i + 1, j + 1))
    return False


def matches(
    pattern: str, arn: str, variables: Mapping[str, str] | None = None, *, unknown: bool = True
) -> bool:
    """Whether a concrete ARN matches the pattern. A variable takes its value from
    `variables` (lower-case names); an unknown one matches anything (`unknown`), or
    nothing (`unknown=False`: a Deny whose variable may resolve to something else is not
    proven to apply). O(len(pattern) x len(arn)): no regex, no backtracking blow-up."""
    known = variables or {}
    word: list[Token] = []
    for tok in tokens(pattern):
        if tok.startswith("\x00$"):
            name = tok[2:]
            if name in known:
                word += list(known[name])
            elif unknown:
                word.append(STAR)
            else:
                return False
        else:
            word.append(tok)
    return _matches(tuple(word), arn)


@lru_cache(maxsize=65536)
def _matches(word: tuple[Token, ...], text: str) -> bool:
    reach = {0}  # positions in `text` the pattern so far can end at
    for tok in word:
        if tok == STAR:
            reach = set(range(min(reach), len(text) + 1)) if reach else set()
        elif tok == ONE:
            reach = {i + 1 for i in reach if i < len(text)}
        else:
            reach = {i + 1 for i in reach if i < len(text) and text[i] == tok}
        if not reach:
            return False
    return len(text) in reach


def intersects(a: str, b: str) -> bool:
    """Whether some string matches both patterns (variables match anything): True unless
    proven disjoint, whatever a `*` swallows (":" included)."""
    return _intersects(_loose(a), _loose(b))


def may_name(a: str, b: str) -> bool:
    """Whether two ARN patterns may name one resource, segment by segment: for resource
    types whose ARNs have exactly six parts and names without ":" (IAM's, a stack's)."""
    x, y = a.split(":", 5), b.split(":", 5)
    if len(x) == len(y) == 6 and x[0] == y[0] == "arn":
        return all(_intersects(_loose(p), _loose(q)) for p, q in zip(x, y, strict=True))
    return intersects(a, b)


@lru_cache(maxsize=65536)
def _loose(pattern: str) -> tuple[Token, ...]:
    return tuple(STAR if t.startswith("\x00$") else t for t in tokens(pattern))


@lru_cache(maxsize=65536)
def _intersects(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
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
        if x == STAR:
            todo.append((i + 1, j))
            if y is not None:
                todo.append((i, j + 1))
        if y == STAR:
            todo.append((i, j + 1))
            if x is not None:
                todo.append((i + 1, j))
        both = x is not None and y is not None and STAR not in (x, y)
        if both and (x == y or ONE in (x, y)):
            todo.append((i + 1, j + 1))
    return False


# -- every resource ------------------------------------------------------------------------------


def every_resource(pattern: str, templates: tuple[str, ...] | None) -> bool:
    """Whether `pattern` spans every resource of one of an action's resource types (its
    catalog ARN templates), in any account and region it names; `()` is an action that takes
    only "*"; None (unknown) counts any ARN pattern ending in a wildcard."""
    if pattern == "*":
        return True
    if templates is None:
        return pattern.endswith("*")
    if not templates:
        return _matches_star(tokens(pattern))  # the request's resource is "*" itself
    return any(_spans(pattern, t) for t in templates)


@lru_cache(maxsize=16384)
def _matches_star(toks: tuple[Token, ...]) -> bool:
    """Whether the pattern matches the one-character resource "*" (wildcards aside, at most
    one `?` or escaped `*`)."""
    rest = [t for t in toks if t != STAR]
    return not rest or (len(rest) == 1 and rest[0] in (ONE, "*"))


@lru_cache(maxsize=65536)
def _spans(pattern: str, template: str) -> bool:
    """`pattern` covers the template in the partition, region and account it names: a
    complete segment of the pattern at those places stands for itself, anything else for
    any value; each ${Var} of the resource is "any non-empty value"."""
    t = template.split(":", 5)
    if len(t) != 6:
        return False
    p = _segments(pattern)
    word: list[Token] = []
    for i, segment in enumerate(t):
        if i:
            word.append(":")
        complete = i < len(p) - 1  # the pattern's last segment may swallow the ones after it
        if i in (1, 3, 4) and complete:
            word += list(tokens(p[i]))  # whatever partition, region, account it names
        elif i in (1, 3, 4) and _VARIABLE.fullmatch(segment):
            word += [ONE, STAR]
        else:
            word += _as_pattern(segment)
    return _covers(tokens(pattern), tuple(word))


def _segments(pattern: str) -> list[str]:
    """The pattern split at each ":" outside a policy variable (${aws:username} is one)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(pattern):
        if ch == "{" and pattern[i - 1 : i] == "$":
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
        elif ch == ":" and not depth:
            out.append(pattern[start:i])
            start = i + 1
    out.append(pattern[start:])
    return out


def _as_pattern(template: str) -> list[Token]:
    """A catalog template segment with each ${Var} as one-or-more of anything."""
    out: list[Token] = []
    pos = 0
    for m in _VARIABLE.finditer(template):
        out += list(template[pos : m.start()])
        out += [ONE, STAR]
        pos = m.end()
    out += list(template[pos:])
    return out


def any_covers(wide: Iterable[str], narrow: str) -> bool:
    return any(covers(w, narrow) for w in wide)
