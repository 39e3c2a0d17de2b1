"""Targets from AWS Organizations: the active accounts of named OUs (child OUs included),
each a target named after its account, assuming the configured role in it.

Read once per run (a process-wide cache, shared by the targets planned in parallel) with
the ambient credentials: the management account's, or a delegated administrator's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from iamsync.aws import session
from iamsync.core.errors import ConfigError, IamsyncError
from iamsync.files.config import CONFIG_FILE, Config, Discovery, Target

_LOCK = threading.Lock()
_FOUND: dict[str, dict[str, Target]] = {}  # by what was asked (repr of the discoveries)
_MISSING = ("ChildNotFoundException", "ParentNotFoundException", "TargetNotFoundException")


def forget() -> None:
    """A new run reads Organizations again (its accounts may have changed)."""
    with _LOCK:
        _FOUND.clear()


def with_discovered(config: Config, client: Any = None) -> Config:
    """`config` with the discovered targets added (unchanged when it discovers nothing)."""
    if not config.organizations:
        return config
    with _LOCK:
        key = repr(
            [
                (
                    d.ous,
                    d.role_name,
                    sorted(d.exclude),
                    d.region,
                    sorted(d.variables.items()),
                    d.environment,
                )
                for d in config.organizations
            ]
        )
        found = _FOUND.get(key)
        if found is None:
            found = _FOUND[key] = discover(
                config.organizations, client or session.new_session().client("organizations")
            )
    listed = {t.account_id: name for name, t in config.targets.items() if t.account_id}
    for name, target in found.items():
        if target.account_id in listed:
            raise ConfigError(
                f"{CONFIG_FILE}: account {target.account_id} is a target twice: as "
                f"{listed[target.account_id]!r} in targets, and found in Organizations as "
                f"{name!r}; list it once (exclude_accounts leaves it out of an OU)"
            )
        if name in config.targets:
            raise ConfigError(
                f"{CONFIG_FILE}: target {name!r} is both in targets and an account found in "
                "Organizations; rename one"
            )
    return replace(config, targets=MappingProxyType({**config.targets, **found}))


def discover(discoveries: tuple[Discovery, ...], client: Any) -> dict[str, Target]:
    found: dict[str, Target] = {}
    where: dict[str, str] = {}  # account id -> the OU it was found in
    for d in discoveries:
        for ou in d.ous:
            for account in _accounts(client, ou):
                if account["Status"] != "ACTIVE" or account["Id"] in d.exclude:
                    continue
                if account["Id"] in where:
                    raise ConfigError(
                        f"{CONFIG_FILE}: account {account['Id']} is found twice in "
                        f"organizations (under {where[account['Id']]} and {ou}); list each "
                        "OU once, or exclude it from one"
                    )
                where[account["Id"]] = ou
                name = target_name(account["Name"])
                if name in found:
                    raise ConfigError(
                        f"{CONFIG_FILE}: two accounts make the target name {name!r} "
                        f"({found[name].account_id} and {account['Id']})"
                    )
                partition = account["Arn"].split(":")[1]
                found[name] = Target(
                    name=name,
                    account_id=account["Id"],
                    region=d.region,
                    partition=partition,
                    role_arn=f"arn:{partition}:iam::{account['Id']}:role/{d.role_name}",
                    variables=MappingProxyType({**d.variables, "AccountName": account["Name"]}),
                    environment=d.environment,
                )
    return found


def target_name(account_name: str) -> str:
    """ "Team A — Prod" -> "team-a-prod": a target name from an account's name."""
    return re.sub(r"[^a-z0-9]+", "-", account_name.lower()).strip("-") or "account"


def _accounts(client: Any, ou: str) -> Iterator[dict[str, Any]]:
    """Every account under `ou`, its child OUs' included."""
    try:
        pending = [ou]
        while pending:
            parent = pending.pop()
            pages = client.get_paginator("list_accounts_for_parent").paginate(ParentId=parent)
            for page in pages:
                yield from page["Accounts"]
            pages = client.get_paginator("list_organizational_units_for_parent").paginate(
                ParentId=parent
            )
            pending += [unit["Id"] for page in pages for unit in page["OrganizationalUnits"]]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _MISSING:
            raise ConfigError(
                f"{CONFIG_FILE}: organizations names OU {ou}, which the organization does not "
                "have (or these credentials cannot see)"
            ) from exc
        raise IamsyncError(f"cannot read AWS Organizations ({code}: {exc})") from exc
    except BotoCoreError as exc:
        raise IamsyncError(f"cannot read AWS Organizations: {exc}") from exc
