"""The apply workflow's matrix: every target's name and GitHub Actions environment.

    python -m iamsync.cli.matrix [--repo DIR]

prints one JSON line, `[{"name": "prod", "environment": "production"}, …]`: the targets of
iamsync.json and those Organizations finds (read with the ambient credentials, the plan
role's), sorted by name; `[{"name": "", …}]` (the one ambient account) when there are
none. Names and environments are schema-checked (letters, digits, `.`, `_`, `-`), so the
matrix carries nothing a shell or an expression could read as code. An invalid
iamsync.json, or a failed Organizations read, is one line and exit 1: no job is started.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from iamsync.core import problems, safe
from iamsync.core.errors import IamsyncError, LocatedError
from iamsync.engine import repo, validate as validate_mod
from iamsync.files import config as config_mod, schema, tree as tree_mod

DEFAULT_ENVIRONMENT = "production"


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m iamsync.cli.matrix")
    parser.add_argument("--repo", type=Path, default=None, metavar="DIR")
    args = parser.parse_args(argv)
    try:
        rows = matrix(repo.locate(args.repo, Path.cwd()))
    except IamsyncError as exc:
        said = str(exc) if isinstance(exc, LocatedError) else f"iamsync: error: {exc}"
        print(safe.line(said), file=err)
        return 1
    print(json.dumps(rows, separators=(",", ":")), file=out)
    return 0


def matrix(root: Path) -> list[dict[str, str]]:
    from iamsync.aws import organizations

    files = tree_mod.working(root, repo.scope())
    if files.exists(config_mod.CONFIG_FILE):
        loaded = repo.read_one(files, config_mod.CONFIG_FILE)
        found = [loaded] if isinstance(loaded, problems.Problem) else schema.check(loaded, "config")
        if found:
            raise LocatedError(found[0].format())
    config = organizations.with_discovered(validate_mod.read_config(root, files))
    if not config.targets:
        return [{"name": "", "environment": DEFAULT_ENVIRONMENT}]
    return [
        {"name": name, "environment": target.environment or DEFAULT_ENVIRONMENT}
        for name, target in sorted(config.targets.items())
    ]


if __name__ == "__main__":
    sys.exit(main())
