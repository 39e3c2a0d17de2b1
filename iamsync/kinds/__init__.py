"""The registered kinds, in the order their changes are shown and created.

Adding a kind is one module here (its Kind object), its schema and its tests; the stages
(validate, desired, live, plan, calls, plan file, renderers, import) loop over
`registered()`. `extended(kind)` registers one more for a while (an extension, a test).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from iamsync.kinds import group, managed_policy, role, user
from iamsync.kinds.base import Kind

__all__ = ["Kind", "by_type", "extended", "registered"]

_REGISTRY: list[Kind] = [managed_policy.KIND, user.KIND, group.KIND, role.KIND]


def registered() -> tuple[Kind, ...]:
    return tuple(_REGISTRY)


def by_type(type_: str) -> Kind | None:
    return next((k for k in _REGISTRY if k.type == type_), None)


@contextmanager
def extended(kind: Kind) -> Iterator[Kind]:
    """The registry with `kind` added, until the block ends."""
    _REGISTRY.append(kind)
    try:
        yield kind
    finally:
        _REGISTRY.remove(kind)
