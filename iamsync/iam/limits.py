"""IAM's hard limits and how IAM measures them (pure)."""

from __future__ import annotations

import re
from typing import Any

from iamsync.iam import normalize

MANAGED_POLICY_SIZE = 6144  # characters, whitespace not counted; per policy version
TRUST_POLICY_SIZE = 2048  # a role's trust policy (adjustable to 4,096 in Service Quotas)
# A principal's inline policies together, whitespace not counted.
INLINE_POLICIES_SIZE = {"user": 2048, "group": 5120, "role": 10240}
DEFAULT_MAX_SESSION_DURATION = 3600  # seconds, a role's default
POLICY_VERSIONS = 5  # stored versions per managed policy
TAGS_PER_RESOURCE = 50
TAG_KEY_LENGTH = 128
TAG_VALUE_LENGTH = 256
DEFAULT_MANAGED_POLICIES_PER_USER = 10
GROUPS_PER_USER = 10

_WHITESPACE = re.compile(r"\s+")


def policy_size(document: Any) -> int:
    """The size IAM counts: the document's JSON without whitespace."""
    return compact_size(normalize.compact(document))


def compact_size(text: str) -> int:
    """policy_size of the document whose normalize.compact() is `text`."""
    return len(_WHITESPACE.sub("", text))
