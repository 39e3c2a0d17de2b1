"""The bulk read: every GetAccountAuthorizationDetails page, principals and policies side by
side. Light on purpose (boto3 and nothing of iamsync's model): a plan starts it before the
rest of iamsync has loaded."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from iamsync.aws.session import Garbled

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

_T = TypeVar("_T")

# Principals and policies are read as two paginations running side by side: on a large
# account neither waits for the other's pages. IAM's largest page is 1,000 entries.
_PRINCIPALS: list[Any] = ["User", "Group", "Role"]
_POLICIES: list[Any] = ["LocalManagedPolicy"]
_PAGE_SIZE = 1000


def fetch(iam: IAMClient) -> list[Any]:
    """Every GetAccountAuthorizationDetails page: principals and policies side by side."""
    policy_pages = background(lambda: _pages(iam, _POLICIES), "iamsync-policies-read")
    principal_pages = _pages(iam, _PRINCIPALS)
    return principal_pages + policy_pages.result()


def start(iam: IAMClient) -> Future[list[Any]]:
    """fetch() in the background."""
    return background(lambda: fetch(iam), "iamsync-bulk-read")


def background(work: Callable[[], _T], name: str) -> Future[_T]:
    """`work` on a daemon thread: a run that stops early (the wrong account, a repository
    with errors) says so at once and exits, never waiting for a read it will not use (a
    pool's worker would be joined at exit: seconds on a large account)."""
    done: Future[_T] = Future()

    def run() -> None:
        if not done.set_running_or_notify_cancel():
            return
        try:
            done.set_result(work())
        except BaseException as exc:  # given to whoever asks for the result
            done.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return done


def _pages(iam: IAMClient, kinds: list[Any]) -> list[Any]:
    paginator = iam.get_paginator("get_account_authorization_details")
    pages = list(paginator.paginate(Filter=kinds, PaginationConfig={"PageSize": _PAGE_SIZE}))
    if any("IsTruncated" not in page for page in pages):
        # Every GAAD answer says whether more pages follow; one that does not is not IAM's,
        # and reading it as "no users, no policies" would plan to delete everything.
        raise Garbled("GetAccountAuthorizationDetails")
    return pages
