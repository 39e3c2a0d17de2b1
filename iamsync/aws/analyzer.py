"""The optional online check (--access-analyzer): IAM Access Analyzer's ValidatePolicy on
every document the plan writes, shown next to iamsync's own findings.

ValidatePolicy is free; it needs network access to AWS and accessanalyzer:ValidatePolicy.
When it cannot run, the plan says so in one line and goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from iamsync import kinds
from iamsync.access.review import AnalyzerFinding
from iamsync.aws.session import AWS_FAILURES, failure
from iamsync.core.errors import IamsyncError
from iamsync.engine.plan import Plan
from iamsync.iam import normalize

if TYPE_CHECKING:
    from mypy_boto3_accessanalyzer import AccessAnalyzerClient


class Unavailable(IamsyncError):
    """Access Analyzer could not be asked; the plan goes on without it."""


PolicyType = Literal["IDENTITY_POLICY", "RESOURCE_POLICY"]
# A document's form (kinds.DocumentRef.form) -> what ValidatePolicy calls it.
_POLICY_TYPES: dict[str, PolicyType] = {"identity": "IDENTITY_POLICY", "trust": "RESOURCE_POLICY"}


def documents(plan: Plan) -> Iterator[tuple[str, Any, PolicyType]]:
    """(what, document, policy type) for every document the plan writes."""
    for change in plan.changes:
        kind = kinds.by_type(change.type)
        for ref in kind.documents(change) if kind else ():
            if ref.after is None or ref.form not in _POLICY_TYPES:
                continue
            label = " ".join(filter(None, (change.type, change.name, ref.label)))
            yield label, ref.after, _POLICY_TYPES[ref.form]


def validate(client: AccessAnalyzerClient, plan: Plan) -> tuple[AnalyzerFinding, ...]:
    """Every Access Analyzer finding on the plan's documents; Unavailable when it cannot."""
    found: list[AnalyzerFinding] = []
    for what, doc, kind in documents(plan):
        extra: dict[str, Any] = {}
        if kind == "RESOURCE_POLICY":
            extra["validatePolicyResourceType"] = "AWS::IAM::AssumeRolePolicyDocument"
        try:
            pages = client.get_paginator("validate_policy").paginate(
                policyDocument=normalize.compact(doc), policyType=kind, **extra
            )
            for page in pages:
                found += [
                    AnalyzerFinding(
                        what,
                        str(f["findingType"]),
                        str(f["issueCode"]),
                        str(f["findingDetails"]),
                    )
                    for f in page["findings"]
                ]
        except AWS_FAILURES as exc:
            raise Unavailable(f"IAM Access Analyzer is unavailable: {failure(exc)}") from exc
    return tuple(found)
