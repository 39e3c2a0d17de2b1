"""The repository config (iamsync.json) as a typed value, with IAM's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from iamsync.core.errors import ConfigError
from iamsync.iam import limits

DEFAULT_PATH_PREFIX = "/iamsync/"
CONFIG_FILE = "iamsync.json"


@dataclass(frozen=True)
class Target:
    """One account to sync. Empty fields are resolved from the credential chain."""

    name: str
    account_id: str | None = None
    region: str | None = None
    partition: str | None = None
    role_arn: str | None = None
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # where this target differs from the repository-wide settings (None: the same)
    path_prefix: str | None = None
    permissions_boundary: str | None = None
    managed_policies_per_user: int | None = None
    environment: str | None = None  # the GitHub Actions environment of its apply job


@dataclass(frozen=True)
class Discovery:
    """Targets from AWS Organizations: the active accounts of these OUs and their children."""

    ous: tuple[str, ...]
    role_name: str
    exclude: frozenset[str] = frozenset()
    region: str | None = None
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    environment: str | None = None


@dataclass(frozen=True)
class Config:
    path_prefix: str = DEFAULT_PATH_PREFIX
    # ARN template ({{Partition}}, {{AccountId}}) of the boundary every user must have; None:
    # no boundary is imposed (iamsync as a plain sync tool).
    permissions_boundary: str | None = None
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    default_target: str | None = None
    targets: Mapping[str, Target] = field(default_factory=lambda: MappingProxyType({}))
    managed_policies_per_user: int = limits.DEFAULT_MANAGED_POLICIES_PER_USER
    ignore: frozenset[str] = frozenset()
    known_actions: tuple[str, ...] = ()
    catalog_max_age_days: int = 60
    organizations: tuple[Discovery, ...] = ()

    def for_target(self, target: Target) -> Config:
        """The settings that hold in `target`: its own ownership prefix, required boundary
        and quota where it sets them, the repository's elsewhere."""
        return replace(
            self,
            path_prefix=target.path_prefix or self.path_prefix,
            permissions_boundary=target.permissions_boundary or self.permissions_boundary,
            managed_policies_per_user=target.managed_policies_per_user
            or self.managed_policies_per_user,
        )

    def target(self, name: str | None) -> Target:
        """The target named on the command line, else the default, else the ambient one."""
        chosen = name or self.default_target
        if chosen is None:
            return Target(name="default")
        if chosen not in self.targets:
            known = ", ".join(sorted(self.targets)) or "none defined"
            raise ConfigError(f"unknown target {chosen!r} (targets in {CONFIG_FILE}: {known})")
        return self.targets[chosen]


def from_json(value: Mapping[str, Any]) -> Config:
    """Build a Config from a schema-valid iamsync.json object."""
    quotas = value.get("quotas", {})
    validation = value.get("validation", {})
    targets = {
        name: Target(
            name=name,
            account_id=t.get("account_id"),
            region=t.get("region"),
            partition=t.get("partition"),
            role_arn=t.get("role_arn"),
            variables=MappingProxyType(dict(t.get("variables", {}))),
            path_prefix=t.get("path_prefix"),
            permissions_boundary=t.get("permissions_boundary"),
            managed_policies_per_user=t.get("quotas", {}).get("managed_policies_per_user"),
            environment=t.get("environment"),
        )
        for name, t in value.get("targets", {}).items()
    }
    return Config(
        path_prefix=value.get("path_prefix", DEFAULT_PATH_PREFIX),
        permissions_boundary=value.get("permissions_boundary"),
        variables=MappingProxyType(dict(value.get("variables", {}))),
        default_target=value.get("default_target"),
        targets=MappingProxyType(targets),
        managed_policies_per_user=quotas.get(
            "managed_policies_per_user", limits.DEFAULT_MANAGED_POLICIES_PER_USER
        ),
        ignore=frozenset(validation.get("ignore", ())),
        known_actions=tuple(validation.get("known_actions", ())),
        catalog_max_age_days=validation.get("catalog_max_age_days", 60),
        organizations=tuple(
            Discovery(
                tuple(o["ous"]),
                o["role_name"],
                frozenset(o.get("exclude_accounts", ())),
                o.get("region"),
                MappingProxyType(dict(o.get("variables", {}))),
                o.get("environment"),
            )
            for o in value.get("organizations", ())
        ),
    )
