"""The read-only half of the loop: validate, read live IAM, diff into a Plan.

Nothing here prints: problems go to the caller's Reporter (the command line shows them).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from iamsync import kinds
from iamsync.access import review as access
from iamsync.aws import bulk, live, organizations, session as aws
from iamsync.core.errors import IamsyncError
from iamsync.core.model import Desired, Live
from iamsync.core.ownership import PlanConflict
from iamsync.core.problems import Problem
from iamsync.engine import desired, fingerprint, plan as plan_mod, validate as validate_mod
from iamsync.files.tree import Tree
from iamsync.kinds.base import Need
from iamsync.pipeline import early


class InvalidRepository(IamsyncError):
    """Validation found errors; they have been reported and nothing was written."""


class Reporter(Protocol):
    """Where a plan's problems go (the command line prints them; a test may keep them)."""

    def validation(self, result: validate_mod.Result) -> None: ...

    def refusals(self, found: list[Problem]) -> None: ...

    def step(self, doing: str) -> None:
        """What the plan is doing now ("reading live IAM"); "" when it is done."""
        ...


@dataclass(frozen=True)
class State:
    """The repository validated with the account's values, and live IAM, read once."""

    result: validate_mod.Result
    wanted: Desired
    live: Live
    connection: aws.Connection
    digest: str  # fingerprint.desired(wanted): what a saved plan is checked against


def read_state(root: Path, target_name: str | None, report: Reporter, tree: Tree) -> State:
    """Validate `tree` with the account's real values and read live IAM. Writes nothing."""
    config = organizations.with_discovered(validate_mod.read_config(root, tree))
    # the identity call and the bulk read go out together (or went, early.start); nothing
    # read is used before the identity is known and the account checked
    target = config.target(target_name)
    report.step("reading live IAM and validating the files")
    # IAM reads while the repository validates: the slow parts overlap.
    started = early.take(target)
    if started is not None:
        connection, pages = started.connection, started.pages
    else:
        sent: list[Future[list[Any]]] = []
        connection = aws.connect(
            target, checked=False, meanwhile=lambda iam: sent.append(bulk.start(iam))
        )
        pages = sent[0]
    ident = connection.identity
    builtins = {"AccountId": ident.account_id, "Partition": ident.partition}
    if connection.region:
        builtins["Region"] = connection.region
    result = validate_mod.check(
        root, target=target_name, builtins=builtins, tree=tree, targets=config.targets
    )
    report.validation(result)
    if not result.ok:
        pages.cancel()
        raise InvalidRepository("the repository has errors; nothing was planned or written")
    # what the files ask for needs only the account's values: built (and hashed) while
    # the last pages are in flight, not after them
    wanted = desired.build(
        result.values,
        account_id=ident.account_id,
        partition=ident.partition,
        path_prefix=result.config.path_prefix,
        required_boundary=result.required_boundary,
        policy_quota=result.config.managed_policies_per_user,
    )
    digest = fingerprint.desired(wanted)
    with aws.reading("live IAM"):
        state = live.assemble(pages.result(), ident.account_id, ident.partition, connection.client)
    gc.freeze()  # the live state stays to the end: keep the collector from re-scanning it
    state = live.complete(state, Need(wanted.path_prefix, wanted), connection.client)
    return State(result, wanted, state, connection, digest)


def managed_documents(state: State) -> tuple[dict[str, Any], list[str]]:
    """The AWS-managed documents the principals hold (ARN -> document), and those unread."""
    with aws.reading("the AWS-managed policies principals hold"):
        held = access.aws_managed(state.wanted, state.live, kinds.access_roles())
        return live.documents(state.connection.iam, held)


def compute_plan(
    root: Path,
    target_name: str | None,
    report: Reporter,
    tree: Tree,
    commit: str | Callable[[], str],
) -> tuple[plan_mod.Plan, aws.Connection]:
    """Validate `tree` with the account's real values, read live IAM, diff. Writes nothing.

    `commit` is the commit `tree` holds ("" when its files are not all committed), or
    what says it when asked at the end (a comparison with HEAD that runs meanwhile).
    """
    prepared = read_state(root, target_name, report, tree)
    result, wanted, state, connection = (
        prepared.result,
        prepared.wanted,
        prepared.live,
        prepared.connection,
    )
    report.step("planning")
    try:
        computed = plan_mod.diff(wanted, state)
        with aws.reading("the policies to attach"):
            live.check_policies_exist(connection.iam, computed, state, result.required_boundary)
    except PlanConflict as exc:
        refusals = sorted(result.locate(c) for c in exc.conflicts)
        report.refusals(refusals)
        raise InvalidRepository(
            f"the plan was refused ({len(refusals)} problem"
            f"{'s' if len(refusals) > 1 else ''} with live IAM above); nothing was written"
        ) from exc
    computed = replace(
        computed,
        commit=commit() if callable(commit) else commit,
        desired_digest=prepared.digest,
    )
    if computed.empty:
        # Nothing is written, so nobody's access changes: there is nothing to review, and no
        # AWS-managed document to read. (Reviewing would compare the files with live IAM
        # where the plan found them equal, and at most say "no effective change".)
        report.step("")
        return computed, connection
    report.step("reviewing access")
    roles = kinds.access_roles()
    managed, unread = managed_documents(prepared)
    changed = [  # managed documents the plan writes (its reach diagram)
        c.name
        for c in computed.changes
        if c.type in roles.documents and not c.action.is_destructive
    ]
    catalog = validate_mod.catalog_for(result.config)
    computed = replace(
        computed, review=access.review(wanted, state, managed, catalog, changed, roles=roles)
    )
    if unread:
        notes = (*computed.review.notes, f"not in the review (not readable): {', '.join(unread)}")
        computed = replace(computed, review=replace(computed.review, notes=notes))
    report.step("")
    return computed, connection
