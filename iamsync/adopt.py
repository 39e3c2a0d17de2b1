"""Repository files for live resources under the ownership prefix that Git does not have yet."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from iamsync.model import COMMIT_TAG, MANAGED_BY_TAG, Live, LivePolicy, LiveUser


@dataclass(frozen=True)
class Written:
    path: str  # relative to the repository root
    text: str


def files(
    live: Live, prefix: str, have_policies: Collection[str], have_users: Collection[str]
) -> list[Written]:
    """A file for every owned policy and user that has none, in the repository's formats."""
    owned_policies = {p.arn: p.name for p in live.policies.values() if p.path.startswith(prefix)}
    out = [
        Written(f"policies/{p.name}.json", _dump(_template(p.default.document, live)))
        for p in sorted(live.policies.values(), key=lambda p: p.name)
        if p.path.startswith(prefix) and p.name not in have_policies
    ]
    out += [
        Written(f"users/{u.name}.json", _dump(_user(u, owned_policies, live)))
        for u in sorted(live.users.values(), key=lambda u: u.name)
        if u.path.startswith(prefix) and u.name not in have_users
    ]
    return out


def unowned(live: Live, prefix: str) -> list[LivePolicy | LiveUser]:
    """Customer-managed policies and users outside the prefix (iamsync leaves them alone)."""
    found: list[LivePolicy | LiveUser] = [
        p for p in live.policies.values() if not p.path.startswith(prefix)
    ]
    found += [u for u in live.users.values() if not u.path.startswith(prefix)]
    return found


def _user(user: LiveUser, owned_policies: dict[str, str], live: Live) -> dict[str, Any]:
    def ref(arn: str) -> str:
        return owned_policies.get(arn) or _template(arn, live)

    value: dict[str, Any] = {"policies": sorted(ref(a) for a in user.attached)}
    if user.groups:
        value["groups"] = sorted(user.groups)
    if user.permissions_boundary:
        value["permissions_boundary"] = ref(user.permissions_boundary)
    tags = {k: v for k, v in user.tags.items() if k not in (MANAGED_BY_TAG, COMMIT_TAG)}
    if tags:
        value["tags"] = dict(sorted(tags.items()))
    return value


def _template(value: Any, live: Live) -> Any:
    """The account's id and partition inside ARNs become {{AccountId}} and {{Partition}}."""
    if isinstance(value, str):
        return value.replace(f"arn:{live.partition}:", "arn:{{Partition}}:").replace(
            f":{live.account_id}:", ":{{AccountId}}:"
        )
    if isinstance(value, list):
        return [_template(v, live) for v in value]
    if isinstance(value, dict):
        return {k: _template(v, live) for k, v in value.items()}
    return value


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
