"""Repository files for live resources under the ownership prefix that Git does not have yet.

Each kind writes the file that reproduces its live record exactly, so that the next plan
says "No changes"; the account id and partition inside ARNs become {{AccountId}} and
{{Partition}}, and owned policies are referred to by name.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from iamsync import kinds
from iamsync.core.model import Live
from iamsync.core.ownership import under
from iamsync.kinds.base import AdoptContext


@dataclass(frozen=True)
class Written:
    path: str  # relative to the repository root
    text: str
    unkept: tuple[str, ...] = ()  # what of the live resource the file cannot hold, said


def files(
    live: Live,
    prefix: str,
    present: Mapping[str, Collection[str]],
    required_boundary: str | None = None,
) -> list[Written]:
    """A file for every owned resource whose kind has no file of that name (`present`).
    `required_boundary` (iamsync.json's, rendered) is never written: the config sets it."""
    # a resource under the prefix (imported, or iamsync's) is written by its name, not its
    # ARN: files refer to each other so
    by_arn = {
        r.arn: r.name
        for kind in kinds.registered()
        for r in live.of(kind.type).values()
        if under(r.path, prefix) and getattr(r, "arn", None)
    }
    ctx = AdoptContext(live, prefix, by_arn, required_boundary)
    return [
        Written(
            f"{kind.folder}/{name}.json",
            _dump(kind.adopt(record, ctx)),
            tuple(getattr(kind, "unkept", lambda r: [])(record)),
        )
        for kind in kinds.registered()
        for name, record in sorted(live.of(kind.type).items())
        if under(record.path, prefix) and name not in present.get(kind.type, ())
    ]


def unowned(live: Live, prefix: str) -> list[Any]:
    """Live resources outside the prefix, of every kind (iamsync leaves them alone)."""
    return [
        record
        for records in live.resources.values()
        for record in records.values()
        if not under(record.path, prefix)
    ]


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
