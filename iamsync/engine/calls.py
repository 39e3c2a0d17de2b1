"""The plan as the exact IAM API calls, in an order decided once, as data.

Calls come in stages (kinds.base.Stage) that run one after another. A stage holds
chains: the calls of one chain run in order; different chains of a stage touch
different resources and may run concurrently. Each kind says which chains its change
needs in each stage; the stages encode every ordering rule:

1. policies: create, or (prune old versions ->) new default version / re-activation
2. principals: create, rename, tag, set boundary and trust; instance profiles
3. grant: attach policies, put inline policies, join groups   (new before old goes)
4. revoke: detach, delete inline policies, leave groups, untag
5. delete users and roles: what blocks their deletion first, then the principal
6. delete groups: members, policies, then the group
7. delete policies: non-default versions, then the policy    (after every detach)
"""

from __future__ import annotations

from iamsync import kinds
from iamsync.engine.plan import Plan
from iamsync.kinds.base import Call, CallContext, Chain, Stage

__all__ = ["Call", "Chain", "Stage", "StageCalls", "flat", "to_calls"]

StageCalls = tuple[Chain, ...]


def to_calls(plan: Plan, commit: str) -> tuple[StageCalls, ...]:
    """Every call that carries out `plan`, tagging what it writes with `commit`."""
    ctx = CallContext(plan.path_prefix, commit)
    stages = (
        tuple(
            chain
            for change in plan.changes
            for chain in _kind(change.type).calls(change, stage, ctx)
            if chain
        )
        for stage in Stage
    )
    return tuple(s for s in stages if s)


def flat(stages: tuple[StageCalls, ...]) -> list[Call]:
    return [call for stage in stages for chain in stage for call in chain]


def _kind(type_: str) -> kinds.Kind:
    found = kinds.by_type(type_)
    if found is None:
        raise KeyError(f"no registered kind {type_!r}")
    return found
