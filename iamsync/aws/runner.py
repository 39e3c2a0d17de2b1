"""Run the calls: stage after stage, the chains of a stage concurrently; stop at a failure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from iamsync.aws.session import AWS_FAILURES, error_code, error_message, failure
from iamsync.core import safe
from iamsync.core.errors import IamsyncError
from iamsync.engine.calls import Call, Chain, StageCalls

if TYPE_CHECKING:
    pass

# Right after CreateUser/CreatePolicy, IAM may briefly answer NoSuchEntity to calls
# that name the new entity (eventual consistency): retry those after these pauses.
CONSISTENCY_PAUSES = (0.5, 1.0, 2.0, 4.0)
_REFERS_TO_NEW = frozenset(
    {
        "attach_user_policy",
        "put_user_policy",
        "add_user_to_group",
        "tag_user",
        "put_user_permissions_boundary",
        "attach_group_policy",
        "put_group_policy",
        "attach_role_policy",
        "put_role_policy",
        "tag_role",
        "put_role_permissions_boundary",
        "update_assume_role_policy",
        "update_role",
        "add_role_to_instance_profile",
        # a boundary policy created in the stage before
        "create_user",
        "create_role",
    }
)


OnCall = Callable[[Call], None]


class ApplyFailed(IamsyncError):
    """A call failed: says which, why, and what had already been done."""

    def __init__(self, failed: Call, reason: str, done: list[Call]) -> None:
        super().__init__(f"{failed.describe()} failed: {reason}")
        self.failed = failed
        self.reason = reason
        self.done = done


class ApplyInterrupted(IamsyncError):
    """Ctrl-C: the calls in flight finished, nothing new was started."""

    def __init__(self, done: list[Call]) -> None:
        super().__init__(f"interrupted after {len(done)} calls")
        self.done = done


def run(
    stages: Sequence[StageCalls],
    client: Callable[[str], Any],
    *,
    workers: int = 8,
    on_call: OnCall | None = None,
    pauses: Sequence[float] = CONSISTENCY_PAUSES,
    stop: threading.Event | None = None,
) -> list[Call]:
    """Make every call; return them in the order they completed. `stop` set (by whoever
    caught Ctrl-C, when this runs in a worker thread) ends it as an interrupt does."""
    runner = _Runner(client, on_call, pauses, stop or threading.Event())
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        try:
            for stage in stages:
                list(pool.map(runner.chain, stage))
                if runner.failure:
                    failed, reason = runner.failure
                    raise ApplyFailed(failed, reason, runner.done)
                if runner.stop.is_set():
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            # Start nothing new; let the calls in flight finish, so what was done is known.
            runner.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise ApplyInterrupted(runner.done) from None
    return runner.done


class _Runner:
    def __init__(
        self,
        client: Callable[[str], Any],
        on_call: OnCall | None,
        pauses: Sequence[float],
        stop: threading.Event,
    ) -> None:
        self.client = client  # service -> its client
        self.on_call = on_call
        self.pauses = pauses
        self.done: list[Call] = []
        self.failure: tuple[Call, str] | None = None
        self.stop = stop  # interrupted: start no new call
        self._lock = threading.Lock()

    def chain(self, chain: Chain) -> None:
        for call in chain:
            if self.failure or self.stop.is_set():
                return  # another chain failed, or the user interrupted: start nothing new
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
        method: Callable[..., Any] = getattr(self.client(call.service), call.operation)
        for pause in (*self.pauses, None):
            try:
                method(**call.params)
                return None
            except ClientError as exc:
                code = error_code(exc)
                if code == "NoSuchEntity" and call.is_destructive:
                    return None  # already gone: deleting twice converges
                if code == "EntityAlreadyExists" and call.operation == "create_instance_profile":
                    return self._profile_left_over(call)
                if pause is not None and _not_there_yet(call, code, error_message(exc)):
                    time.sleep(pause)
                    continue
                return _explain(call, code, exc)
            except AWS_FAILURES as exc:  # transport, or a garbled answer
                return failure(exc)
        return "the entity did not appear in time (IAM eventual consistency)"

    def _profile_left_over(self, call: Call) -> str | None:
        """An instance profile that already exists: the one an interrupted apply made (GAAD
        lists no profile that holds no role) when it is under the path and empty; anyone
        else's is not iamsync's to use (a profile's name is unique whatever its path)."""
        name, path = call.params["InstanceProfileName"], call.params["Path"]
        try:
            iam = self.client("iam")
            found = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        except ClientError as exc:
            return (
                f"an instance profile named {safe.line(name)} already exists and cannot be "
                f"read ({error_code(exc)}): it is not iamsync's"
            )
        except AWS_FAILURES as exc:
            return failure(exc)
        roles = [r.get("RoleName", "?") for r in found.get("Roles", [])]
        if found.get("Path") == path and not roles:
            return None  # left by an interrupted apply: there, as wanted
        holding = f", holding role {safe.line(', '.join(roles))}" if roles else ""
        return (
            f"an instance profile named {safe.line(name)} already exists at path "
            f"{safe.line(str(found.get('Path')))}{holding}: it is not iamsync's; rename it, or "
            "set instance_profile to false"
        )


def _not_there_yet(call: Call, code: str, message: str) -> bool:
    """IAM's eventual consistency: something this apply just created is not visible yet."""
    if code == "NoSuchEntity":
        return call.operation in _REFERS_TO_NEW
    # A trust policy naming a role or user created moments ago in the same stage.
    return (
        code == "MalformedPolicyDocument"
        and "invalid principal" in message.lower()
        and call.operation in ("create_role", "update_assume_role_policy")
    )


def _explain(call: Call, code: str, exc: ClientError) -> str:
    message = error_message(exc)
    if code == "LimitExceeded" and "size" in message.lower():
        return (
            f"the policy document is too large for IAM ({safe.line(message)}); no version was "
            "removed for it"
        )
    return failure(exc)
