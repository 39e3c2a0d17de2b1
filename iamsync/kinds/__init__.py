"""The registered kinds, in the order their changes are shown and created.

Adding a kind is one module here (its Kind object), its schema and its tests; the stages
(validate, desired, live, plan, calls, plan file, renderers, import) loop over
`registered()`. `extended(kind)` registers one more for a while (an extension, a test).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from iamsync.access.sides import Roles
from iamsync.kinds import group, managed_policy, role, user
from iamsync.kinds.base import Access, Kind

__all__ = [
    "Access",
    "Kind",
    "access_roles",
    "bootstrap",
    "by_type",
    "extended",
    "registered",
    "with_access",
]

_REGISTRY: list[Kind] = [managed_policy.KIND, user.KIND, group.KIND, role.KIND]


def registered() -> tuple[Kind, ...]:
    return tuple(_REGISTRY)


def by_type(type_: str) -> Kind | None:
    return next((k for k in _REGISTRY if k.type == type_), None)


def with_access(role: Access) -> tuple[Kind, ...]:
    """The registered kinds whose records are `role` to the access review."""
    return tuple(k for k in _REGISTRY if getattr(k, "access", Access.NONE) is role)


def access_roles() -> Roles:
    """What each registered kind is to the access review (which reads records by role)."""
    principals = with_access(Access.PRINCIPAL)
    return Roles(
        principals=tuple(k.type for k in principals),
        group=next((k.type for k in with_access(Access.GROUP)), ""),
        documents={
            k.type: k.managed_document  # type: ignore[attr-defined]
            for k in with_access(Access.DOCUMENT)
        },
        assumable=tuple(k.type for k in principals if getattr(k, "assumable", False)),
    )


def bootstrap() -> Kind:
    """What bootstrap/policies/ files are checked as: managed policy documents (iamsync's
    own roles and boundary, which it validates but never syncs)."""
    return with_access(Access.DOCUMENT)[0]


@contextmanager
def extended(kind: Kind) -> Iterator[Kind]:
    """The registry with `kind` added, until the block ends."""
    _REGISTRY.append(kind)
    try:
        yield kind
    finally:
        _REGISTRY.remove(kind)
