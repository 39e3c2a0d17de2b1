"""Trust policies that let anyone in are errors at their line, judged by what the condition
admits, not by the operator's name; the legitimate shapes stay valid."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamsync.engine import validate
from tests.conftest import WriteRepo

GITHUB = "token.actions.githubusercontent.com"
OIDC = f"arn:aws:iam::123456789012:oidc-provider/{GITHUB}"
AUD = {f"{GITHUB}:aud": "sts.amazonaws.com"}


def role(statement: dict[str, Any]) -> str:
    """A role file whose one trust statement starts on line 5."""
    body = json.dumps(statement)
    return (
        '{\n  "trust_policy": {\n    "Version": "2012-10-17",\n    "Statement": [\n'
        f"      {body}\n    ]\n  }}\n}}\n"
    )


def github(condition: dict[str, Any], action: Any = "sts:AssumeRoleWithWebIdentity") -> str:
    return role(
        {
            "Effect": "Allow",
            "Principal": {"Federated": OIDC},
            "Action": action,
            "Condition": condition,
        }
    )


def _sub(op: str, value: Any) -> dict[str, Any]:
    return {"StringEquals": AUD, op: {f"{GITHUB}:sub": value}}


ERRORS = {
    "subject with a leading wildcard": (
        github(_sub("StringLike", "*:ref:refs/heads/main")),
        "OIDC_WITHOUT_SUBJECT",
    ),
    "subject repo*": (github(_sub("StringLike", "repo*")), "OIDC_WITHOUT_SUBJECT"),
    "an organisation prefix": (
        github(_sub("StringLike", "repo:your-org*")),
        "OIDC_WITHOUT_SUBJECT",
    ),
    "an organisation prefix with a path": (
        github(_sub("StringLike", "repo:your-org*/app:*")),
        "OIDC_WITHOUT_SUBJECT",
    ),
    "StringNotEquals on the subject": (
        github(_sub("StringNotEquals", "repo:evil/x:ref:refs/heads/main")),
        "OIDC_WITHOUT_SUBJECT",
    ),
    "Null on the subject": (github(_sub("Null", "false")), "OIDC_WITHOUT_SUBJECT"),
    "sts:AssumeRole* and no condition": (
        role({"Effect": "Allow", "Principal": {"Federated": OIDC}, "Action": "sts:AssumeRole*"}),
        "OIDC_WITHOUT_SUBJECT",
    ),
    "every action and no condition": (
        role({"Effect": "Allow", "Principal": {"Federated": OIDC}, "Action": "*"}),
        "OIDC_WITHOUT_SUBJECT",
    ),
    "NotAction and no condition": (
        role({"Effect": "Allow", "Principal": {"Federated": OIDC}, "NotAction": "s3:*"}),
        "OIDC_WITHOUT_SUBJECT",
    ),
    "Google without its audience": (
        role(
            {
                "Effect": "Allow",
                "Principal": {"Federated": "accounts.google.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
            }
        ),
        "FEDERATED_WITHOUT_AUDIENCE",
    ),
    "Cognito without its identity pool": (
        role(
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringLike": {"cognito-identity.amazonaws.com:aud": "*"}},
            }
        ),
        "FEDERATED_WITHOUT_AUDIENCE",
    ),
    "AWS * limited only by SecureTransport": (
        role(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ),
        "TRUST_ANYONE",
    ),
    "Principal * and no condition": (
        role({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}),
        "TRUST_ANYONE",
    ),
    "everyone but one (NotPrincipal)": (
        role(
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ),
        "TRUST_ANYONE",
    ),
    "AWS * with the organisation as IfExists or a wildcard": (
        role(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}},
            }
        ),
        "TRUST_ANYONE",
    ),
    "Principal * with web identity": (
        role({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"}),
        "TRUST_ANYONE",
    ),
    "AWS * with SAML": (
        role({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRoleWithSAML"}),
        "TRUST_ANYONE",
    ),
    "Principal * with NotAction sts:AssumeRole": (
        role({"Effect": "Allow", "Principal": "*", "NotAction": "sts:AssumeRole"}),
        "TRUST_ANYONE",
    ),
    "the organisation only IfExists": (
        role(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}},
            }
        ),
        "TRUST_ANYONE",
    ),
    "the organisation with ForAllValues": (
        role(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
            }
        ),
        "TRUST_ANYONE",
    ),
    "a subject only IfExists": (
        github(_sub("StringLikeIfExists", "repo:acme/app:*")),
        "OIDC_WITHOUT_SUBJECT",
    ),
}

VALID = {
    "one repository's main branch": github(
        _sub("StringEquals", "repo:acme/app:ref:refs/heads/main")
    ),
    "any branch of one repository": github(_sub("StringLike", "repo:acme/app:*")),
    "any repository of one organisation": github(_sub("StringLike", "repo:acme/*")),
    "Google with its client id": role(
        {
            "Effect": "Allow",
            "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"accounts.google.com:aud": "1234.apps.googleusercontent.com"}
            },
        }
    ),
    "AWS * pinned to an organisation": role(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        }
    ),
    "AWS * pinned to organisation paths": role(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc/r-ab/ou-ab-123/*"}
            },
        }
    ),
    "AWS * pinned to roles of one account": role(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ci-*"}},
        }
    ),
    "GitHub Enterprise's issuer": role(
        {
            "Effect": "Allow",
            "Principal": {"Federated": OIDC + "/acme-enterprise"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {f"{GITHUB}/acme-enterprise:aud": "sts.amazonaws.com"},
                "StringLike": {f"{GITHUB}/acme-enterprise:sub": "repo:acme/app:*"},
            },
        }
    ),
    "GitHub's custom subject claims": github(
        _sub("StringEquals", "repository_owner_id:123:repository_id:456:ref:refs/heads/main")
    ),
    "a service": role(
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ),
}


@pytest.mark.parametrize("case", ERRORS.values(), ids=ERRORS.keys())
def test_a_trust_that_lets_anyone_in_is_an_error_at_its_line(
    case: tuple[str, str], write_repo: WriteRepo
) -> None:
    text, code = case
    root = write_repo({"roles/r.json": text})
    found = [p for p in validate.check(root).problems if p.code == code]
    assert found, [p.render() for p in validate.check(root).problems]
    assert found[0].severity == "error" and found[0].file == "roles/r.json"
    assert found[0].line == 5


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_a_trust_that_names_who_may_assume_stays_valid(text: str, write_repo: WriteRepo) -> None:
    root = write_repo({"roles/r.json": text})
    errors = [p.render() for p in validate.check(root).problems if p.severity == "error"]
    assert errors == []
