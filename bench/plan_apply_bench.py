"""Benchmark: apply 1,000 users + 1,000 policies (3 attachments each) from empty, then plan.

Runs against a moto server on 127.0.0.1 with the AWS-managed policies loaded (as
on real AWS), through `python sync.py` as users run it. Prints wall times and the
API calls by action (counted by iamsync's IAMSYNC_API_LOG).

Usage: python bench/plan_apply_bench.py [--policies 1000] [--users 1000] [--plans 3]
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen

ROOT = Path(__file__).resolve().parent.parent
_RAW_GAAD = (
    "import sys, boto3; boto3.client('iam', endpoint_url=sys.argv[1], region_name='us-east-1')"
    ".get_account_authorization_details(Filter=['User', 'Group', 'LocalManagedPolicy'])"
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--attachments", type=int, default=3)
    parser.add_argument("--plans", type=int, default=3, help="no-change plans to time")
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, moto_server() as url:
        repo = Path(tmp) / "repo"
        gen.write(repo, args.policies, args.users, args.attachments)
        for cmd in (
            ["init", "-q"],
            ["add", "-A"],
            [
                "-c",
                "user.email=b@example.invalid",
                "-c",
                "user.name=bench",
                "commit",
                "-qm",
                "bench",
            ],
        ):
            subprocess.run(["git", *cmd], cwd=repo, check=True)
        env = moto_env(url)
        print(
            f"state: {args.policies} policies, {args.users} users, "
            f"{args.users * args.attachments} attachments; moto with AWS-managed policies"
        )

        seconds, counts = run(
            repo, env, Path(tmp) / "apply.log", "--apply", "--parallelism", str(args.parallelism)
        )
        writes = {k: v for k, v in counts.items() if not k.startswith(("Get", "List"))}
        print(f"\napply from empty: {seconds:.2f} s wall, {sum(counts.values())} API calls")
        print_counts(counts)
        minimal = args.policies + args.users + args.users * args.attachments
        print(
            f"writes: {sum(writes.values())} (minimal: {minimal} = one create per resource "
            f"+ one attach per attachment); ratio {sum(writes.values()) / minimal:.2f}"
        )

        times = []
        for i in range(args.plans):
            seconds, counts = run(
                repo, env, Path(tmp) / f"plan{i}.log", "--plan", "--detailed-exitcode"
            )
            times.append(seconds)
        raw = time.perf_counter()
        subprocess.run([sys.executable, "-c", _RAW_GAAD, url], env=env, check=True)
        bulk_read = time.perf_counter() - raw
        print(
            f"\nbaseline, a bare boto3 process making the one bulk read (GAAD): "
            f"{bulk_read:.2f} s, start-up included"
        )
        print(
            f"no-change plan: best {min(times):.2f} s, median "
            f"{sorted(times)[len(times) // 2]:.2f} s wall over {args.plans} runs "
            f"(start-up included), {sum(counts.values())} API calls"
        )
        print_counts(counts)
        print(f"plan overhead beyond the bare bulk read: {min(times) - bulk_read:+.2f} s")
    return 0


def run(repo: Path, env: dict[str, str], log: Path, *args: str) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "sync.py"), *args, "--repo", str(repo)],
        env={**env, "IAMSYNC_API_LOG": str(log)},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 2):  # 2: --detailed-exitcode's "changes present"
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"{' '.join(args)} exited {proc.returncode}")
    lines = log.read_text().splitlines() if log.exists() else []
    return seconds, dict(collections.Counter(line.split()[1] for line in lines))


def moto_env(url: str) -> dict[str, str]:
    """This process's environment with the boto3 chain pointed at the moto server only."""
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def print_counts(counts: dict[str, int]) -> None:
    for action, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {action:40} {n:6}")


class moto_server:
    """moto's server on 127.0.0.1 (`module`: another entry point, e.g. tests.moto_server)."""

    def __init__(self, module: str = "moto.server") -> None:
        self.module = module

    def __enter__(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module, "-H", "127.0.0.1", "-p", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2).read()
                return url
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start")

    def __exit__(self, *exc: object) -> None:
        os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
