"""Run the calls: stage after stage, the chains of a stage concurrently; stop at a failure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from iamsync.aws import error_code, error_message
from iamsync.calls import Call, Chain, Stage
from iamsync.errors import IamsyncError

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

# Right after CreateUser/CreatePolicy, IAM may briefly answer NoSuchEntity to calls
# that name the new entity (eventual consistency): retry those after these pauses.
CONSISTENCY_PAUSES = (0.5, 1.0, 2.0, 4.0)
_REFERS_TO_NEW = frozenset(
    {"attach_user_policy", "add_user_to_group", "tag_user", "put_user_permissions_boundary"}
)


OnCall = Callable[[Call], None]


class ApplyFailed(IamsyncError):
    """A call failed: says which, why, and what had already been done."""

    def __init__(self, failed: Call, reason: str, done: list[Call]) -> None:
        super().__init__(f"{failed.describe()} failed: {reason}")
        self.failed = failed
        self.reason = reason
        self.done = done


def run(
    stages: Sequence[Stage],
    iam: IAMClient,
    *,
    workers: int = 8,
    on_call: OnCall | None = None,
    pauses: Sequence[float] = CONSISTENCY_PAUSES,
) -> list[Call]:
    """Make every call; return them in the order they completed."""
    runner = _Runner(iam, on_call, pauses)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for stage in stages:
            list(pool.map(runner.chain, stage))
            if runner.failure:
                failed, reason = runner.failure
                raise ApplyFailed(failed, reason, runner.done)
    return runner.done


class _Runner:
    def __init__(self, iam: IAMClient, on_call: OnCall | None, pauses: Sequence[float]) -> None:
        self.iam = iam
        self.on_call = on_call
        self.pauses = pauses
        self.done: list[Call] = []
        self.failure: tuple[Call, str] | None = None
        self._lock = threading.Lock()

    def chain(self, chain: Chain) -> None:
        for call in chain:
            if self.failure:
                return  # another chain failed: start nothing new
            reason = self._call(call)
            with self._lock:
                if reason is not None:
                    self.failure = self.failure or (call, reason)
                    return
                self.done.append(call)
            if self.on_call:
                self.on_call(call)

    def _call(self, call: Call) -> str | None:
        """None when the call took effect (or its effect already holds), else why not."""
        method: Callable[..., Any] = getattr(self.iam, call.operation)
        for pause in (*self.pauses, None):
            try:
                method(**call.params)
                return None
            except ClientError as exc:
                code = error_code(exc)
                if code == "NoSuchEntity" and call.is_destructive:
                    return None  # already gone: deleting twice converges
                if (
                    code == "NoSuchEntity"
                    and call.operation in _REFERS_TO_NEW
                    and pause is not None
                ):
                    time.sleep(pause)
                    continue
                return _explain(call, code, error_message(exc))
            except (BotoCoreError, ResponseParserError) as exc:  # transport, or a garbled answer
                return str(exc).splitlines()[0]
        return "the entity did not appear in time (IAM eventual consistency)"


def _explain(call: Call, code: str, message: str) -> str:
    if code == "LimitExceeded" and "size" in message.lower():
        return (
            f"the policy document is too large for IAM ({message}); no version was removed for it"
        )
    return f"{code}: {message}"
