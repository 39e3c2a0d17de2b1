"""CloudTrail records in the shapes AWS documents (the CloudTrail User Guide's "CloudTrail
record contents" and its examples), for the --suggest tests and the benchmark."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"


def user_identity(name: str, path: str = "/iamsync/", account: str = ACCOUNT) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDAJ45Q7YFFAREXAMPLE",
        "arn": f"arn:aws:iam::{account}:user{path}{name}",
        "accountId": account,
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "userName": name,
    }


def role_identity(role: str, session: str, path: str = "/iamsync/") -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEID:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEID",
                "arn": f"arn:aws:iam::{ACCOUNT}:role{path}{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "attributes": {"creationDate": "2026-11-01T10:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def record(
    identity: dict[str, Any],
    source: str,
    name: str,
    *,
    when: str = "2026-11-02T12:00:00Z",
    error: tuple[str, str] | None = None,
    resources: list[str] = (),  # type: ignore[assignment]
    read_only: bool = False,
    data: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when,
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.12",
        "userAgent": "aws-cdk/2.160.0",
        "requestParameters": extra.pop("request", None),
        "responseElements": None,
        "requestID": "c2a3f2c0-0000-4000-8000-000000000000",
        "eventID": "5c1e0a52-0000-4000-8000-000000000000",
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": not data,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data" if data else "Management",
    }
    if error is not None:
        out["errorCode"], out["errorMessage"] = error
    if resources:
        out["resources"] = [{"accountId": ACCOUNT, "ARN": arn} for arn in resources]
    out.update(extra)
    return out


def denied(identity: dict[str, Any], action: str, resource: str, **kw: Any) -> dict[str, Any]:
    """A denial with AWS's standard message (IAM's "not authorized to perform")."""
    service, _, name = action.partition(":")
    message = (
        f"User: {identity['arn']} is not authorized to perform: {action} on resource: "
        f"{resource} because no identity-based policy allows the {action} action"
    )
    return record(identity, service, name, error=("AccessDeniedException", message), **kw)


def write_log(path: Path, records: list[dict[str, Any]], *, gz: bool = True) -> Path:
    """A log file as CloudTrail delivers it to S3."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"Records": records}).encode()
    path.write_bytes(gzip.compress(body) if gz else body)
    return path


def write_lookup(path: Path, records: list[dict[str, Any]]) -> Path:
    """What `aws cloudtrail lookup-events` prints: each record as a JSON string."""
    events = [
        {
            "EventId": f"id-{i}",
            "EventName": r["eventName"],
            "ReadOnly": str(r.get("readOnly", False)).lower(),
            "EventTime": r["eventTime"],
            "EventSource": r["eventSource"],
            "Username": r["userIdentity"].get("userName", ""),
            "Resources": [],
            "CloudTrailEvent": json.dumps(r),
        }
        for i, r in enumerate(records)
    ]
    path.write_text(json.dumps({"Events": events}))
    return path
