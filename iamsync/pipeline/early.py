"""The bulk read started before the rest of iamsync loads.

On a large account a plan's wall time is the account's read: the read should leave as
soon as the process can send it, not after iamsync's model, Git and the validation rules
have been imported (measured: a quarter second, a sixth of a plan at 1,000 users). The
command line starts it from the working iamsync.json with only boto3 loaded; the plan
takes it only if the target it chose, from the files it validated, is the very same
(another one, a committed iamsync.json that differs: it reads again). Nothing here says
anything: what fails is said by the plan (a client that could not be made, as making it
again would; anything else, done again).

Reading is all it does. Nothing read is used before the plan has checked the account.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamsync.aws import bulk, session
from iamsync.core.errors import IamsyncError
from iamsync.files import config as config_mod, tree


@dataclass(frozen=True)
class Started:
    target: config_mod.Target
    connection: session.Connection
    pages: Future[list[Any]]


_started: tuple[config_mod.Target, Future[Started]] | None = None
_LOCK = threading.Lock()
_PAGINATIONS = 2  # bulk.fetch's first requests: principals, policies
_SEND_WAIT = 0.25  # seconds, at most, that the command line waits for them to be sent


def start(root: Path, target_name: str | None) -> None:
    """Start reading the account of the target `root`'s iamsync.json names, if it can.

    The clients are made and the read sent on a thread of its own (an AssumeRole that
    hangs holds only it); this returns once the requests are on the wire, or after
    _SEND_WAIT: what follows (iamsync's imports) would hold the interpreter while they are
    still being signed (measured: 40-90 ms later on the wire)."""
    global _started
    try:
        value = _config(root / config_mod.CONFIG_FILE)
        if value is None:
            return
        target = config_mod.from_json(value).target(target_name)
    except Exception:  # the plan reads, and says what is wrong, itself
        return
    on_wire = _Sends(_PAGINATIONS)

    def meanwhile(iam: Any) -> None:  # before the identity's client is made
        iam.meta.events.register(
            "before-send.iam.GetAccountAuthorizationDetails", lambda **_: on_wire.one()
        )
        pages.append(bulk.start(iam))
        on_wire.wait(time.monotonic() + _SEND_WAIT)

    pages: list[Future[list[Any]]] = []

    def connect() -> Started:
        try:
            connection = session.connect(target, checked=False, meanwhile=meanwhile)
        finally:
            on_wire.all()  # nothing more will be sent: no one waits
        return Started(target, connection, pages[0])

    with _LOCK:
        _started = (target, bulk.background(connect, "iamsync-early-connect"))
    on_wire.wait(time.monotonic() + _SEND_WAIT)


class _Sends:
    """Requests on the wire, for any number of threads to wait on (the identity's client
    and the command line both wait for the read: a semaphore would give each send to one
    of them, and the other would wait out its deadline)."""

    def __init__(self, expected: int) -> None:
        self._left = expected
        self._done = threading.Event()
        self._lock = threading.Lock()

    def one(self) -> None:
        with self._lock:
            self._left -= 1
            if self._left <= 0:
                self._done.set()

    def all(self) -> None:
        self._done.set()

    def wait(self, deadline: float) -> None:
        self._done.wait(max(0.0, deadline - time.monotonic()))


def take(target: config_mod.Target) -> Started | None:
    """The read started for exactly `target`, once; None if there is none. Its clients'
    failure is raised as connect() raises it for that target (the same call, made once)."""
    global _started
    with _LOCK:
        started, _started = _started, None
    if started is None or started[0] != target:
        return None
    try:
        return started[1].result()
    except IamsyncError:
        raise  # what connect(target) says: no endpoint, no credentials, ...
    except Exception:
        return None  # anything else: the plan connects itself


def forget() -> None:
    """A run's started read is that run's."""
    global _started
    with _LOCK:
        _started = None


def _config(path: Path) -> Any:
    """The working iamsync.json as JSON, or None: read only as the plan reads a file (a
    regular one, not a link, of a file's size; never a FIFO, which would block)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # none (then no early read), a link, unreadable
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        raw = handle.read(tree.MAX_FILE_BYTES + 1)
    return json.loads(raw) if len(raw) <= tree.MAX_FILE_BYTES else None
