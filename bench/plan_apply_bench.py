"""Benchmark: plan and apply at scale on a moto server, against a floor measured in the
same run (issue 19).

For each N (default 1,000 and 5,000): a repository of N users and N policies, 3
attachments each, with the permissions boundary users ship (iamsync.json
permissions_boundary; the bootstrap's boundary made in moto, which keeps user
boundaries: tests.moto_server). Printed, per N:

- the plan against the empty account: peak memory per format (text, json, markdown);
- apply from empty: wall, peak memory, API calls against the minimum (one write per
  real change, the bulk reads and the identity call);
- no-change plans paired with a bare boto3 process making the same two GAAD
  paginations (the floor): wall and CPU ratios, medians of --pairs paired runs, and the
  plan's API calls against the minimum (ceil(entities/1000) bulk reads per pagination +
  identity).

Every process is whole (start-up included); peak memory is each process's own maxrss.

With --where, the plan and the apply from empty also run under tracemalloc, and the
largest allocation sites at each one's highest traced memory are printed.

Usage: python bench/plan_apply_bench.py [--sizes 1000 5000] [--pairs 7] [--parallelism 8]
       [--where]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen

ROOT = Path(__file__).resolve().parent.parent
BOUNDARY = "arn:{{Partition}}:iam::{{AccountId}}:policy/iamsync-boundary"
# The floor: what any tool must do to know the account, the same two paginations iamsync
# makes (principals; local policies), concurrently as it does, pages of 1,000.
_BARE_READ = """
import sys, threading, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1")
def read(kinds):
    p = iam.get_paginator("get_account_authorization_details")
    return list(p.paginate(Filter=kinds, PaginationConfig={"PageSize": 1000}))
pages = []
t = threading.Thread(target=lambda: pages.extend(read(["LocalManagedPolicy"])))
t.start()
pages += read(["User", "Group", "Role"])
t.join()
print(len(pages))
"""


@dataclass
class Ran:
    wall: float
    cpu: float
    peak_mb: float
    calls: dict[str, int] = field(default_factory=dict)
    output: str = ""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--attachments", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=7, help="paired no-change plan/floor runs")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument(
        "--where",
        action="store_true",
        help="also run the plan and the apply from empty under tracemalloc and print where "
        "their memory is at its highest (slower; the measured runs are not traced)",
    )
    args = parser.parse_args()
    for n in args.sizes:
        one_size(n, args)
    return 0


def one_size(n: int, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, moto_server("tests.moto_server") as url:
        repo = Path(tmp) / "repo"
        gen.write(repo, n, n, args.attachments)
        (repo / "iamsync.json").write_text(json.dumps({"permissions_boundary": BOUNDARY}))
        _commit(repo)
        env = moto_env(url)
        _boundary(url)
        print(
            f"\n== N = {n}: {n} policies, {n} users, {n * args.attachments} attachments, "
            "the shipped boundary required; moto with AWS-managed policies =="
        )
        log = Path(tmp) / "calls.log"
        for form in ("text", "json", "markdown"):
            r = measure(repo, env, log, "--plan", "--detailed-exitcode", "--format", form)
            print(f"plan from empty, --format {form:8}: {r.wall:6.2f} s, peak {r.peak_mb:5.0f} MB")
        if args.where:
            where(repo, env, "--plan", "--detailed-exitcode")
            where(repo, env, "--apply", "--parallelism", str(args.parallelism))
            _reset(url)  # the measured apply starts from an empty account again
            _boundary(url)
        r = measure(repo, env, log, "--apply", "--parallelism", str(args.parallelism))
        writes = sum(v for k, v in r.calls.items() if not k.startswith(("Get", "List")))
        minimal = 2 * n + n * args.attachments  # a create per resource, an attach per attachment
        print(
            f"apply from empty: {r.wall:6.2f} s, peak {r.peak_mb:5.0f} MB, {sum(r.calls.values())} "
            f"API calls; writes {writes} (minimal {minimal}: ratio {writes / minimal:.2f})"
        )
        walls, cpus, plan_runs, floor_runs = [], [], [], []
        for _ in range(args.pairs):
            plan = measure(repo, env, log, "--plan", "--detailed-exitcode")
            floor = measure_floor(url, env)
            plan_runs.append(plan)
            floor_runs.append(floor)
            walls.append(plan.wall / floor.wall)
            cpus.append(plan.cpu / floor.cpu)
        med = statistics.median
        print(
            f"no-change plan: median {med(r.wall for r in plan_runs):.2f} s wall, "
            f"{med(r.cpu for r in plan_runs):.2f} s CPU, peak "
            f"{max(r.peak_mb for r in plan_runs):.0f} MB"
        )
        print(
            f"floor (bare boto3 process, the same two GAAD paginations): median "
            f"{med(r.wall for r in floor_runs):.2f} s wall, {med(r.cpu for r in floor_runs):.2f}"
            f" s CPU, peak {max(r.peak_mb for r in floor_runs):.0f} MB"
        )
        ratio = med(walls)
        print(
            f"no-change plan / floor over {args.pairs} paired runs: wall {ratio:.2f}x "
            f"(min {min(walls):.2f}x, max {max(walls):.2f}x), CPU {med(cpus):.2f}x; "
            f"target wall <= 1.0x: {'met' if ratio <= 1.0 else 'NOT met'}"
        )
        calls = plan_runs[-1].calls
        # the pages the floor needed for the same two paginations (AWS: ceil(entities/1000)
        # each; moto answers in one page), and the identity call
        minimum = int(floor_runs[-1].output.split()[-1]) + 1
        print(
            f"no-change plan API calls: {sum(calls.values())} (minimum {minimum}: the "
            f"floor's {minimum - 1} bulk-read pages + identity)"
        )
        print_counts(calls)


# One sync.py run under tracemalloc: a watcher takes a snapshot each time the traced
# memory passes its last high by a tenth, so the last snapshot is within a tenth of the
# peak; its largest allocation sites (by line) go to the report file.
_TRACED = """
import os, sys, threading, tracemalloc
root, report = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
tracemalloc.start()
high = [0, None]
stop = threading.Event()
def watch():
    while not stop.wait(0.05):
        now, _ = tracemalloc.get_traced_memory()
        if now > high[0] * 1.1:
            high[:] = [now, tracemalloc.take_snapshot()]
watcher = threading.Thread(target=watch, daemon=True)
watcher.start()
from iamsync.cli import main
status = main(sys.argv[3:])
stop.set()
watcher.join()
peak = tracemalloc.get_traced_memory()[1]
mine = high[1].filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
def place(frame):
    name = frame.filename
    for base in ("site-packages" + os.sep, root + os.sep, os.path.dirname(os.__file__) + os.sep):
        if base in name:
            name = name.split(base, 1)[1]
    return f"{name}:{frame.lineno}"
with open(report, "w") as out:
    print(f"traced peak {peak / 2**20:.0f} MB; at {high[0] / 2**20:.0f} MB, the largest sites:",
          file=out)
    for stat in mine.statistics("lineno")[:8]:
        print(f"    {stat.size / 2**20:6.1f} MB {stat.count:8} blocks  {place(stat.traceback[0])}",
              file=out)
sys.exit(status)
"""


def where(repo: Path, env: dict[str, str], *args: str) -> None:
    """Where one run's memory is at its highest (tracemalloc), printed under its name."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        argv = [sys.executable, "-c", _TRACED, str(ROOT), report.name, *args, "--repo", str(repo)]
        _process(argv, env, args)
        print(f"{' '.join(args[:1])} from empty, traced: {report.read().rstrip()}")


def _reset(url: str) -> None:
    """moto's accounts emptied (its own API), as a fresh server would have them."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=30).read()


def _commit(repo: Path) -> None:
    for cmd in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.email=b@example.invalid", "-c", "user.name=bench", "commit", "-qm", "bench"],
    ):
        subprocess.run(["git", *cmd], cwd=repo, check=True)


def _boundary(url: str) -> None:
    """What the bootstrap stack makes: the boundary, outside iamsync's path."""
    from iamsync.aws import local

    iam = boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    local.provide_boundary(iam, "arn:aws:iam::123456789012:policy/iamsync-boundary", ROOT)


def measure(repo: Path, env: dict[str, str], log: Path, *args: str) -> Ran:
    """One whole `sync.py` process: wall, CPU, its own peak memory, its API calls."""
    log.unlink(missing_ok=True)
    argv = [sys.executable, str(ROOT / "sync.py"), *args, "--repo", str(repo)]
    ran = _process(argv, {**env, "IAMSYNC_API_LOG": str(log)}, args)
    lines = log.read_text().splitlines() if log.exists() else []
    ran.calls = dict(collections.Counter(line.split()[1] for line in lines))
    return ran


def measure_floor(url: str, env: dict[str, str]) -> Ran:
    return _process([sys.executable, "-c", _BARE_READ, url], env, ("floor",))


def _process(argv: list[str], env: dict[str, str], what: tuple[str, ...]) -> Ran:
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 2):  # 2: --detailed-exitcode's "changes present"
            out.seek(0)
            print(out.read()[-3000:].decode(errors="replace"))
            raise SystemExit(f"{' '.join(what)} exited {proc.returncode}")
        out.seek(0)
        tail = out.read()[-200:].decode(errors="replace")
    return Ran(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output=tail)


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
