"""The bulk read started before the rest of iamsync loads.

On a large account a plan's wall time is the account's read: the read should leave as
soon as the process can send it, not after iamsync's model, Git and the validation rules
have been imported (measured: a quarter second, a sixth of a plan at 1,000 users). The
command line starts it from the working iamsync.json with only boto3 loaded; the plan
takes it only if the target it chose, from the files it validated, is the very same
(another one, a committed iamsync.json that differs: it reads again). Nothing here says
or raises anything: what fails is done again by the plan, which says it.

Reading is all it does. Nothing read is used before the plan has checked the account.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamsync.aws import bulk, session
from iamsync.files import config as config_mod, tree


@dataclass(frozen=True)
class Started:
    target: config_mod.Target
    connection: session.Connection
    pages: Future[list[Any]]


_started: Started | None = None
_LOCK = threading.Lock()
_PAGINATIONS = 2  # bulk.fetch's first requests: principals, policies
_SEND_WAIT = 0.25  # seconds, at most, for each


def start(root: Path, target_name: str | None) -> None:
    """Start reading the account of the target `root`'s iamsync.json names, if it can, and
    return once its requests are sent: what follows (the identity's client, iamsync's
    imports) would hold the interpreter while they are still being signed (measured:
    40-90 ms later on the wire)."""
    global _started
    pages: Future[list[Any]] = Future()
    sent = threading.Semaphore(0)

    def read(iam: Any) -> None:
        iam.meta.events.register(
            "before-send.iam.GetAccountAuthorizationDetails", lambda **_: sent.release()
        )

        def fetch() -> None:
            if not pages.set_running_or_notify_cancel():
                return
            try:
                pages.set_result(bulk.fetch(iam))
            except BaseException as exc:  # given to the plan, which says it
                pages.set_exception(exc)
            finally:
                sent.release(_PAGINATIONS)  # a read that failed before sending waits no one

        threading.Thread(target=fetch, name="iamsync-bulk-read", daemon=True).start()
        for _ in range(_PAGINATIONS):  # on the wire before the next client is made
            sent.acquire(timeout=_SEND_WAIT)

    try:
        value = _config(root / config_mod.CONFIG_FILE)
        if value is None:
            return
        target = config_mod.from_json(value).target(target_name)
        connection = session.connect(target, checked=False, meanwhile=read)
    except Exception:  # the plan reads, and says what is wrong, itself
        return
    with _LOCK:
        _started = Started(target, connection, pages)


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


def take(target: config_mod.Target) -> Started | None:
    """The read started for exactly `target`, once; None if there is none."""
    global _started
    with _LOCK:
        started, _started = _started, None
    if started is None or started.target != target:
        return None
    return started


def forget() -> None:
    """A run's started read is that run's."""
    global _started
    with _LOCK:
        _started = None
