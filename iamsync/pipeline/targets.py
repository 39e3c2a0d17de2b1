"""Many targets at once (--all-targets, or --target given more than once): each planned
with its own session and account check, in parallel under a bound; one target's failure
(unreachable, refused, invalid) is its own result and the others go on. Prints nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from iamsync.aws import session as aws
from iamsync.core.errors import IamsyncError
from iamsync.core.problems import Problem
from iamsync.engine import plan as plan_mod, validate as validate_mod
from iamsync.files.tree import Tree
from iamsync.pipeline.plan import compute_plan


@dataclass(frozen=True)
class TargetPlan:
    name: str
    account_id: str  # the credentials' account, or the configured one when it failed
    plan: plan_mod.Plan | None
    error: str = ""  # why it could not be planned ("" when it was)
    connection: aws.Connection | None = None


@dataclass
class Collected:
    """A Reporter that keeps what it is told (one per target), for the caller to show once."""

    problems: list[Problem] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def validation(self, result: validate_mod.Result) -> None:
        with self.lock:
            self.problems += result.problems

    def refusals(self, found: list[Problem]) -> None:
        with self.lock:
            self.problems += found

    def step(self, doing: str) -> None:
        return None


def plan_all(
    root: Path, names: list[str], tree: Tree, commit: str, parallelism: int, report: Collected
) -> list[TargetPlan]:
    """Every named target's plan, in the order named."""
    from iamsync.aws import organizations

    config = organizations.with_discovered(validate_mod.read_config(root, tree))

    def one(name: str) -> TargetPlan:
        try:
            computed, connection = compute_plan(root, name, report, tree, commit)
        except IamsyncError as exc:
            configured = config.targets[name].account_id if name in config.targets else None
            return TargetPlan(name, configured or "", None, str(exc))
        return TargetPlan(name, computed.account_id, computed, "", connection)

    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(names)))) as pool:
        return list(pool.map(one, names))
