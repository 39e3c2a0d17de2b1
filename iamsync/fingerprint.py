"""The fingerprint of the live state a plan was computed from (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from iamsync import normalize
from iamsync.model import Desired, Live
from iamsync.ownership import owned


def of(live: Live, prefix: str, names: Iterable[str]) -> str:
    """A hash of the live state a plan was computed from.

    It covers every owned resource and every live resource named by one of the
    plan's changes, so a saved plan is refused when any of them changed.
    """
    wanted = {n.lower() for n in names}
    lines = [f"account {live.account_id}"]
    for u in live.users.values():
        if owned(u.path, prefix) or u.name.lower() in wanted:
            lines.append(
                normalize.dumps(
                    [
                        "user",
                        u.name,
                        u.path,
                        sorted(u.attached),
                        sorted(u.tags.items()),
                        sorted(u.groups),
                        sorted(u.inline_policies),
                        u.permissions_boundary,
                    ]
                )
            )
    for p in live.policies.values():
        if owned(p.path, prefix) or p.name.lower() in wanted:
            versions = sorted((v.id, v.is_default, normalize.dumps(v.document)) for v in p.versions)
            lines.append(
                normalize.dumps(
                    ["policy", p.name, p.path, p.attachment_count, p.boundary_count, versions]
                )
            )
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def desired(wanted: Desired) -> str:
    """A hash of the desired state: what the repository's files ask for, canonically."""
    value = [
        wanted.path_prefix,
        sorted((p.name, p.arn, normalize.canonical(p.document)) for p in wanted.policies.values()),
        sorted(
            (
                u.name,
                sorted(u.policies),
                sorted(u.tags.items()),
                sorted(u.groups),
                u.permissions_boundary or "",
            )
            for u in wanted.users.values()
        ),
    ]
    return hashlib.sha256(normalize.dumps(value).encode()).hexdigest()
