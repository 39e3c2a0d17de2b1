"""--suggest: what a principal's own CloudTrail events say it needs and does not use.

Reads the repository (validated with the account's values) and live IAM as a plan does,
takes the principal's effective access from the repository's files (the access review's
engine), and reads the evidence: CloudTrail files, or LookupEvents. Writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamsync import kinds
from iamsync.access import sides
from iamsync.access.effective import Evaluator, Holdings, Principal
from iamsync.core.errors import ConfigError
from iamsync.engine import suggest as suggest_mod, validate as validate_mod
from iamsync.evidence import records as records_mod
from iamsync.evidence.events import Who
from iamsync.evidence.records import Record
from iamsync.files.tree import Tree
from iamsync.pipeline.plan import Reporter, State, managed_documents, read_state


@dataclass(frozen=True)
class Suggested:
    suggestion: suggest_mod.Suggestion
    state: State
    principal: Principal  # as the repository's files make it (the access review's)
    kind: str


def parse_principal(text: str) -> tuple[str, str]:
    """ "user/NAME" or "role/NAME" (any kind whose records are principals) -> (kind, name)."""
    kind, _, name = text.partition("/")
    principals = kinds.access_roles().principals
    if not name or "/" in name or kind not in principals:
        shapes = " or ".join(f"{k}/NAME" for k in principals)
        raise ConfigError(f"--suggest takes {shapes} (a principal of the repository), not {text!r}")
    return kind, name


def suggest(
    root: Path,
    target_name: str | None,
    report: Reporter,
    tree: Tree,
    principal: str,
    evidence: Iterable[Record] | None,
    lookup: Any = None,
) -> Suggested:
    """`evidence`: records read from files; None: read LookupEvents with `lookup`
    (called with the connection and the principal, it yields records)."""
    kind, name = parse_principal(principal)
    state = read_state(root, target_name, report, tree)
    if name not in state.wanted.of(kind):
        folder = next(k.folder for k in kinds.registered() if k.type == kind)
        raise ConfigError(
            f"no {kind} {name} in the repository ({folder}/{name}.json): --suggest reads the "
            "principals iamsync manages"
        )
    report.step("reading the principal's policies")
    roles = kinds.access_roles()
    managed, _unread = managed_documents(state)
    catalog = validate_mod.catalog_for(state.result.config)
    after, _ = sides.desired_sides(state.wanted, state.live, managed, sides.Indexer(catalog), roles)
    held = after[f"{kind} {name}"].principal
    evaluator = Evaluator(catalog)
    holdings = evaluator.holdings(held)
    identity = Holdings(holdings.policies, None, catalog)
    who = Who(held.iam_type, name, state.live.account_id, sessions=kind in roles.assumable)
    report.step("reading the evidence")
    records = evidence if evidence is not None else lookup(state.connection, who)
    found = suggest_mod.suggest(
        who, _progress(records, report), holdings, identity, held.variables, catalog
    )
    report.step("")
    return Suggested(found, state, held, kind)


def read_files(paths: list[Path]) -> Iterator[Record]:
    return records_mod.read(paths)


def _progress(records: Iterable[Record], report: Reporter) -> Iterator[Record]:
    for i, record in enumerate(records, 1):
        if i % 100_000 == 0:
            report.step(f"reading the evidence: {i:,} events")
        yield record
