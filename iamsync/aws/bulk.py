"""The bulk read: every GetAccountAuthorizationDetails page, principals and policies side by
side. Light on purpose (boto3 and nothing of iamsync's model): a plan starts it before the
rest of iamsync has loaded."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from iamsync.aws.session import Garbled

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

# Principals and policies are read as two paginations running side by side: on a large
# account neither waits for the other's pages. IAM's largest page is 1,000 entries.
_PRINCIPALS: list[Any] = ["User", "Group", "Role"]
_POLICIES: list[Any] = ["LocalManagedPolicy"]
_PAGE_SIZE = 1000


def fetch(iam: IAMClient) -> list[Any]:
    """Every GetAccountAuthorizationDetails page: principals and policies side by side."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        policy_pages = pool.submit(_pages, iam, _POLICIES)
        principal_pages = _pages(iam, _PRINCIPALS)
        return principal_pages + policy_pages.result()


def _pages(iam: IAMClient, kinds: list[Any]) -> list[Any]:
    paginator = iam.get_paginator("get_account_authorization_details")
    pages = list(paginator.paginate(Filter=kinds, PaginationConfig={"PageSize": _PAGE_SIZE}))
    if any("IsTruncated" not in page for page in pages):
        # Every GAAD answer says whether more pages follow; one that does not is not IAM's,
        # and reading it as "no users, no policies" would plan to delete everything.
        raise Garbled("GetAccountAuthorizationDetails")
    return pages
