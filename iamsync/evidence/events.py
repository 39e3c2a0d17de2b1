"""What one CloudTrail record says about a principal: whose it is, whether it was denied,
which IAM action and resources it needed (pure).

The action comes from AWS's denial message where it has one ("… is not authorized to
perform: ecr:PutImage on resource: arn:… because no identity-based policy allows …"),
else from the event: its service (eventSource) and API call (eventName), mapped through
the catalog, with the few calls whose permission is named otherwise in `RENAMED`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from iamsync.evidence.records import Record
from iamsync.iam import arn
from iamsync.iam.catalog import Catalog

# errorCode values that mean "not permitted" (AWS's own spellings across services);
# "Client." is the prefix EC2's older API versions put before theirs.
DENIED_CODES = frozenset(
    {
        "accessdenied",
        "accessdeniedexception",
        "unauthorizedoperation",
        "unauthorizedaccess",
        "unauthorizedexception",
        "authorizationerror",
        "authorizationerrorexception",
        "forbidden",
        "forbiddenexception",
        "notauthorized",
        "notauthorizedexception",
    }
)

# eventSource prefixes that are not the service's IAM prefix.
SOURCES = {"monitoring": "cloudwatch", "email": "ses", "tagging": "tag"}

# API calls whose permission is named otherwise. Source: the Amazon S3 User Guide,
# "Required permissions for Amazon S3 API operations"; the Lambda Developer Guide,
# "Logging Lambda API calls using CloudTrail" (API-version suffixes on event names).
RENAMED = {
    "s3:ListObjects": "s3:ListBucket",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:ListObjectVersions": "s3:ListBucketVersions",
    "s3:HeadObject": "s3:GetObject",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:CreateMultipartUpload": "s3:PutObject",
    "s3:UploadPart": "s3:PutObject",
    "s3:UploadPartCopy": "s3:PutObject",
    "s3:CompleteMultipartUpload": "s3:PutObject",
    "s3:CopyObject": "s3:PutObject",
    "s3:DeleteObjects": "s3:DeleteObject",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketPolicy": "s3:DeleteBucketPolicy",
    "s3:DeleteBucketTagging": "s3:PutBucketTagging",
    "s3:DeleteBucketCors": "s3:PutBucketCORS",
    "s3:GetBucketCors": "s3:GetBucketCORS",
    "s3:PutBucketCors": "s3:PutBucketCORS",
    "s3:DeleteObjectTagging": "s3:DeleteObjectTagging",
    "lambda:Invoke": "lambda:InvokeFunction",
    "lambda:InvokeAsync": "lambda:InvokeAsync",
}
_LAMBDA_VERSION = re.compile(r"\d{8}(?:v\d+)?\Z")  # UpdateFunctionCode20150331v2

_MESSAGE = re.compile(
    r"not authorized to perform: ([A-Za-z0-9-]+:[A-Za-z0-9*]+)(?: on resource: (\S+))?"
)
_WHY = re.compile(r"(because no|with an explicit deny in an?) ([a-z -]{2,40}?) (policy|boundary)")


@dataclass(frozen=True)
class Who:
    """The principal whose events count: its own calls (an IAM user: the caller's ARN is
    its ARN), or its sessions' (`sessions`, a role: the session's issuer is its ARN)."""

    iam_type: str  # the resource type of its ARN
    name: str
    account: str = ""  # "" when unknown: any account's principal of that name
    sessions: bool = False

    def owns(self, record: Record) -> bool:
        ident = record.userIdentity
        if ident is None:
            return False
        if not self.sessions:
            return self._is(ident.arn)
        issuer = ident.sessionContext.sessionIssuer if ident.sessionContext else None
        return issuer is not None and self._is(issuer.arn)

    def _is(self, arn: str) -> bool:
        """The ARN is of its type, in its account when known, and ends in its name
        (case-insensitively, as IAM's names are; a path never hides a principal)."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or (self.account and parts[4] != self.account):
            return False
        kind, _, rest = parts[5].partition("/")
        return kind == self.iam_type and rest.rsplit("/", 1)[-1].lower() == self.name.lower()


@dataclass(frozen=True)
class Call:
    """What one of the principal's events needed."""

    action: str  # the catalog's spelling ("ecr:PutImage"), or "" when unmapped
    resources: tuple[str, ...]
    denied: bool
    why: str  # the denial's reason as AWS says it ("no identity-based policy"), or ""
    source: str  # "eventSource eventName", for what cannot be mapped


def call(record: Record, catalog: Catalog) -> Call:
    code = (record.errorCode or "").lower().removeprefix("client.")
    denied = code in DENIED_CODES or "accessdenied" in code or "unauthorized" in code
    message = (record.errorMessage or "")[:4000] if denied else ""
    found = _MESSAGE.search(message)
    action = _known(found.group(1), catalog) if found else ""
    resources: tuple[str, ...] = ()
    if found and found.group(2):
        resources = tuple(_plausible([found.group(2).rstrip(".,;")]))
    source = f"{record.eventSource} {record.eventName}"
    if not action:
        action = _mapped(record.eventSource, record.eventName, catalog)
    if not resources:
        resources = tuple(sorted(set(_plausible(r.ARN for r in record.resources or ()))))
    why = ""
    reason = _WHY.search(message)
    if reason:
        why = reason.group(0).removeprefix("because ").removeprefix("with ")
    return Call(action, resources, denied, why, source)


def _plausible(arns: Iterable[str]) -> Iterator[str]:
    """ARNs as IAM writes them: a text that is not one (control characters, no six parts)
    is no resource, so it never reaches a file or a terminal as one."""
    for text in arns:
        if (
            len(text) <= 2048
            and text.isprintable()
            and " " not in text
            and not isinstance(arn.parse(text), str)
        ):
            yield text


def is_data_event(record: Record) -> bool:
    return record.managementEvent is False or record.eventCategory == "Data"


def _mapped(source: str, name: str, catalog: Catalog) -> str:
    prefix = source.removesuffix(".amazonaws.com").removesuffix(".amazonaws.com.cn")
    service = SOURCES.get(prefix, prefix.rsplit(".", 1)[-1] if "." in prefix else prefix)
    if service == "lambda":
        name = _LAMBDA_VERSION.sub("", name)
    wanted = RENAMED.get(f"{service}:{name}", f"{service}:{name}")
    return _known(wanted, catalog)


def _known(action: str, catalog: Catalog) -> str:
    service, _, name = action.partition(":")
    found = catalog.action(service, name) if service and name and "*" not in name else None
    return found.full if found is not None else ""


# Actions CloudTrail records only as data events, which a trail logs only when asked to
# (and LookupEvents never returns). Source: the AWS CloudTrail User Guide, "Logging data
# events" (its table of data event resource types); the actions of the most used ones.
DATA_EVENT_ACTIONS = frozenset(
    a.lower()
    for a in (
        *(
            f"s3:{n}"
            for n in (
                "GetObject",
                "GetObjectVersion",
                "GetObjectAcl",
                "GetObjectVersionAcl",
                "GetObjectTagging",
                "GetObjectVersionTagging",
                "GetObjectAttributes",
                "GetObjectRetention",
                "GetObjectLegalHold",
                "PutObject",
                "PutObjectAcl",
                "PutObjectVersionAcl",
                "PutObjectTagging",
                "PutObjectVersionTagging",
                "PutObjectRetention",
                "PutObjectLegalHold",
                "DeleteObject",
                "DeleteObjectVersion",
                "DeleteObjectTagging",
                "DeleteObjectVersionTagging",
                "RestoreObject",
                "AbortMultipartUpload",
                "ListMultipartUploadParts",
                "ListBucket",
                "ListBucketVersions",
                "ListBucketMultipartUploads",
            )
        ),
        "lambda:InvokeFunction",
        "lambda:InvokeFunctionUrl",
        *(
            f"dynamodb:{n}"
            for n in (
                "GetItem",
                "PutItem",
                "UpdateItem",
                "DeleteItem",
                "BatchGetItem",
                "BatchWriteItem",
                "Query",
                "Scan",
                "ConditionCheckItem",
                "PartiQLSelect",
                "PartiQLInsert",
                "PartiQLUpdate",
                "PartiQLDelete",
                "GetRecords",
                "GetShardIterator",
            )
        ),
        "sns:Publish",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "kinesis:PutRecord",
        "kinesis:PutRecords",
        "kinesis:GetRecords",
    )
)


def lookup_attributes(who: Who) -> list[dict[str, str]]:
    """LookupEvents' filter for the principal's events: an IAM user's events carry its
    name as Username; a role's sessions carry their session names, so a role's events are
    read whole and kept by Who.owns."""
    return [] if who.sessions else [{"AttributeKey": "Username", "AttributeValue": who.name}]
