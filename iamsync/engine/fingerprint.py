"""Fingerprints: of the live state a plan was computed from, and of the desired state (pure)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from typing import Any

from iamsync import kinds
from iamsync.core.model import Desired, Live
from iamsync.core.ownership import under
from iamsync.iam import normalize


def of(live: Live, prefix: str, names: Iterable[str]) -> str:
    """A hash of the live state a plan was computed from.

    It covers every owned resource and every live resource named by one of the plan's
    changes, of every kind, so a saved plan is refused when any of them changed.
    """
    wanted = {n.lower() for n in names}
    lines = [f"account {live.account_id}"]
    for kind in kinds.registered():
        for record in live.of(kind.type).values():
            if under(record.path, prefix) or record.name.lower() in wanted:
                lines.append(normalize.dumps([kind.type, *kind.fingerprint(record)]))
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def desired(wanted: Desired) -> str:
    """A hash of the desired state: what the repository's files ask for, canonically."""
    value: list[Any] = [wanted.path_prefix, wanted.required_boundary or ""]
    for kind, records in sorted(wanted.resources.items()):
        value.append([kind, sorted((name, _plain(r)) for name, r in records.items())])
    return hashlib.sha256(normalize.dumps(value).encode()).hexdigest()


def _plain(record: Any) -> Any:
    """A desired record as canonical JSON-able data (documents canonicalised)."""
    out = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if f.name in ("document", "trust"):
            value = normalize.canonical(value)
        elif f.name == "inline":
            value = {n: normalize.canonical(d) for n, d in value.items()}
        elif isinstance(value, frozenset):
            value = sorted(value)
        elif hasattr(value, "items"):
            value = dict(value)
        out[f.name] = value
    return out
