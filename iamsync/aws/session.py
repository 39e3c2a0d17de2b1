"""AWS access through the standard boto3 chain: sessions, clients, the caller's identity."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
import botocore.session
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)
from botocore.loaders import Loader
from botocore.parsers import ResponseParserError
from botocore.utils import parse_timestamp

from iamsync.aws import replies
from iamsync.core import safe
from iamsync.core.errors import IamsyncError
from iamsync.files.config import Target

if TYPE_CHECKING:
    from mypy_boto3_accessanalyzer import AccessAnalyzerClient
    from mypy_boto3_iam import IAMClient

_T = TypeVar("_T")

# Adaptive retries back off on throttling; a bounded budget keeps a pipeline from hanging.
_CLIENT_CONFIG = BotoConfig(
    retries={"mode": "adaptive", "total_max_attempts": 8},
    max_pool_connections=16,
    connect_timeout=10,
    read_timeout=60,
)


@dataclass(frozen=True)
class Identity:
    account_id: str
    partition: str
    arn: str


class Connection:
    """Clients for one account. Its identity (GetCallerIdentity, and the refusal of the wrong
    account) may still be in flight: `identity` waits for it, so a caller can start the bulk
    read meanwhile and use nothing it read before asking."""

    def __init__(
        self,
        iam: IAMClient,
        identity: Identity | Future[Identity],
        region: str | None,
        session: boto3.Session | None = None,  # other services' clients (Access Analyzer)
    ) -> None:
        self.iam = iam
        self._identity = identity
        self.region = region
        self.session = session

    @property
    def identity(self) -> Identity:
        if isinstance(self._identity, Future):
            self._identity = _answered(self._identity)
        return self._identity

    def client(self, service: str) -> Any:
        """The client of `service` for this account (a kind's calls name theirs)."""
        if service == "iam":
            return self.iam
        if self.session is None:
            raise IamsyncError(f"no AWS session for {service}")
        region = self.session.region_name or "us-east-1"
        return self.session.client(service, config=_CLIENT_CONFIG, region_name=region)  # type: ignore[call-overload]

    def analyzer(self) -> AccessAnalyzerClient:
        if self.session is None:
            raise IamsyncError("no AWS session for IAM Access Analyzer")
        region = self.session.region_name or "us-east-1"
        return self.session.client("accessanalyzer", config=_CLIENT_CONFIG, region_name=region)


def connect(
    target: Target,
    *,
    checked: bool = True,
    meanwhile: Callable[[IAMClient], None] | None = None,
) -> Connection:
    """Clients for the target's account; refuses when credentials reach another account.
    `checked=False`: the identity call runs alongside what the caller does next, and
    `connection.identity` says the refusal (or any failure) when asked. `meanwhile` is
    given the IAM client as soon as it exists, before the identity call goes out (to start
    a read that must not wait for it)."""
    connection = _guarded(_connect, target, meanwhile)
    if checked:
        connection.identity  # noqa: B018 (waits, and raises what it found)
    return connection


def _guarded(call: Callable[..., _T], *args: Any) -> _T:
    try:
        return call(*args)
    except ValueError as exc:  # botocore: "Invalid endpoint: ..." while making a client
        setting, value = _configured_endpoint("AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS")
        raise IamsyncError(
            f"invalid AWS endpoint {safe.line(value)!r} ({setting}): "
            "it must be a URL such as https://iam.amazonaws.com"
        ) from exc
    except AWS_FAILURES as exc:
        raise IamsyncError(f"cannot use AWS: {failure(exc)}") from exc


def _answered(pending: Future[Identity]) -> Identity:
    return _guarded(pending.result)


def _connect(target: Target, meanwhile: Callable[[IAMClient], None] | None) -> Connection:
    if target.role_arn:
        creds = _ambient_sts(target.region).assume_role(
            RoleArn=target.role_arn, RoleSessionName="iamsync"
        )["Credentials"]
        session = new_session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=target.region,
        )
    else:
        session = new_session(region_name=target.region)
    # IAM is global: without a configured region, its home region serves the calls
    # ({{Region}} stays unset, so templates that need it say so).
    api_region = session.region_name or "us-east-1"
    iam = session.client("iam", config=_CLIENT_CONFIG, region_name=api_region)
    if meanwhile is not None:
        meanwhile(iam)
    sts = session.client("sts", config=_CLIENT_CONFIG, region_name=api_region)
    identity: Future[Identity] = Future()

    def identify() -> None:
        try:
            identity.set_result(_identify(sts, target))
        except BaseException as exc:  # said to whoever asks for the identity
            identity.set_exception(exc)

    threading.Thread(target=identify, name="iamsync-identity", daemon=True).start()
    return Connection(iam, identity, session.region_name, session)


def _identify(sts: Any, target: Target) -> Identity:
    who = sts.get_caller_identity()
    arn = who["Arn"]
    identity = Identity(who["Account"], arn.split(":")[1], arn)
    if target.account_id and identity.account_id != target.account_id:
        raise IamsyncError(
            f"target {target.name!r} is account {target.account_id}, but the credentials "
            f"belong to account {identity.account_id}; refusing to touch the wrong account"
        )
    return identity


def new_session(**settings: Any) -> boto3.Session:
    """A boto3 session (the standard chain, or the credentials given) that shares this
    process's one botocore data loader: the service models, megabytes of JSON, are read
    once per process, not once per target (measured: most of a target's plan before)."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader(core))
    parsers = replies.FastParsers()
    parsers.set_parser_defaults(timestamp_parser=timestamp)
    core.register_component("response_parser_factory", parsers)
    session = boto3.Session(botocore_session=core, **settings)
    _log_calls(session)
    return session


# What IAM sends: ISO 8601 with a zone ("2026-12-03T07:00:19Z", "...19.845780+00:00").
_ISO_ZONED = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)", re.ASCII
)


def timestamp(value: str) -> datetime:
    """A reply's timestamp: IAM's ISO 8601 form read by the standard library, anything else
    (and any such text the standard library refuses: a leap second, an offset of a day) by
    botocore's own parser. Its parser (dateutil) cost more than the rest of a large
    account's GetAccountAuthorizationDetails parse together (measured: 1.1 s of 1.9 s at
    5,000 users and policies); the instant is the same (tested against it)."""
    if isinstance(value, str) and _ISO_ZONED.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    parsed: datetime = parse_timestamp(value)
    return parsed


class _SearchPaths(list[str]):
    """A shared loader's search paths, which each boto3 session appends its own folder to:
    kept once each, so a thousand targets' sessions do not grow the list."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


_SHARED: dict[object, Any] = {}
_SHARED_LOCK = threading.Lock()


def forget() -> None:
    """A new run makes its own ambient clients (its environment may differ); the loader,
    which holds only AWS's service models, stays."""
    with _SHARED_LOCK:
        for key in [k for k in _SHARED if k != "loader"]:
            del _SHARED[key]


def _loader(core: botocore.session.Session) -> Loader:
    with _SHARED_LOCK:
        if "loader" not in _SHARED:
            data_path = str(core.get_config_variable("data_path") or "")
            paths = _SearchPaths(
                str(Path(os.path.expandvars(p)).expanduser())
                for p in data_path.split(os.pathsep)
                if p
            )
            _SHARED["loader"] = Loader(extra_search_paths=paths)
        loader: Loader = _SHARED["loader"]
        return loader


def _ambient_sts(region: str | None) -> Any:
    """One STS client of the ambient credentials per region, shared by the targets that
    assume a role from them (clients are thread-safe; sessions are not)."""
    key = ("sts", region)
    with _SHARED_LOCK:
        client = _SHARED.get(key)
    if client is None:
        client = new_session(region_name=region).client("sts", config=_CLIENT_CONFIG)
        with _SHARED_LOCK:
            client = _SHARED.setdefault(key, client)
    return client


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Turn an AWS failure while reading into one clear error (no traceback, nothing written)."""
    try:
        yield
    except AWS_FAILURES as exc:
        raise IamsyncError(f"cannot read {what}: {failure(exc)}; nothing was written") from exc


class Garbled(Exception):
    """An answer that parsed but lacks what every AWS answer of its kind has."""


# What a call to AWS can fail with. botocore raises KeyError when a well-formed XML answer
# is not the operation's (an HTML page served with 200), so inside a call it means that.
AWS_FAILURES = (BotoCoreError, ClientError, ResponseParserError, Garbled, KeyError)

# Error codes with which AWS says "these credentials are not valid" (it answered, so it is
# reachable): expired, unknown, or signed with the wrong secret.
_REJECTED = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "UnrecognizedClientException",
        "IncompleteSignature",
        "InvalidToken",
        "AuthFailure",
    }
)


def failure(exc: Exception) -> str:
    """One line saying what went wrong with an AWS call, naming the endpoint when it matters."""
    if isinstance(exc, ClientError):
        code, message = error_code(exc), safe.line(error_message(exc))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code.isdigit() or message.lstrip().startswith(("<", "&lt;")):
            # not AWS's error: a proxy's or a web server's page (say it in one line)
            return (
                f"the endpoint {_endpoint_of(exc)} answered HTTP {_status(status or code)}, "
                "not an AWS API reply"
            )
        if code in _REJECTED:
            return f"AWS rejected the credentials ({code}: {message})"
        return f"{safe.line(code)}: {message}"
    if isinstance(exc, ResponseParserError | Garbled | KeyError):
        return (
            f"the endpoint {_endpoint_of(exc)} did not answer like an AWS API (its reply "
            "is not AWS's XML)"
        )
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found (environment, profile, SSO or instance role)"
    if isinstance(exc, EndpointConnectionError):
        return f"cannot connect to {safe.line(str(exc.kwargs.get('endpoint_url', '')))}"
    return safe.line(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def _status(status: object) -> str:
    """ "500 (Internal Server Error)"."""
    try:
        return f"{int(str(status))} ({HTTPStatus(int(str(status))).phrase})"
    except ValueError:
        return safe.line(str(status))


def _endpoint_of(exc: Exception) -> str:
    """The endpoint a garbled answer came from, and the setting that chose it."""
    operation = getattr(exc, "operation_name", "")
    setting, value = _configured_endpoint(_SERVICE_SETTING.get(operation, "AWS_ENDPOINT_URL_IAM"))
    return safe.line(f"{value} ({setting})" if value else "(AWS's default endpoint)")


# The service-specific endpoint setting of the calls iamsync makes outside IAM.
_SERVICE_SETTING = {
    "GetCallerIdentity": "AWS_ENDPOINT_URL_STS",
    "AssumeRole": "AWS_ENDPOINT_URL_STS",
    "ValidatePolicy": "AWS_ENDPOINT_URL_ACCESSANALYZER",
}


def _configured_endpoint(*specific: str) -> tuple[str, str]:
    for setting in (*specific, "AWS_ENDPOINT_URL"):
        if os.environ.get(setting):
            return setting, os.environ[setting]
    return "the AWS config file", ""


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def _log_calls(session: boto3.Session) -> None:
    """With IAMSYNC_API_LOG=FILE, append "service operation" per API call (benchmarks, audits)."""
    path = os.environ.get("IAMSYNC_API_LOG")
    if not path:
        return
    lock = threading.Lock()

    def record(model: Any, **_: Any) -> None:
        with lock, Path(path).open("a", encoding="utf-8") as log:
            log.write(f"{model.service_model.service_name} {model.name}\n")

    session.events.register("before-call", record)
