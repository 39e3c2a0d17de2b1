"""A local IAM to try iamsync against by hand: `python -m iamsync.cli.local_server`.

moto's server on 127.0.0.1 with the gaps local mode fills (user permissions boundaries,
which plain `moto_server` drops, so every plan after an apply would show
`~ permissions boundary`), AWS-managed policies loaded, and the repository's required
boundary created as the bootstrap stack would. It prints the environment to export and
serves until Ctrl-C; what it holds is gone when it stops.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from pathlib import Path
from typing import TextIO

from iamsync.aws import local, session as aws
from iamsync.core import safe
from iamsync.core.errors import IamsyncError
from iamsync.engine import repo, validate as validate_mod
from iamsync.files import template


def provide_required_boundary(root: Path, target: str | None) -> str | None:
    """Create the boundary `iamsync.json` requires in the account at hand; its ARN, or None."""
    config = validate_mod.read_config(root)
    if not config.permissions_boundary:
        return None
    connection = aws.connect(config.target(target))
    ident = connection.identity
    values = {"AccountId": ident.account_id, "Partition": ident.partition}
    arn = str(template.render(config.permissions_boundary, values)[0])
    local.provide_boundary(connection.iam, arn, root)
    return arn


def _check_free(port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise IamsyncError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc


def serve(argv: list[str], out: TextIO, stop: threading.Event) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m iamsync.cli.local_server",
        description="A local IAM (moto, with user boundaries) on 127.0.0.1, until Ctrl-C.",
        allow_abbrev=False,
    )
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000)")
    parser.add_argument("--repo", type=Path, help="repository whose required boundary to create")
    args = parser.parse_args(argv)
    try:
        root = repo.locate(args.repo, Path.cwd(), allow_empty=True)
        _check_free(args.port)  # moto's server thread would only log it, and never serve
        with local.endpoint(args.port) as url:
            boundary = provide_required_boundary(root, None) if repo.is_repository(root) else None
            print(f"iamsync local IAM at {url} (moto; gone when this stops)", file=out)
            if boundary:
                print(safe.line(f"created the required boundary {boundary}"), file=out)
            print("In another shell:", file=out)
            print(f"  export AWS_ENDPOINT_URL={url} AWS_REGION=us-east-1", file=out)
            print("  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing", file=out)
            print("  python sync.py --plan", file=out, flush=True)
            stop.wait()
    except IamsyncError as exc:
        print(safe.line(f"iamsync: error: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:], sys.stdout, threading.Event()))
