"""Before and after, per action and resource: gained, lost, widened, narrowed (pure).

An action kept on both sides is *widened* when the after side may allow it somewhere the
before side did not (more resources, a condition dropped, a Deny or a boundary loosened),
and *narrowed* in the other direction; it can be both (moved from one resource to another).
"Contained" is proven pattern by pattern (patterns.covers), so a case the proof cannot
settle counts as widened: the review errs towards saying more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from iamsync.access import patterns
from iamsync.access.effective import Holdings, Scope

GrantKey = tuple[tuple[str, ...], bool, str]


@dataclass(frozen=True)
class Widening:
    """One action kept on both sides whose resources changed (the JSON's widened/narrowed)."""

    action: str
    before: tuple[str, ...]  # resource patterns it is allowed on before ("X if {…}": a condition)
    after: tuple[str, ...]
    why: str = ""  # display, when the patterns alone do not show it ("its boundary changed")


@dataclass(frozen=True)
class Difference:
    gained: frozenset[str]
    lost: frozenset[str]
    widened: tuple[Widening, ...]
    narrowed: tuple[Widening, ...]

    @property
    def none(self) -> bool:
        return not (self.gained or self.lost or self.widened or self.narrowed)


def difference(before: Holdings | None, after: Holdings | None) -> Difference:
    was = before.allowed if before else frozenset()
    now = after.allowed if after else frozenset()
    widened: list[Widening] = []
    narrowed: list[Widening] = []
    if before is not None and after is not None:
        for action in sorted(_candidates(before, after)):
            old, new = before.scope(action), after.scope(action)
            if old == new:
                continue
            wider, narrower = not contains(old, new), not contains(new, old)
            if wider or narrower:
                why = _why(old, new)
                item = Widening(action, tuple(old.patterns()), tuple(new.patterns()), why)
                if wider:
                    widened.append(item)
                if narrower:
                    narrowed.append(item)
    return Difference(now - was, was - now, tuple(widened), tuple(narrowed))


def _candidates(before: Holdings, after: Holdings) -> frozenset[str]:
    """The actions kept on both sides whose grants may differ: those of the documents only
    one side holds (every kept action when the boundary differs)."""
    both = before.allowed & after.allowed
    if before.boundary is not after.boundary:
        return both
    shared = {id(p) for p in before.policies} & {id(p) for p in after.policies}
    touched: set[str] = set()
    for p in (*before.policies, *after.policies):
        if id(p) not in shared:
            touched |= p.allowed
            touched.update(p.deny)
    return both & touched


def _why(old: Scope, new: Scope) -> str:
    if old.allows != new.allows:
        return ""
    if old.denies != new.denies:
        return "a Deny changed"
    return "its permissions boundary changed"


@lru_cache(maxsize=65536)
def contains(outer: Scope, inner: Scope) -> bool:
    """Every request `inner` allows, `outer` allows too (proven; False when unsure)."""
    pieces = [
        (g, b)
        for g in inner.allows
        for b in (inner.caps if inner.caps is not None else (None,))
        if b is None or _may_meet(g, b)
    ]
    for g, b in pieces:
        if not any(_piece_in(o, g, b) for o in outer.allows):
            return False
        if outer.caps is not None and not any(_piece_in(o, g, b) for o in outer.caps):
            return False
    for d in outer.denies:
        relevant = any(_may_meet(g, d) for g, _ in pieces)
        if relevant and not any(_covers(i, d) for i in inner.denies):
            return False
    return True


def _piece_in(outer: GrantKey, g: GrantKey, b: GrantKey | None) -> bool:
    """`outer` allows every request of the piece g ∩ b (g's and b's conditions both hold)."""
    held = _conditions(g[2]) | (_conditions(b[2]) if b else frozenset())
    if not _conditions(outer[2]) <= held:
        return False
    return _resources_cover(outer, g) or (b is not None and _resources_cover(outer, b))


def _covers(wide: GrantKey, narrow: GrantKey) -> bool:
    """`wide` applies whenever `narrow` does: on its resources, with fewer conditions."""
    return _conditions(wide[2]) <= _conditions(narrow[2]) and _resources_cover(wide, narrow)


def _resources_cover(wide: GrantKey, narrow: GrantKey) -> bool:
    w, w_not, _ = wide
    n, n_not, _ = narrow
    if w_not and n_not:  # all but W ⊇ all but N when W ⊆ N
        return all(patterns.any_covers(n, x) for x in w)
    if w_not:  # all but W ⊇ N when N and W share nothing
        return not any(patterns.intersects(r, x) for r in n for x in w)
    if n_not:
        return "*" in w
    return all(patterns.any_covers(w, r) for r in n)


def _may_meet(a: GrantKey, b: GrantKey) -> bool:
    if a[1] or b[1]:
        return True
    return any(patterns.intersects(x, y) for x in a[0] for y in b[0])


@lru_cache(maxsize=16384)
def _conditions(block: str) -> frozenset[tuple[str, str, tuple[str, ...]]]:
    """A Condition block's entries (operator, key, values): a block with more entries
    applies in fewer requests."""
    if not block:
        return frozenset()
    parsed: Any = json.loads(block)
    return frozenset(
        (op, key.lower(), tuple(values) if isinstance(values, list) else (str(values),))
        for op, keys in parsed.items()
        if isinstance(keys, dict)
        for key, values in keys.items()
    )
