"""Benchmark: what the access review adds to a plan (in-process, no server).

N users hold 3 of 1,000 policies each; 10 policies change. Times the plan's diff alone and
the access review alone, best of R runs, at 1,000 and 5,000 users.

Usage: python bench/access_bench.py [--users 1000 5000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import gen

from iamsync.access.review import review
from iamsync.desired import build
from iamsync.kinds.managed_policy import LivePolicy
from iamsync.kinds.user import LiveUser
from iamsync.model import Live, PolicyVersion
from iamsync.plan import diff
from iamsync.validate import default_catalog

ACCOUNT = "123456789012"
PREFIX = "/iamsync/"


def _render(doc: Any) -> Any:
    text = json.dumps(doc)
    for var, value in (
        ("{{Partition}}", "aws"),
        ("{{Region}}", "us-east-1"),
        ("{{AccountId}}", ACCOUNT),
    ):
        text = text.replace(var, value)
    return eval(text)


def state(users: int, policies: int = 1000, changed: int = 10) -> tuple[Any, Live]:
    rng = random.Random(7)
    docs = {f"policy-{n:04d}": _render(gen.policy(rng, n)) for n in range(policies)}
    held = {f"user-{n:05d}": sorted(rng.sample(sorted(docs), 3)) for n in range(users)}
    arn = f"arn:aws:iam::{ACCOUNT}:policy{PREFIX}"
    live_policies = {
        name: LivePolicy(
            name, arn + name, PREFIX, (PolicyVersion("v1", True, datetime(2026, 1, 1), doc),), 3
        )
        for name, doc in docs.items()
    }
    live_users = {
        name: LiveUser(
            name,
            f"arn:aws:iam::{ACCOUNT}:user{PREFIX}{name}",
            PREFIX,
            frozenset(arn + p for p in ps),
        )
        for name, ps in held.items()
    }
    live = Live(
        ACCOUNT,
        "aws",
        MappingProxyType(
            {"policy": MappingProxyType(live_policies), "user": MappingProxyType(live_users)}
        ),
    )
    wanted_docs = dict(docs)
    for name in sorted(docs)[:changed]:  # widen 10 policies by one action each
        doc = wanted_docs[name]
        extra = {"Effect": "Allow", "Action": "sqs:DeleteQueue", "Resource": "*"}
        wanted_docs[name] = {**doc, "Statement": [*doc["Statement"], extra]}
    wanted = build(
        {"policy": wanted_docs, "user": {n: {"policies": ps} for n, ps in held.items()}},
        account_id=ACCOUNT,
        partition="aws",
        path_prefix=PREFIX,
    )
    return wanted, live


def best(fn: Any, runs: int, *args: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    catalog = default_catalog()
    catalog.action_names("s3:GetObject")  # the catalog's first load is start-up, not review
    targets = {1000: 0.5, 5000: 1.0}
    for users in args.users:
        wanted, live = state(users)
        plan = diff(wanted, live)
        changed = [c.name for c in plan.changes if c.type == "policy"]
        t_diff = best(diff, args.runs, wanted, live)
        result = review(wanted, live, {}, catalog, changed)
        t_review = best(review, args.runs, wanted, live, {}, catalog, changed)
        target = targets.get(users)
        verdict = (
            ""
            if target is None
            else f" (target <= {target} s: {'met' if t_review <= target else 'NOT met'})"
        )
        print(
            f"{users} users x 3 of 1,000 policies, 10 changed: diff {t_diff:.3f} s, "
            f"access review {t_review:.3f} s{verdict}; {len(result.access)} principals gain or "
            f"lose, {len(result.findings)} findings"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
