"""Benchmark: one `--plan --all-targets` against the same plans run one target at a time.

ACCOUNTS accounts of a moto server (the test suite's, which keeps user boundaries; STS
AssumeRole into an account id gives that account its own IAM), each with the permissions
boundary users ship and USERS users from the shared folders, applied by one
`--apply --all-targets` (timed). Then, measured:
the sum of ACCOUNTS single-target `sync.py --plan --target NAME` processes run one after
another, against one `sync.py --plan --all-targets` process (target <= 0.4x), and the API
calls per account (target: the bulk reads + identity calls only).

Usage: python bench/targets_bench.py [--accounts 20] [--users 100]
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plan_apply_bench import moto_env, moto_server, run

from iamsync.aws import local

ROOT = Path(__file__).resolve().parent.parent


def account(i: int) -> str:
    return f"{100000000000 + i}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, moto_server(module="tests.moto_server") as url:
        env = moto_env(url)
        repo = Path(tmp) / "repo"
        names = [f"t{i:02d}" for i in range(1, args.accounts + 1)]
        _write_repo(repo, names, args.users)
        for i in range(1, args.accounts + 1):
            _boundary(url, account(i))
        start = time.perf_counter()
        run(
            repo,
            env,
            Path(tmp) / "apply.log",
            "--apply",
            "--allow-dirty",
            "--all-targets",
            "--parallelism",
            str(args.parallelism),
        )
        print(
            f"set up {args.accounts} accounts x {args.users} users: one --apply --all-targets "
            f"in {time.perf_counter() - start:.1f} s"
        )
        log = Path(tmp) / "calls.log"
        start = time.perf_counter()
        single_calls: collections.Counter[str] = collections.Counter()
        for name in names:
            log.unlink(missing_ok=True)
            single_calls.update(
                run(repo, env, log, "--plan", "--target", name, "--detailed-exitcode")[1]
            )
        one_by_one = time.perf_counter() - start
        log.unlink(missing_ok=True)
        start = time.perf_counter()
        calls = collections.Counter(
            run(
                repo,
                env,
                log,
                "--plan",
                "--all-targets",
                "--detailed-exitcode",
                "--parallelism",
                str(args.parallelism),
            )[1]
        )
        together = time.perf_counter() - start
    ratio = together / one_by_one
    print(f"{args.accounts} single-target plans, one after another: {one_by_one:.2f} s")
    print(f"one --plan --all-targets --parallelism {args.parallelism}: {together:.2f} s")
    print(f"ratio: {ratio:.2f}x (target <= 0.4x: {'met' if ratio <= 0.4 else 'NOT met'})")
    print(f"API calls of --all-targets, per account ({args.accounts} accounts):")
    for action, n in sorted(calls.items(), key=lambda kv: -kv[1]):
        print(f"  {action:40} {n / args.accounts:6.2f}")
    print(f"the same calls as the single plans together: {calls == single_calls}")
    return 0


def _write_repo(repo: Path, names: list[str], users: int) -> None:
    (repo / "policies").mkdir(parents=True)
    (repo / "users").mkdir()
    targets = {
        name: {"account_id": account(i), "role_arn": f"arn:aws:iam::{account(i)}:role/iamsync"}
        for i, name in enumerate(names, 1)
    }
    config = {
        "permissions_boundary": "arn:{{Partition}}:iam::{{AccountId}}:policy/iamsync-boundary",
        "targets": targets,
    }
    (repo / "iamsync.json").write_text(json.dumps(config))
    for p in range(5):
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:Get*", "Resource": f"arn:aws:s3:::b{p}/*"}
            ],
        }
        (repo / "policies" / f"p{p}.json").write_text(json.dumps(doc))
    for u in range(users):
        (repo / "users" / f"u{u:03d}.json").write_text(json.dumps({"policies": [f"p{u % 5}"]}))
    shutil.copytree(ROOT / "schema", repo / "schema")


def _boundary(url: str, acct: str) -> None:
    """What the bootstrap stack makes in each account: the boundary, outside the path."""
    sts = boto3.client(
        "sts",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{acct}:role/iamsync", RoleSessionName="bench")
    c = creds["Credentials"]
    iam = boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )
    local.provide_boundary(iam, f"arn:aws:iam::{acct}:policy/iamsync-boundary", ROOT)


if __name__ == "__main__":
    sys.exit(main())
