"""Benchmark: what the access review adds to a plan (in-process, no server).

N users hold 3 of 1,000 policies each; 10 policies change. Each size runs twice: without a
permissions boundary, and with the one users ship (bootstrap/policies/iamsync-boundary.json,
required by iamsync.json, held by every user). Prints, best of R runs: the diff alone, the
review alone, the plan (diff + review) with the boundary against the same plan without it
(target <= 1.2x), and what the review adds (target <= 0.5 s at 1,000 users).

With --process N it also times whole `sync.py --plan` processes against a moto server (the
test suite's, which keeps user boundaries) at N users, applied once without and once with
the boundary: the configuration users ship against the same plan without it, end to end.

Usage: python bench/access_bench.py [--users 1000 5000] [--runs 5] [--process 1000]
"""

from __future__ import annotations

import argparse
import functools
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

from iamsync import kinds
from iamsync.access.review import review as _review
from iamsync.core.model import Live, PolicyVersion
from iamsync.engine.desired import build
from iamsync.engine.plan import diff
from iamsync.engine.validate import default_catalog
from iamsync.kinds.managed_policy import LivePolicy
from iamsync.kinds.user import LiveUser

review = functools.partial(_review, roles=kinds.access_roles())

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


REPO = Path(__file__).resolve().parent.parent
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/iamsync-boundary"


def _boundary() -> LivePolicy:
    doc = _render(
        json.loads((REPO / "bootstrap" / "policies" / "iamsync-boundary.json").read_text())
    )
    version = PolicyVersion("v1", True, datetime(2026, 1, 1), doc)
    return LivePolicy("iamsync-boundary", BOUNDARY, "/", (version,), 0)


def state(
    users: int, policies: int = 1000, changed: int = 10, *, bounded: bool = False
) -> tuple[Any, Live]:
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
            permissions_boundary=BOUNDARY if bounded else None,
        )
        for name, ps in held.items()
    }
    if bounded:
        live_policies["iamsync-boundary"] = _boundary()
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
        required_boundary=BOUNDARY if bounded else None,
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
    parser.add_argument("--process", type=int, default=1000, help="users, whole-process plans")
    args = parser.parse_args()
    catalog = default_catalog()
    catalog.action_names("s3:GetObject")  # the catalog's first load is start-up, not review
    for users in args.users:
        plans = {}
        for bounded in (False, True):
            wanted, live = state(users, bounded=bounded)
            plan = diff(wanted, live)
            changed = [c.name for c in plan.changes if c.type == "policy"]
            review(wanted, live, {}, catalog, changed)  # warm: the catalog's per-action data
            t_diff = best(diff, args.runs, wanted, live)
            result = review(wanted, live, {}, catalog, changed)
            t_review = best(review, args.runs, wanted, live, {}, catalog, changed)
            plans[bounded] = t_diff + t_review
            label = "with the shipped boundary" if bounded else "no boundary"
            print(
                f"{users} users x 3 of 1,000 policies, 10 changed, {label}: diff {t_diff:.3f} s,"
                f" access review {t_review:.3f} s; {len(result.access)} principals change, "
                f"{len(result.findings)} findings"
            )
            if bounded and users == 1000:
                verdict = "met" if t_review <= 0.5 else "NOT met"
                said = f"target <= 0.5 s: {verdict}"
                print(f"  the review adds {t_review:.3f} s at 1,000 users ({said})")
        print(
            f"  offline part of the plan (diff + review) with the boundary / without: "
            f"{plans[True]:.3f} s / {plans[False]:.3f} s = {plans[True] / plans[False]:.2f}x "
            f"(+{plans[True] - plans[False]:.3f} s: the boundary's 22,000-action document, "
            "indexed once; the whole plan's ratio is --process)"
        )
    for roles in (800, 5000):
        t = best(review, args.runs, *roles_state(roles), {}, catalog, ["shared"])
        print(
            f"{roles} bounded roles trusting the account, one shared policy changed: access "
            f"review {t:.3f} s (each role may assume every other: once quadratic)"
        )
    if args.process:
        whole = {
            bounded: process_plan(args.process, bounded, args.runs) for bounded in (False, True)
        }
        ratio = whole[True] / whole[False]
        print(
            f"whole `sync.py --plan` process, {args.process} users, a change reaching 10 "
            f"policies' holders: with the boundary {whole[True]:.2f} s / without "
            f"{whole[False]:.2f} s = {ratio:.2f}x (target <= 1.2x: "
            f"{'met' if ratio <= 1.2 else 'NOT met'})"
        )
    return 0


def roles_state(roles: int) -> tuple[Any, Live]:
    """`roles` owned roles under the boundary, each trusting the account root and allowed
    sts:AssumeRole on every role, all holding one policy the plan widens."""
    from iamsync.kinds.role import LiveRole

    arn = f"arn:aws:iam::{ACCOUNT}:policy{PREFIX}shared"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }
    shared = LivePolicy(
        "shared", arn, PREFIX, (PolicyVersion("v1", True, datetime(2026, 1, 1), doc),), roles
    )
    live_roles = {
        f"role-{n:05d}": LiveRole(
            f"role-{n:05d}",
            f"arn:aws:iam::{ACCOUNT}:role{PREFIX}role-{n:05d}",
            PREFIX,
            frozenset({arn}),
            permissions_boundary=BOUNDARY,
            trust=trust,
        )
        for n in range(roles)
    }
    live = Live(
        ACCOUNT,
        "aws",
        MappingProxyType(
            {
                "policy": MappingProxyType({"shared": shared, "iamsync-boundary": _boundary()}),
                "role": MappingProxyType(live_roles),
            }
        ),
    )
    wider = {
        **doc,
        "Statement": [*doc["Statement"], {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
    }
    wanted = build(
        {
            "policy": {"shared": wider},
            "role": {n: {"trust_policy": trust, "policies": ["shared"]} for n in live_roles},
        },
        account_id=ACCOUNT,
        partition="aws",
        path_prefix=PREFIX,
        required_boundary=BOUNDARY,
    )
    return wanted, live


def process_plan(users: int, bounded: bool, runs: int) -> float:
    """Best wall time of `sync.py --plan` after applying `users` users (and one policy per
    user), with one policy then widened; bounded: iamsync.json requires the boundary."""
    import os
    import subprocess
    import tempfile

    import boto3
    from plan_apply_bench import moto_server, run

    from iamsync.aws import local

    with tempfile.TemporaryDirectory() as tmp, moto_server(module="tests.moto_server") as url:
        repo = Path(tmp) / "repo"
        gen.write(repo, users, users)
        if bounded:
            config = {"permissions_boundary": BOUNDARY}
            (repo / "iamsync.json").write_text(json.dumps(config))
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        if bounded:
            iam = boto3.client(
                "iam",
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            local.provide_boundary(iam, BOUNDARY, REPO)
        git = ["git", "-c", "user.email=b@example.invalid", "-c", "user.name=bench"]
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        subprocess.run([*git, "commit", "-qm", "bench"], cwd=repo, check=True)
        run(repo, env, Path(tmp) / "apply.log", "--apply")
        for n in range(10):  # widen 10 policies: their holders are reviewed
            path = repo / "policies" / f"policy-{n:04d}.json"
            doc = json.loads(path.read_text())
            doc["Statement"].append(
                {"Effect": "Allow", "Action": "sqs:DeleteQueue", "Resource": "*"}
            )
            path.write_text(json.dumps(doc))
        subprocess.run([*git, "commit", "-qam", "widen"], cwd=repo, check=True)
        times = []
        for i in range(runs):
            start = time.perf_counter()
            run(repo, env, Path(tmp) / f"plan{i}.log", "--plan", "--detailed-exitcode")
            times.append(time.perf_counter() - start)
        return min(times)


if __name__ == "__main__":
    sys.exit(main())
