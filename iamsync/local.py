"""Local mode: an embedded moto IAM endpoint on 127.0.0.1, started and stopped by iamsync."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from iamsync.errors import IamsyncError

_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto's fixed fake credentials, not a secret
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # AWS-managed policies exist, as on AWS
}


@contextmanager
def endpoint() -> Iterator[str]:
    """Run moto in this process; point the boto3 chain at it; restore the environment."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise IamsyncError("local mode needs moto: pip install -e '.[local]'") from exc
    saved = {k: os.environ.get(k) for k in (*_ENV, "AWS_ENDPOINT_URL", "AWS_PROFILE")}
    os.environ.update(_ENV)
    os.environ.pop("AWS_PROFILE", None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on the terminal
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = url
        yield url
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
