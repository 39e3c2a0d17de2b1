"""Every class of bad input: the file, the line, the column and the words of each message."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from iamsync.core.problems import Problem
from iamsync.engine import validate
from tests.conftest import GOOD_POLICY, REPO_ROOT, WriteRepo


def policy(statement: str, version: str = '"2012-10-17"') -> str:
    """A policy file whose (one-line) statement sits on line 4."""
    return f'{{\n  "Version": {version},\n  "Statement": [\n    {statement}\n  ]\n}}\n'


def stmt(**elements: Any) -> str:
    body = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    body.update(elements)
    return json.dumps({k: v for k, v in body.items() if v is not None})


@dataclass(frozen=True)
class Expect:
    file: str
    line: int
    code: str
    words: str
    severity: str = "error"
    col: int | None = None


CASES: dict[str, tuple[dict[str, Any], list[Expect]]] = {
    # -- loader ------------------------------------------------------------------------
    "empty file": (
        {"policies/p.json": ""},
        [Expect("policies/p.json", 1, "EMPTY_FILE", "file is empty", col=1)],
    ),
    "whitespace only": (
        {"policies/p.json": "  \n\n"},
        [Expect("policies/p.json", 1, "EMPTY_FILE", "file is empty")],
    ),
    "not utf-8": (
        {"policies/p.json": b'{\n  "Version": "\xff"\n}'},
        [Expect("policies/p.json", 2, "ENCODING", "not valid UTF-8", col=15)],
    ),
    "utf-16": (
        {"policies/p.json": "{}".encode("utf-16")},
        [Expect("policies/p.json", 1, "ENCODING", "UTF-16; save it as UTF-8")],
    ),
    "trailing comma": (
        {"policies/p.json": policy('{"Effect": "Allow",}')},
        [Expect("policies/p.json", 4, "JSON_SYNTAX", "trailing comma", col=24)],
    ),
    "single quotes": (
        {"policies/p.json": "{'Version': 1}"},
        [Expect("policies/p.json", 1, "JSON_SYNTAX", "key in double quotes")],
    ),
    "two documents": (
        {"policies/p.json": "{}\n{}"},
        [Expect("policies/p.json", 2, "JSON_SYNTAX", "extra data")],
    ),
    "NaN": (
        {"users/u.json": '{\n "tags": {"a": NaN}\n}'},
        [Expect("users/u.json", 2, "JSON_SYNTAX", "NaN is not a JSON value")],
    ),
    "duplicate key": (
        {
            "policies/p.json": policy(
                '{"Effect": "Allow",\n     "Effect": "Deny", "Action": "s3:*", "Resource": "*"}'
            )
        },
        [
            Expect(
                "policies/p.json",
                5,
                "DUPLICATE_KEY",
                'duplicate key "Effect" (first at line 4)',
                col=6,
            )
        ],
    ),
    # -- schema --------------------------------------------------------------------------
    "not an object": (
        {"policies/p.json": "[]"},
        [Expect("policies/p.json", 1, "WRONG_TYPE", "must be an object")],
    ),
    "missing version": (
        {"policies/p.json": '{\n  "Statement": []\n}'},
        [Expect("policies/p.json", 1, "MISSING_KEY", '"Version"')],
    ),
    "unknown version": (
        {"policies/p.json": policy(stmt(), '"2012-10-18"')},
        [Expect("policies/p.json", 2, "INVALID_VALUE", '"2012-10-17" or "2008-10-17"')],
    ),
    "empty statement list": (
        {"policies/p.json": '{"Version": "2012-10-17",\n"Statement": []}'},
        [Expect("policies/p.json", 2, "EMPTY_VALUE", "must not be empty")],
    ),
    "effect lower case": (
        {"policies/p.json": policy(stmt(Effect="allow"))},
        [
            Expect(
                "policies/p.json",
                4,
                "INVALID_VALUE",
                '"Effect" must be "Allow" or "Deny", not "allow"',
            )
        ],
    ),
    "missing effect": (
        {"policies/p.json": policy('{"Action": "s3:*", "Resource": "*"}')},
        [Expect("policies/p.json", 4, "MISSING_KEY", '"Effect"')],
    ),
    "misspelled element": (
        {"policies/p.json": policy(stmt(Action=None, Actions="s3:*"))},
        [
            Expect(
                "policies/p.json",
                4,
                "UNKNOWN_KEY",
                'unknown key "Actions" (did you mean "Action"?)',
            )
        ],
    ),
    "action not a string": (
        {"policies/p.json": policy(stmt(Action=5))},
        [Expect("policies/p.json", 4, "WRONG_TYPE", "a string or a list of strings, not a number")],
    ),
    "principal in identity policy": (
        {"policies/p.json": policy(stmt(Principal={"AWS": "*"}))},
        [Expect("policies/p.json", 4, "NOT_ALLOWED", '"Principal" is not allowed here')],
    ),
    # -- statement shape -----------------------------------------------------------------
    "action and notaction": (
        {"policies/p.json": policy(stmt(NotAction="s3:PutObject"))},
        [
            Expect(
                "policies/p.json",
                4,
                "UNSUPPORTED_ELEMENT_COMBINATION",
                '"Action" or "NotAction", not both',
            )
        ],
    ),
    "no action": (
        {"policies/p.json": policy(stmt(Action=None))},
        [Expect("policies/p.json", 4, "MISSING_ACTION", 'no "Action"')],
    ),
    "resource and notresource": (
        {"policies/p.json": policy(stmt(NotResource="*"))},
        [
            Expect(
                "policies/p.json",
                4,
                "UNSUPPORTED_ELEMENT_COMBINATION",
                '"Resource" or "NotResource"',
            )
        ],
    ),
    "no resource": (
        {"policies/p.json": policy(stmt(Resource=None))},
        [Expect("policies/p.json", 4, "MISSING_RESOURCE", 'no "Resource"')],
    ),
    "sid with dash": (
        {"policies/p.json": policy(stmt(Sid="read-objects"))},
        [Expect("policies/p.json", 4, "UNSUPPORTED_SID", "only letters and digits")],
    ),
    "duplicate sid": (
        {"policies/p.json": policy(stmt(Sid="A") + ",\n    " + stmt(Sid="A"))},
        [Expect("policies/p.json", 5, "DUPLICATE_SID", "another statement (line 4)")],
    ),
    "variables in old version": (
        {
            "policies/p.json": policy(
                stmt(Resource="arn:aws:s3:::b/${aws:username}/*"), '"2008-10-17"'
            )
        },
        [Expect("policies/p.json", 2, "VARIABLES_NEED_2012_VERSION", "taken literally", "warning")],
    ),
    # -- actions ---------------------------------------------------------------------------
    "misspelled service": (
        {"policies/p.json": policy(stmt(Action="s4:GetObject"))},
        [Expect("policies/p.json", 4, "INVALID_SERVICE", 'did you mean "s3:GetObject"?')],
    ),
    "misspelled action": (
        {"policies/p.json": policy(stmt(Action="s3:GetObjcet"))},
        [Expect("policies/p.json", 4, "INVALID_ACTION", 'did you mean "s3:GetObject"?')],
    ),
    "wildcard matching nothing": (
        {"policies/p.json": policy(stmt(Action="ec2:Descrbe*", Resource="*"))},
        [Expect("policies/p.json", 4, "INVALID_ACTION", 'did you mean "ec2:Describe*"?')],
    ),
    "misspelled wildcard head prefers the pattern that matches most": (
        {"policies/p.json": policy(stmt(Action="ecr:Lst*", Resource="*"))},
        [Expect("policies/p.json", 4, "INVALID_ACTION", 'did you mean "ecr:List*"?')],
    ),
    "wildcard of a known service that matches nothing": (
        {"policies/p.json": policy(stmt(Action="ecr:Batch*Foo", Resource="*"))},
        [
            Expect(
                "policies/p.json", 4, "INVALID_ACTION", '"ecr:Batch*Foo" matches no action of ecr'
            )
        ],
    ),
    "misspelled wildcard tail": (
        {"policies/p.json": policy(stmt(Action="s3:*Objcet", Resource="*"))},
        [Expect("policies/p.json", 4, "INVALID_ACTION", 'did you mean "s3:*Object"?')],
    ),
    "action without service": (
        {"policies/p.json": policy(stmt(Action="GetObject"))},
        [Expect("policies/p.json", 4, "INVALID_ACTION_FORMAT", "write service:Action")],
    ),
    "action newer than catalog": (
        {"policies/p.json": policy(stmt(Action="s3:TeleportBucket"))},
        [Expect("policies/p.json", 4, "UNKNOWN_ACTION", "not in the IAM catalog", "warning")],
    ),
    "service unknown to catalog": (
        {"policies/p.json": policy(stmt(Action="quantumledger:Read", Resource="*"))},
        [
            Expect(
                "policies/p.json",
                4,
                "UNKNOWN_SERVICE",
                "newer than the catalog or retired",
                "warning",
            )
        ],
    ),
    "in a list, at its line": (
        {
            "policies/p.json": policy(
                '{"Effect": "Allow", "Resource": "*", "Action": [\n'
                '      "s3:GetObject",\n      "iam:ListUsers",\n'
                '      "iam:ListUesrs"\n    ]}'
            )
        },
        [Expect("policies/p.json", 7, "INVALID_ACTION", '"iam:ListUsers"', col=7)],
    ),
    # -- resources -------------------------------------------------------------------------
    "resource not an arn": (
        {"policies/p.json": policy(stmt(Resource="my-bucket"))},
        [Expect("policies/p.json", 4, "INVALID_ARN", 'must be "*" or an ARN')],
    ),
    "arn too short": (
        {"policies/p.json": policy(stmt(Resource="arn:aws:s3:bucket"))},
        [Expect("policies/p.json", 4, "INVALID_ARN", "6 parts")],
    ),
    "unknown partition": (
        {"policies/p.json": policy(stmt(Resource="arn:amazon:s3:::b/*"))},
        [Expect("policies/p.json", 4, "INVALID_ARN", 'unknown partition "amazon"')],
    ),
    "bad account": (
        {
            "policies/p.json": policy(
                stmt(Action="ecs:UpdateService", Resource="arn:aws:ecs:eu-west-1:1234:service/c/s")
            )
        },
        [Expect("policies/p.json", 4, "INVALID_ARN", "not a 12-digit account id")],
    ),
    "arn that fits no action": (
        {"policies/p.json": policy(stmt(Resource="arn:aws:s3:::bucket"))},
        [
            Expect(
                "policies/p.json",
                4,
                "RESOURCE_MISMATCH",
                # the example is the template nearest what was written: the object's ARN,
                # not the access point's (which sorts first)
                "matches no resource type of this statement's actions (e.g. "
                "arn:aws:s3:::${BucketName}/${ObjectName} and 1 more)",
                "warning",
            )
        ],
    ),
    "one action of the statement fits none of its resources": (
        {
            "policies/p.json": policy(
                stmt(
                    Action=["ecs:UpdateService", "ecs:ListTasks"],
                    Resource="arn:aws:ecs:eu-west-1:123456789012:service/cluster/web",
                )
            )
        },
        [
            Expect(
                "policies/p.json",
                4,
                "RESOURCE_MISMATCH",
                '"ecs:ListTasks" applies to none of this statement\'s resources (e.g. '
                "arn:aws:ecs:${Region}:${Account}:container-instance/",
                "warning",
            )
        ],
    ),
    "a user names a boundary other than the required one": (
        {
            "iamsync.json": {
                "permissions_boundary": "arn:{{Partition}}:iam::{{AccountId}}:policy/guard"
            },
            "users/u.json": '{\n  "permissions_boundary":\n'
            '    "arn:aws:iam::aws:policy/PowerUserAccess"\n}',
        },
        [
            Expect(
                "users/u.json",
                3,
                "BOUNDARY_NOT_ALLOWED",
                "requires the permissions boundary arn:aws:iam::123456789012:policy/guard",
            )
        ],
    ),
    "the required boundary must be a policy ARN": (
        {"iamsync.json": {"permissions_boundary": "guard"}},
        [Expect("iamsync.json", 2, "INVALID_VALUE", '"permissions_boundary" value "guard"')],
    ),
    "arn for a star-only action": (
        {
            "policies/p.json": policy(
                stmt(
                    Action="ecr:GetAuthorizationToken",
                    Resource="arn:aws:ecr:eu-west-1:123456789012:repository/app",
                )
            )
        },
        [Expect("policies/p.json", 4, "RESOURCE_MISMATCH", 'accept only "*"', "warning")],
    ),
    # -- conditions ------------------------------------------------------------------------
    "misspelled operator": (
        {"policies/p.json": policy(stmt(Condition={"StringEqual": {"aws:username": "x"}}))},
        [
            Expect(
                "policies/p.json", 4, "INVALID_CONDITION_OPERATOR", 'did you mean "StringEquals"?'
            )
        ],
    ),
    "operator case": (
        {"policies/p.json": policy(stmt(Condition={"stringequals": {"aws:username": "x"}}))},
        [
            Expect(
                "policies/p.json", 4, "INVALID_CONDITION_OPERATOR", 'must be spelled "StringEquals"'
            )
        ],
    ),
    "unknown qualifier": (
        {
            "policies/p.json": policy(
                stmt(Condition={"ForSomeValues:StringLike": {"aws:TagKeys": "x"}})
            )
        },
        [Expect("policies/p.json", 4, "INVALID_CONDITION_OPERATOR", "unknown condition")],
    ),
    "null with ifexists": (
        {
            "policies/p.json": policy(
                stmt(Condition={"NullIfExists": {"aws:TokenIssueTime": "true"}})
            )
        },
        [Expect("policies/p.json", 4, "NULL_WITH_IF_EXISTS", "no IfExists")],
    ),
    "bool not boolean": (
        {"policies/p.json": policy(stmt(Condition={"Bool": {"aws:SecureTransport": "yes"}}))},
        [Expect("policies/p.json", 4, "INVALID_CONDITION_VALUE", '"yes" is not true or false')],
    ),
    "bad cidr": (
        {
            "policies/p.json": policy(
                stmt(Condition={"IpAddress": {"aws:SourceIp": ["10.0.0.300/8"]}})
            )
        },
        [Expect("policies/p.json", 4, "INVALID_CONDITION_VALUE", "not an IP address")],
    ),
    "bad number": (
        {
            "policies/p.json": policy(
                stmt(Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "1h"}})
            )
        },
        [Expect("policies/p.json", 4, "INVALID_CONDITION_VALUE", "is not a number")],
    ),
    "bad date": (
        {
            "policies/p.json": policy(
                stmt(Condition={"DateLessThan": {"aws:CurrentTime": "tomorrow"}})
            )
        },
        [Expect("policies/p.json", 4, "INVALID_CONDITION_VALUE", "ISO 8601")],
    ),
    "key without prefix": (
        {"policies/p.json": policy(stmt(Condition={"StringEquals": {"SourceIp": "x"}}))},
        [Expect("policies/p.json", 4, "INVALID_CONDITION_KEY_FORMAT", "service:name")],
    ),
    "unknown global key": (
        {"policies/p.json": policy(stmt(Condition={"StringEquals": {"aws:SourceIP2": "x"}}))},
        [
            Expect(
                "policies/p.json", 4, "UNKNOWN_CONDITION_KEY", "not in the IAM catalog", "warning"
            )
        ],
    ),
    "operator for another type": (
        {
            "policies/p.json": policy(
                stmt(Condition={"DateLessThan": {"aws:SourceIp": "2020-01-01"}})
            )
        },
        [Expect("policies/p.json", 4, "CONDITION_TYPE_MISMATCH", "of type IPAddress", "warning")],
    ),
    "forallvalues on single-valued key": (
        {
            "policies/p.json": policy(
                stmt(Condition={"ForAllValues:StringEquals": {"aws:username": "x"}})
            )
        },
        [
            Expect(
                "policies/p.json",
                4,
                "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                "single-valued key",
                "warning",
            )
        ],
    ),
    # -- risks -------------------------------------------------------------------------------
    "passrole on any role": (
        {"policies/p.json": policy(stmt(Action=["iam:PassRole", "ecs:RunTask"], Resource="*"))},
        [
            Expect(
                "policies/p.json",
                4,
                "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                "hand any role to lambda, ec2, ecs",
                "warning",
            )
        ],
    ),
    "passrole through a wildcard": (
        {"policies/p.json": policy(stmt(Action="iam:Pass*", Resource="*"))},
        [
            Expect(
                "policies/p.json", 4, "PASS_ROLE_WITH_STAR_IN_RESOURCE", "iam:PassRole", "warning"
            )
        ],
    ),
    "passrole through notaction": (
        {"policies/p.json": policy(stmt(Action=None, NotAction="s3:*", Resource="*"))},
        [
            Expect(
                "policies/p.json", 4, "PASS_ROLE_WITH_STAR_IN_RESOURCE", "iam:PassRole", "warning"
            )
        ],
    ),
    # -- templating ------------------------------------------------------------------------
    "unknown variable": (
        {"policies/p.json": policy(stmt(Resource="arn:aws:s3:::{{Bucket}}/*"))},
        [Expect("policies/p.json", 4, "UNKNOWN_VARIABLE", "unknown template variable {{Bucket}}")],
    ),
    "a variable that makes a second Statement key": (
        {
            "iamsync.json": {"variables": {"S": "Statement"}},
            "policies/p.json": '{"Version": "2012-10-17", "Statement": [' + stmt() + "],\n"
            ' "{{S}}": [' + stmt() + ", " + stmt(Action="s3:PutObject") + "]}",
        },
        [Expect("policies/p.json", 2, "UNKNOWN_KEY", 'unknown key "{{S}}"')],
    ),
    "unknown variable in a condition key": (
        {
            "policies/p.json": policy(
                stmt(Condition={"StringEquals": {"aws:PrincipalTag/{{Tag}}": "x"}})
            )
        },
        [Expect("policies/p.json", 4, "UNKNOWN_VARIABLE", "{{Tag}}")],
    ),
    # -- size and characters ---------------------------------------------------------------
    "too large": (
        {
            "policies/p.json": policy(
                stmt(
                    Action=[f"s3:GetObject{'x' * 5}" for _ in range(1)],
                    Resource=[
                        f"arn:aws:s3:::bucket-{i:04d}-" + "a" * 40 + "/*" for i in range(100)
                    ],
                )
            )
        },
        [Expect("policies/p.json", 1, "POLICY_TOO_LARGE", "over IAM's 6,144 limit")],
    ),
    "character outside latin-1": (
        {"policies/p.json": policy(stmt(Resource="arn:aws:s3:::b/\u20ac/*"))},
        [Expect("policies/p.json", 4, "INVALID_CHARACTER", "U+20AC")],
    ),
    # the check reads the document's compact JSON at once when nothing in it is escaped:
    # whatever JSON escapes (a control character, \b, \f), a key, or a variable's value
    # must still be found
    "control character written as an escape": (
        {"policies/p.json": policy(stmt(Resource="arn:aws:s3:::b/\u0001/*"))},
        [Expect("policies/p.json", 4, "INVALID_CHARACTER", "U+0001")],
    ),
    "backspace written as \\b": (
        {"policies/p.json": policy(stmt(Resource="arn:aws:s3:::b/\b/*"))},
        [Expect("policies/p.json", 4, "INVALID_CHARACTER", "U+0008")],
    ),
    "form feed written as \\f in a condition key": (
        {
            "policies/p.json": policy(
                stmt(Condition={"StringEquals": {"aws:PrincipalTag/a\fb": "x"}})
            )
        },
        [Expect("policies/p.json", 4, "INVALID_CHARACTER", "U+000C")],
    ),
    "character outside latin-1 written raw": (
        {
            "policies/p.json": policy(
                '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/'
                '\U0001f600/*"}'
            )
        },
        [Expect("policies/p.json", 4, "INVALID_CHARACTER", "U+1F600")],
    ),
    "character outside latin-1 from a variable": (
        {
            "iamsync.json": {"variables": {"Bucket": "b\u0100"}},
            "policies/p.json": policy(stmt(Resource="arn:aws:s3:::{{Bucket}}/*")),
        },
        [Expect("policies/p.json", 4, "INVALID_CHARACTER", "U+0100")],
    ),
    # -- names -----------------------------------------------------------------------------
    "policy name with space": (
        {"policies/my policy.json": GOOD_POLICY},
        [Expect("policies/my policy.json", 1, "INVALID_NAME", "not a valid policy name")],
    ),
    "user name too long": (
        {f"users/{'u' * 65}.json": {}},
        [Expect(f"users/{'u' * 65}.json", 1, "INVALID_NAME", "1-64")],
    ),
    "same name in two folders": (
        {"policies/a/p.json": GOOD_POLICY, "policies/b/P.json": GOOD_POLICY},
        [Expect("policies/b/P.json", 1, "DUPLICATE_NAME", "also defined by policies/a/p.json")],
    ),
    # -- users -----------------------------------------------------------------------------
    "user unknown key": (
        {"users/u.json": '{\n  "policy": []\n}'},
        [
            Expect(
                "users/u.json", 2, "UNKNOWN_KEY", 'unknown key "policy" (did you mean "policies"?)'
            )
        ],
    ),
    "user policy not found": (
        {"policies/deploy.json": GOOD_POLICY, "users/u.json": '{"policies": [\n"deplyo"]}'},
        [Expect("users/u.json", 2, "UNKNOWN_POLICY", 'did you mean "deploy"?')],
    ),
    "user policy wrong case": (
        {"policies/deploy.json": GOOD_POLICY, "users/u.json": '{"policies": ["Deploy"]}'},
        [Expect("users/u.json", 1, "UNKNOWN_POLICY", "names are case-sensitive")],
    ),
    "user policy arn malformed": (
        {"users/u.json": '{"policies": ["arn:aws:iam:::policy/ReadOnlyAccess"]}'},
        [Expect("users/u.json", 1, "INVALID_POLICY_ARN", "not a managed policy ARN")],
    ),
    "user policy twice": (
        {
            "policies/deploy.json": GOOD_POLICY,
            "users/u.json": '{"policies": [\n"deploy",\n"deploy"]}',
        },
        [Expect("users/u.json", 3, "DUPLICATE_POLICY", "listed twice (first at line 2)")],
    ),
    "user over the policy quota": (
        {"users/u.json": {"policies": [f"arn:aws:iam::aws:policy/P{i}" for i in range(11)]}},
        [Expect("users/u.json", 2, "TOO_MANY_POLICIES", "IAM allows 10 per user")],
    ),
    "quota raised in config": (
        {
            "iamsync.json": {"quotas": {"managed_policies_per_user": 12}},
            "users/u.json": {"policies": [f"arn:aws:iam::aws:policy/P{i}" for i in range(13)]},
        },
        [Expect("users/u.json", 2, "TOO_MANY_POLICIES", "13 managed policies")],
    ),
    "boundary not found": (
        {"users/u.json": '{"permissions_boundary": "nope"}'},
        [Expect("users/u.json", 1, "UNKNOWN_POLICY", "policies/nope.json")],
    ),
    "tag with aws prefix": (
        {"users/u.json": '{"tags": {\n"aws:team": "x"}}'},
        [Expect("users/u.json", 2, "INVALID_TAG", '"aws:" prefix')],
    ),
    "tag key reserved by iamsync": (
        {"users/u.json": '{"tags": {"managed-by": "me"}}'},
        [Expect("users/u.json", 1, "INVALID_TAG", "written by iamsync")],
    ),
    "tag keys differing in case": (
        {"users/u.json": '{"tags": {\n"Team": "a",\n"team": "b"}}'},
        [Expect("users/u.json", 3, "DUPLICATE_TAG", 'differs only in case from "Team"')],
    ),
    "tag key character": (
        {"users/u.json": '{"tags": {"cost#center": "a"}}'},
        [Expect("users/u.json", 1, "INVALID_TAG", '"#" (U+0023)')],
    ),
    "tag value too long": (
        {"users/u.json": {"tags": {"k": "v" * 257}}},
        [Expect("users/u.json", 3, "INVALID_TAG", "257 characters")],
    ),
    "tag value not a string": (
        {"users/u.json": {"tags": {"k": 1}}},
        [Expect("users/u.json", 3, "WRONG_TYPE", "must be a string")],
    ),
    "too many tags": (
        {"users/u.json": {"tags": {f"k{i}": "v" for i in range(49)}}},
        [Expect("users/u.json", 2, "TOO_MANY_TAGS", "at most 48")],
    ),
    "group name invalid": (
        {"users/u.json": '{"groups": ["ops team"]}'},
        [Expect("users/u.json", 1, "INVALID_NAME", "not a valid group name")],
    ),
    # -- config ------------------------------------------------------------------------------
    "config unknown key": (
        {"iamsync.json": '{\n  "path-prefix": "/x/"\n}'},
        [Expect("iamsync.json", 2, "UNKNOWN_KEY", 'did you mean "path_prefix"?')],
    ),
    "config bad prefix": (
        {"iamsync.json": '{\n  "path_prefix": "iamsync"\n}'},
        [Expect("iamsync.json", 2, "INVALID_VALUE", "does not match")],
    ),
}


@pytest.mark.parametrize("files, expected", list(CASES.values()), ids=list(CASES))
def test_bad_input_is_reported_precisely(
    write_repo: WriteRepo, files: dict[str, Any], expected: list[Expect]
) -> None:
    root = write_repo(files)
    result = validate.check(root)
    for want in expected:
        assert _matching(result.problems, want), f"expected {want} in:\n" + "\n".join(
            p.format() for p in result.problems
        )
    if any(e.severity == "error" for e in expected):
        assert not result.ok
    else:
        assert result.ok


PASS = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
ROLE_STAR = "arn:aws:iam::123456789012:role/*"


@pytest.mark.parametrize(
    ("statements", "says"),
    [
        # from the attacker's side: what the first rule (any Condition, or a Resource other
        # than "*", silenced it) let through
        ([{**PASS, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}], "lambda, ec2"),
        ([{**PASS, "Resource": ROLE_STAR}], "lambda, ec2"),
        ([{**PASS, "Resource": "arn:aws:iam::*:role/?*"}], "lambda, ec2"),
        ([{**PASS, "Resource": "arn:*:iam::*:*"}], "lambda, ec2"),
        ([{**PASS, "Action": "iam:*"}], "lambda"),
        ([{**PASS, "Action": "*"}], "lambda"),
        ([{**PASS, "Action": None, "NotAction": "s3:*"}], "lambda"),
        ([{**PASS, "Action": None, "NotAction": "iam:Pass*"}], ""),
        (
            [{**PASS, "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}],
            "hand any role to ec2, which",
        ),
        (
            [
                {
                    **PASS,
                    "Condition": {"StringEqualsIfExists": {"iam:PassedToService": "x.example"}},
                }
            ],
            "lambda",
        ),
        ([PASS, {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}], ""),
        (
            [
                PASS,
                {
                    "Effect": "Deny",
                    "Action": "iam:PassRole",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
                },
            ],
            "lambda",  # a conditional Deny may not apply: the warning stays
        ),
        (
            [
                PASS,
                {
                    "Effect": "Deny",
                    "Action": "iam:PassRole",
                    "NotResource": "arn:aws:iam::123456789012:role/*",
                },
            ],
            "lambda",  # a Deny of all but every role leaves every role
        ),
        # and not where the path is closed
        (
            [
                PASS,
                {
                    "Effect": "Deny",
                    "Action": "iam:PassRole",
                    "NotResource": "arn:aws:iam::123456789012:role/bounded/*",
                },
            ],
            "",
        ),
        ([{**PASS, "Resource": "arn:aws:iam::123456789012:role/app-*"}], ""),
        ([{**PASS, "Resource": "arn:aws:iam::123456789012:role/app"}], ""),
        ([{**PASS, "Action": "iam:GetRole"}], ""),
        ([{**PASS, "Effect": "Deny"}], ""),
    ],
)
def test_pass_role_warning_is_the_review_s_rule(
    write_repo: WriteRepo, statements: list[dict[str, Any]], says: str
) -> None:
    """Offline, a statement that may hand any role to a service gets the warning, as the
    access review judges it: only a Resource naming roles, iam:PassedToService naming only
    other services, or an unconditional Deny closes the path."""
    body = {k: v for k, v in statements[0].items() if v is not None}
    document = {"Version": "2012-10-17", "Statement": [body, *statements[1:]]}
    root = write_repo(
        {"policies/p.json": document, "users/u.json": {"inline_policies": {"p": document}}}
    )
    warned = [
        p for p in validate.check(root).problems if p.code == "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    ]
    if not says:
        assert warned == []
        return
    assert {p.file for p in warned} == {"policies/p.json", "users/u.json"}, warned
    assert all(says in p.message and p.severity == "warning" for p in warned), warned


def _matching(problems: list[Problem], want: Expect) -> list[Problem]:
    return [
        p
        for p in problems
        if p.file == want.file
        and p.line == want.line
        and p.code == want.code
        and p.severity == want.severity
        and want.words in p.message
        and (want.col is None or p.col == want.col)
    ]


def test_every_problem_is_collected_not_just_the_first(write_repo: WriteRepo) -> None:
    """A bad Sid must not hide a misspelled action in the same statement (parliament's bug)."""
    root = write_repo(
        {
            "policies/p.json": policy(stmt(Sid="bad-sid", Action="s3:GetObjekt")),
            "users/u.json": '{"policies": ["missing"], "tags": {"aws:x": "1"}}',
        }
    )
    codes = {p.code for p in validate.check(root).problems}
    assert {"UNSUPPORTED_SID", "INVALID_ACTION", "UNKNOWN_POLICY", "INVALID_TAG"} <= codes


def test_unreadable_entry_is_a_problem_not_a_traceback(write_repo: WriteRepo) -> None:
    root = write_repo({"policies/ok.json": GOOD_POLICY})
    os.mkfifo(root / "policies" / "pipe.json")  # would block a plain open() forever
    problems = validate.check(root).problems
    assert [(p.file, p.code) for p in problems] == [("policies/pipe.json", "UNREADABLE")]
    assert "is not a regular file" in problems[0].message


def test_problems_are_sorted_by_file_and_position(write_repo: WriteRepo) -> None:
    root = write_repo(
        {
            "policies/b.json": policy(stmt(Action="s3:GetObjcet")),
            "policies/a.json": policy(stmt(Sid="x-y") + ",\n    " + stmt(Action="s4:GetObject")),
        }
    )
    places = [(p.file, p.line, p.col) for p in validate.check(root).problems]
    assert places == sorted(places)
    assert places[0][0] == "policies/a.json"


def test_silenced_warning_code_disappears_but_errors_stay(write_repo: WriteRepo) -> None:
    files = {
        "iamsync.json": {"validation": {"ignore": ["UNKNOWN_ACTION"]}},
        "policies/p.json": policy(stmt(Action=["s3:TeleportBucket", "s3:GetObjcet"])),
    }
    codes = [p.code for p in validate.check(write_repo(files)).problems]
    assert codes == ["INVALID_ACTION"]


@pytest.mark.parametrize(
    "code, expected, words",
    [
        ("UNKNOWN_ACTON", "UNKNOWN_CODE", 'did you mean "UNKNOWN_ACTION"?'),
        ("NO_SUCH_THING", "UNKNOWN_CODE", "is not a code iamsync reports"),
        ("INVALID_ACTION", "CANNOT_IGNORE", "only warnings can be silenced"),
    ],
)
def test_ignore_accepts_only_registered_warning_codes(
    write_repo: WriteRepo, code: str, expected: str, words: str
) -> None:
    root = write_repo({"iamsync.json": {"validation": {"ignore": ["NOT_READ", code]}}})
    (found,) = validate.check(root).problems
    assert (found.file, found.code) == ("iamsync.json", expected)
    assert words in found.message


def test_every_code_raised_is_registered_with_a_severity_and_help() -> None:
    """Scan the package for the codes it passes to problem(), Problem.at() and Conflict()."""
    import ast

    from iamsync.core import codes as registry

    used: set[str] = set()
    for path in (REPO_ROOT / "iamsync").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("problem", "at", "Conflict"):
                used.update(
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and arg.value.isupper()
                    and len(arg.value) > 3
                )
    assert len(used) > 40
    assert used - set(registry.CODES) == set()
    assert all(c.help and c.severity in ("error", "warning") for c in registry.CODES.values())


def test_scoped_or_conditioned_passrole_is_not_flagged(write_repo: WriteRepo) -> None:
    files = {
        "policies/p.json": policy(
            stmt(Action="iam:PassRole", Resource="arn:aws:iam::123456789012:role/app-*")
            + ",\n    "
            + stmt(
                Action="iam:PassRole",
                Resource="*",
                Condition={"StringEquals": {"iam:PassedToService": "kms.amazonaws.com"}},
            )
            + ",\n    "
            + stmt(Action=None, NotAction="iam:*", Resource="*")
        )
    }
    assert validate.check(write_repo(files)).problems == []


def test_passrole_limited_to_a_service_that_runs_code_is_still_any_role(
    write_repo: WriteRepo,
) -> None:
    """iam:PassedToService ecs-tasks still lets it pass an administrator's role to a task
    that runs its code: the warning stays, and says to name the roles."""
    files = {
        "policies/p.json": policy(
            stmt(
                Action="iam:PassRole",
                Resource="*",
                Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            )
        )
    }
    (warned,) = validate.check(write_repo(files)).problems
    assert warned.code == "PASS_ROLE_WITH_STAR_IN_RESOURCE" and warned.line == 4
    assert (
        "hand any role to ecs" in warned.message and "name the roles it may pass" in warned.message
    )


def test_known_actions_in_config_are_accepted(write_repo: WriteRepo) -> None:
    files = {
        "iamsync.json": {"validation": {"known_actions": ["quantumledger:Read"]}},
        "policies/p.json": policy(stmt(Action="quantumledger:Read", Resource="*")),
    }
    assert validate.check(write_repo(files)).problems == []


def test_an_action_found_fine_is_remembered_for_its_catalog_only(write_repo: WriteRepo) -> None:
    """The action check remembers the entries a catalog found nothing to say of: one the
    known_actions made fine is still unknown to the plain catalog, and an entry with a
    problem is said wherever it is written, not once."""
    config = {"validation": {"known_actions": ["quantumledger:Read"]}}
    files = {
        "iamsync.json": config,
        "policies/p.json": policy(stmt(Action="quantumledger:Read", Resource="*")),
        "policies/q.json": policy(stmt(Action=["quantumledger:Read", "s3:GetObjekt"])),
        "policies/r.json": policy(stmt(Action="s3:GetObjekt")),
    }
    root = write_repo(files)
    first = [p.code for p in validate.check(root).problems]
    assert first == ["INVALID_ACTION", "INVALID_ACTION"]
    (root / "iamsync.json").write_text("{}")
    again = validate.check(root).problems
    assert sorted((p.file, p.code) for p in again) == [
        ("policies/p.json", "UNKNOWN_SERVICE"),
        ("policies/q.json", "INVALID_ACTION"),
        ("policies/q.json", "UNKNOWN_SERVICE"),
        ("policies/r.json", "INVALID_ACTION"),
    ]


def test_case_insensitive_actions_are_valid(write_repo: WriteRepo) -> None:
    files = {
        "policies/p.json": policy(stmt(Action=["S3:getobject", "EC2:describe*"], Resource="*"))
    }
    assert validate.check(write_repo(files)).problems == []


def test_utf8_bom_is_accepted(write_repo: WriteRepo) -> None:
    text = "\ufeff" + json.dumps(GOOD_POLICY)
    root = write_repo({"policies/p.json": text.encode("utf-8")})
    assert validate.check(root).problems == []


def test_iam_policy_variables_are_left_alone(write_repo: WriteRepo) -> None:
    files = {"policies/p.json": policy(stmt(Resource="arn:aws:s3:::b/${aws:username}/*"))}
    result = validate.check(write_repo(files))
    assert result.problems == []
    resource = result.values["policy"]["p"]["Statement"][0]["Resource"]
    assert resource == "arn:aws:s3:::b/${aws:username}/*"


def test_variables_come_from_builtins_config_and_target(write_repo: WriteRepo) -> None:
    files = {
        "iamsync.json": {
            "variables": {"Bucket": "shared", "Env": "dev"},
            "default_target": "prod",
            "targets": {
                "prod": {
                    "account_id": "210987654321",
                    "region": "eu-west-1",
                    "variables": {"Env": "prod"},
                }
            },
        },
        "policies/p.json": policy(
            stmt(
                Action="dynamodb:GetItem",
                Resource="arn:{{Partition}}:dynamodb:{{Region}}:{{AccountId}}:table/{{Bucket}}-{{Env}}",
            )
        ),
    }
    result = validate.check(write_repo(files))
    assert result.problems == []
    assert result.values["policy"]["p"]["Statement"][0]["Resource"] == (
        "arn:aws:dynamodb:eu-west-1:210987654321:table/shared-prod"
    )


def test_template_value_is_what_size_is_measured_on(write_repo: WriteRepo) -> None:
    long_value = "x" * 6200
    files = {
        "iamsync.json": {"variables": {"Long": long_value}},
        "policies/p.json": policy(stmt(Resource="arn:aws:s3:::{{Long}}/*")),
    }
    codes = [p.code for p in validate.check(write_repo(files)).problems]
    assert "POLICY_TOO_LARGE" in codes


def test_size_limit_boundary_is_exact(write_repo: WriteRepo) -> None:
    from iamsync.iam import limits

    def doc(n: int) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{'b' * n}/*",
                }
            ],
        }

    base = limits.policy_size(doc(0))
    at_limit = doc(limits.MANAGED_POLICY_SIZE - base)
    assert limits.policy_size(at_limit) == 6144
    over = doc(limits.MANAGED_POLICY_SIZE - base + 1)
    ok = validate.check(write_repo({"policies/at.json": at_limit, "policies/over.json": over}))
    too_large = [p for p in ok.problems if p.code == "POLICY_TOO_LARGE"]
    assert [p.file for p in too_large] == ["policies/over.json"]
    assert "6,145 characters" in too_large[0].message and "1 over" in too_large[0].message


def test_repository_own_content_is_valid() -> None:
    from tests.conftest import REPO_ROOT

    result = validate.check(REPO_ROOT)
    assert result.problems == [], "\n".join(p.format() for p in result.problems)
    assert set(result.values["policy"]) == {
        "cdk-staging-bucket",
        "cdk-deploy",
        "ecs-service-update",
        "ecr-push",
    }
    assert result.values["user"]["cdk-deployer"]["policies"][:4] == [
        "cdk-staging-bucket",
        "cdk-deploy",
        "ecs-service-update",
        "ecr-push",
    ]


def test_missing_repo_folder_is_a_clean_error(tmp_path: Path) -> None:
    from iamsync.core.errors import IamsyncError

    with pytest.raises(IamsyncError, match="does not exist"):
        validate.check(tmp_path / "nope")
