"""Benchmark: `python sync.py --validate` on 2,000 generated files (1,000 policies, 1,000 users).

Prints the wall time of the whole process (start-up included), best of N runs: in a Git
repository with the files committed (what users run), and in a plain folder (no Git asked),
and the floor: the interpreter starting and importing iamsync's command line.
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
        plain = _best(args.runs, [str(ROOT / "sync.py"), "--validate", "--repo", str(repo)])
        for git in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
            subprocess.run(
                ["git", "-c", "user.email=b@example.invalid", "-c", "user.name=b", *git],
                cwd=repo,
                check=True,
            )
        times = _best(args.runs, [str(ROOT / "sync.py"), "--validate", "--repo", str(repo)])
        floor = _best(args.runs, ["-c", "import iamsync.cli"])
        if not (plain and times and floor):
            return 1
    files = args.policies + args.users
    print(f"files: {files} ({args.policies} policies, {args.users} users)")
    print(
        f"validate wall time, start-up included: best {min(times):.3f} s, "
        f"median {sorted(times)[len(times) // 2]:.3f} s over {args.runs} runs"
    )
    print(f"per file: {min(times) / files * 1000:.3f} ms")
    print(f"plain folder (no Git): best {min(plain):.3f} s")
    print(f"floor (start-up, import iamsync.cli): best {min(floor):.3f} s")
    print(
        f"ratio to the floor: {min(times) / min(floor):.1f}x in Git, "
        f"{min(plain) / min(floor):.1f}x plain"
    )
    print(f"target <= 1.000 s: {'met' if min(times) <= 1.0 else 'NOT met'}")
    return 0


def _best(runs: int, argv: list[str]) -> list[float]:
    """Wall times of `runs` runs of the interpreter with `argv`; [] if one failed."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            print(proc.stdout[-2000:], proc.stderr[-2000:])
            return []
    return times


if __name__ == "__main__":
    sys.exit(main())
