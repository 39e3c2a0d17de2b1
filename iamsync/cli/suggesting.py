"""--suggest: read the evidence, say what it shows, and with --write edit the files."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from iamsync import kinds
from iamsync.cli import checking
from iamsync.cli.status import ExitStatus
from iamsync.core import safe
from iamsync.core.errors import IamsyncError
from iamsync.engine import repo, suggest_write, validate as validate_mod
from iamsync.evidence import records
from iamsync.files import tree as tree_mod
from iamsync.pipeline import suggest as pipeline
from iamsync.render import suggestion as render

LOOKUP = "cloudtrail"  # --events cloudtrail: read LookupEvents instead of files


def suggest(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitStatus:
    pipeline.parse_principal(args.suggest)  # a bad PRINCIPAL fails before any read
    paths = [Path(p) for p in args.events]
    online = args.events == [LOOKUP] and not Path(LOOKUP).exists()
    evidence = None
    lookup = None
    if online:
        from iamsync.aws import trail

        def lookup(connection: Any, who: Any) -> Any:
            return trail.lookup(connection, who, args.since or 90, err)

    else:
        records.files(paths)  # every path exists, before live IAM is read
        evidence = records.read(paths)
    tree = tree_mod.working(args.repo, repo.scope())
    found = pipeline.suggest(
        args.repo, args.target, checking.Reporter(err), tree, args.suggest, evidence, lookup
    )
    s, kind = found.suggestion, found.kind
    written: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    if args.write:
        if not s.events:
            raise IamsyncError(
                f"no event of {kind} {s.principal.name} in the evidence ({s.read:,} records "
                "read): nothing was written (absence of evidence never removes every grant)"
            )
        state = found.state
        ident = state.connection.identity
        place = suggest_write.Place(
            ident.account_id, ident.partition, state.connection.region or ""
        )
        change = suggest_write.edits(
            s,
            kind,
            state.result.sources,
            state.wanted,
            kinds.access_roles(),
            validate_mod.catalog_for(state.result.config),
            place,
        )
        _write(args.repo, change.files, args.target)
        written, left = change.written, change.left
    if args.format == "json":
        print(json.dumps(render.to_json(s, kind, written, left), indent=2), file=out)
    elif args.format == "markdown":
        out.write(render.markdown(s, kind, written, left))
    else:
        for line in render.lines(s, kind, written, left):
            print(line, file=out)
    return ExitStatus.OK


def _write(root: Path, files: Mapping[str, Any], target: str | None) -> None:
    """Write (or delete) each file; if the repository is then invalid, put every file back
    as it was and stop: --write never leaves a broken repository."""
    before: dict[str, bytes | None] = {}
    for rel in files:
        path = root / rel
        before[rel] = path.read_bytes() if path.is_file() else None
    try:
        for rel, value in files.items():
            path = root / rel
            if value is None:
                path.unlink(missing_ok=True)
            else:
                _atomic(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")
        result = validate_mod.check(root, target=target)
        if not result.ok:
            errors = [p.format() for p in result.problems if p.is_error][:5]
            raise IamsyncError(
                "the suggested edit would leave the repository invalid, so nothing was "
                "written: " + safe.line("; ".join(errors))
            )
    except BaseException:
        for rel, data in before.items():
            path = root / rel
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)
        raise


def _atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".iamsync-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    Path(tmp).replace(path)
