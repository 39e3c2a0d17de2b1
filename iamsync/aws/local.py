"""Local mode: an embedded moto IAM endpoint on 127.0.0.1, started and stopped by iamsync."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from iamsync.core.errors import IamsyncError

_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto's fixed fake credentials, not a secret
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # AWS-managed policies exist, as on AWS
}


@contextmanager
def endpoint(port: int = 0) -> Iterator[str]:
    """Run moto in this process; point the boto3 chain at it; restore the environment.

    `port` 0 is a free one (local mode); `iamsync.cli.local_server` names one to keep.
    """
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise IamsyncError("local mode needs moto: pip install -e '.[local]'") from exc
    fill_moto_gaps()
    saved = {k: os.environ.get(k) for k in (*_ENV, "AWS_ENDPOINT_URL", "AWS_PROFILE")}
    os.environ.update(_ENV)
    os.environ.pop("AWS_PROFILE", None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on the terminal
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
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


def provide_boundary(iam: Any, arn: str, root: Path) -> None:
    """Create the required permissions boundary, as the bootstrap stack does on AWS.

    Its document is bootstrap/policies/<name>.json when the repository has one.
    """
    path, _, name = arn.split(":policy", 1)[1].rpartition("/")
    account, partition = arn.split(":")[4], arn.split(":")[1]
    file = root / "bootstrap" / "policies" / f"{name}.json"
    text = file.read_text(encoding="utf-8") if file.is_file() else _STAND_IN
    text = text.replace("{{Partition}}", partition).replace("{{AccountId}}", account)
    iam.create_policy(PolicyName=name, Path=f"{path}/", PolicyDocument=text)


_STAND_IN = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
)


def fill_moto_gaps() -> None:
    """Teach moto (5.2) the user permissions boundaries AWS has, so the loop can show them.

    moto ignores CreateUser's PermissionsBoundary, has no Put/DeleteUserPermissionsBoundary
    and never returns a user's boundary. This gives moto's User a boundary attribute that
    its serializer returns (GetUser, GetAccountAuthorizationDetails), as AWS does. Local
    mode and the test suite's server apply it; nothing else runs against moto.
    """
    from moto.core.responses import EmptyResult
    from moto.iam import models, responses

    user_class: Any = models.User
    if getattr(user_class, "_iamsync_boundaries", False):
        return
    user_class._iamsync_boundaries = True
    user_class.boundary_arn = None
    user_class.permissions_boundary = property(
        lambda self: (
            {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": self.boundary_arn,
            }
            if self.boundary_arn
            else None
        )
    )
    handler: Any = responses.IamResponse
    create_user = handler.create_user

    def create_user_with_boundary(self: Any) -> Any:
        result = create_user(self)
        boundary = self._get_param("PermissionsBoundary")
        if boundary:
            self.backend.get_user(self._get_param("UserName")).boundary_arn = boundary
        return result

    def put_boundary(self: Any) -> Any:
        user = self.backend.get_user(self._get_param("UserName"))
        user.boundary_arn = self._get_param("PermissionsBoundary")
        return EmptyResult()

    def delete_boundary(self: Any) -> Any:
        self.backend.get_user(self._get_param("UserName")).boundary_arn = None
        return EmptyResult()

    handler.create_user = create_user_with_boundary
    handler.put_user_permissions_boundary = put_boundary
    handler.delete_user_permissions_boundary = delete_boundary
