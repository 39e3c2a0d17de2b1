"""Benchmark: `python sync.py --validate` on 2,000 generated files (1,000 policies, 1,000 users).

Prints the wall time of the whole process (start-up included), best of N runs.
Usage: python bench/validate_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        gen.write(repo, args.policies, args.users)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, str(ROOT / "sync.py"), "--validate", "--repo", str(repo)],
                capture_output=True,
                text=True,
            )
            times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:])
                return 1
    files = args.policies + args.users
    print(f"files: {files} ({args.policies} policies, {args.users} users)")
    print(
        f"validate wall time, start-up included: best {min(times):.3f} s, "
        f"median {sorted(times)[len(times) // 2]:.3f} s over {args.runs} runs"
    )
    print(f"per file: {min(times) / files * 1000:.3f} ms")
    print(f"target <= 1.000 s: {'met' if min(times) <= 1.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
