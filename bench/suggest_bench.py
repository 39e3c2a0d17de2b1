"""Benchmark: --suggest streaming a month of a busy account's CloudTrail.

Generates FILES gzipped log files of RECORDS records each in CloudTrail's shape (1,000,000
events by default; 5% are the principal's own, a tenth of those denied), then measures, each
phase in its own process (wall time, peak resident memory):

- floor: decompress every file and parse it with json.loads (what reading them at all costs);
- suggest: iamsync's reading and analysis of the same files (records.read + engine.suggest)
  for a user holding the seed's policies under the permissions boundary users ship.

Targets: peak <= 200 MB, time <= 1.5x the floor.
Usage: python bench/suggest_bench.py [--files 1000] [--records 1000] [--runs 1]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import trail  # noqa: E402  (the tests' CloudTrail shapes)

ACTIONS = [
    ("ecr", "BatchCheckLayerAvailability", True),
    ("ecr", "UploadLayerPart", False),
    ("ecr", "CompleteLayerUpload", False),
    ("cloudformation", "DescribeStacks", True),
    ("s3", "ListBuckets", True),
    ("ecs", "UpdateService", False),
    ("ec2", "DescribeVpcs", True),
]


def generate(folder: Path, files: int, per_file: int) -> int:
    rng = random.Random(20261202)
    me = trail.user_identity("cdk-deployer")
    others = [trail.user_identity(f"user-{i}") for i in range(40)]
    roles = [trail.role_identity(f"role-{i}", f"session-{i}") for i in range(20)]
    size = 0
    for f in range(files):
        records = []
        for r in range(per_file):
            source, name, read_only = rng.choice(ACTIONS)
            when = f"2026-11-{1 + f * 28 // files:02d}T{r % 24:02d}:00:00Z"
            mine = rng.random() < 0.05
            who = me if mine else rng.choice(others + roles)
            if mine and rng.random() < 0.1:
                records.append(
                    trail.denied(
                        who,
                        "ecr:PutImage",
                        f"arn:aws:ecr:us-east-1:{trail.ACCOUNT}:repository/fargate-service",
                        when=when,
                    )
                )
            else:
                records.append(
                    trail.record(
                        who,
                        source,
                        name,
                        when=when,
                        read_only=read_only,
                        request={"repositoryName": "fargate-service", "maxResults": 100},
                    )
                )
        path = folder / f"{trail.ACCOUNT}_CloudTrail_us-east-1_{f:05d}.json.gz"
        path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode(), 6))
        size += path.stat().st_size
    return size


FLOOR = """
import gzip, json, sys
from pathlib import Path
n = 0
for p in sorted(Path(sys.argv[1]).glob("*.json.gz")):
    with gzip.open(p, "rb") as h:
        n += len(json.loads(h.read())["Records"])
print(n)
"""

SUGGEST = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from iamsync.access.effective import Evaluator, Holdings, Principal, index
from iamsync.engine.suggest import suggest
from iamsync.evidence import records
from iamsync.evidence.events import Who
from iamsync.iam.catalog import Catalog
from iamsync.files import template
root = Path(sys.argv[2])
values = {"AccountId": "123456789012", "Region": "us-east-1", "Partition": "aws",
          **json.loads((root / "iamsync.json").read_text())["variables"]}
def load(path):
    return template.render(json.loads(path.read_text()), values)[0]
catalog = Catalog()
files = sorted((root / "policies").glob("*.json"))
policies = tuple(index(load(p), p.stem, catalog) for p in files)
boundary = index(load(root / "bootstrap/policies/iamsync-boundary.json"), "boundary", catalog)
arn = "arn:aws:iam::123456789012:user/iamsync/cdk-deployer"
held = Principal("user", "cdk-deployer", policies, boundary, catalog.access_level, arn)
holdings = Evaluator(catalog).holdings(held)
identity = Holdings(holdings.policies, None, catalog)
who = Who("user", "cdk-deployer", "123456789012")
s = suggest(who, records.read([Path(sys.argv[1])]), holdings, identity, held.variables, catalog)
print(s.read, s.events, len(s.missing), len(s.blocked), len(s.used), len(s.unused))
"""


def run(code: str, *args: str) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB and output of one phase in its own process."""
    probe = (
        "import resource, runpy, sys; sys.argv = ['x', *sys.argv[1:]]; "
        f"exec(compile({code!r}, 'phase', 'exec')); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    peak_mb = int(proc.stderr.strip().splitlines()[-1]) / 1024
    return wall, peak_mb, proc.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        size = generate(folder, args.files, args.records)
        print(
            f"generated {args.files * args.records:,} events in {args.files:,} gzipped files "
            f"({size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f} s"
        )
        floors, ours = [], []
        for _ in range(args.runs):
            floors.append(run(FLOOR, str(folder)))
            ours.append(run(SUGGEST, str(folder), str(ROOT)))
        floor = min(floors)
        mine = min(ours)
        print(f"floor (gunzip + json.loads): {floor[0]:.2f} s, peak {floor[1]:.0f} MB")
        print(f"suggest (read + analyse):    {mine[0]:.2f} s, peak {mine[1]:.0f} MB")
        print(f"  records read, principal's events, missing, blocked, used, unused: {mine[2]}")
        ratio = mine[0] / floor[0]
        met = "met" if ratio <= 1.5 else "NOT met"
        print(f"ratio to the floor: {ratio:.2f}x (target <= 1.5x: {met})")
        peak_ok = mine[1] <= 200
        print(f"peak memory {mine[1]:.0f} MB (target <= 200 MB: {'met' if peak_ok else 'NOT met'})")
        here = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"max rss of this process: {here:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
