"""Validation depth (issue 20): what an independent linter catches, and what AWS ships.

Each class has positive cases (the mistake is reported at its line, with the words that
say why) and negative ones (the valid document nearest to the mistake stays quiet), so
no rule over-reports, and none of the rules that hold a report back over-suppresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from iamsync.core.problems import Problem
from iamsync.engine import validate
from tests.conftest import WriteRepo

ACCOUNT = "123456789012"


@dataclass
class Checked:
    root: Path
    problems: list[Problem]

    def coded(self, code: str) -> list[Problem]:
        return [p for p in self.problems if p.code == code]

    def line(self, needle: str) -> int:
        """The line of policies/p.json that holds `needle`."""
        text = (self.root / "policies" / "p.json").read_text()
        for number, line in enumerate(text.splitlines(), 1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} not in the file")


def check(write_repo: WriteRepo, *statements: dict[str, Any]) -> Checked:
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    root = write_repo({"policies/p.json": doc})
    return Checked(root, validate.check(root).problems)


def allow(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def when(op: str, key: str, value: Any) -> dict[str, Any]:
    return {"Condition": {op: {key: value}}}


# -- 1. condition keys per action ------------------------------------------------------------

NOT_APPLICABLE = "CONDITION_KEY_NOT_APPLICABLE"


@pytest.mark.parametrize(
    ("statement", "key", "says"),
    [
        (
            allow(
                "s3:ListBucket",
                "arn:aws:s3:::b",
                **when("StringEquals", "s3:x-amz-storage-class", "STANDARD"),
            ),
            "s3:x-amz-storage-class",
            "any of this statement's actions (s3:ListBucket): StringEquals is false where "
            "the key is missing, so the statement grants it nothing",
        ),
        (
            allow("ec2:AttachVolume", **when("Bool", "ec2:AutoPlacement", "true")),
            "ec2:AutoPlacement",
            "so the statement grants it nothing",
        ),
        (
            allow("ec2:*", **when("StringNotEquals", "iam:ResourceTag/status", "locked")),
            "iam:ResourceTag/status",
            "StringNotEquals is always true where the key is missing, so the statement "
            "allows them without this restriction",
        ),
        (
            allow("s3:*", **when("StringNotEquals", "iam:ResourceTag/status", "locked")),
            "iam:ResourceTag/status",
            "allows them without this restriction",
        ),
        (
            deny("ec2:*", **when("StringNotEquals", "iam:ResourceTag/status", "locked")),
            "iam:ResourceTag/status",
            "denies them whatever the value",
        ),
        (
            deny("s3:ListBucket", **when("StringEquals", "s3:x-amz-storage-class", "GLACIER")),
            "s3:x-amz-storage-class",
            "never denies it",
        ),
        (  # part of a statement: the actions that never see the key are named
            allow(
                ["s3:GetObject", "s3:ListBucket"],
                ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                **when("StringLike", "s3:prefix", "home/*"),
            ),
            "s3:prefix",
            '"s3:prefix" is never in a request for s3:GetObject (of this statement\'s actions)',
        ),
        (
            allow(
                "s3:GetObject",
                "arn:aws:s3:::b/*",
                **when("ForAllValues:StringEquals", "s3:prefix", ["a"]),
            ),
            "s3:prefix",
            "ForAllValues:StringEquals is always true where the key is missing",
        ),
        (
            allow("s3:GetObject", "arn:aws:s3:::b/*", **when("Null", "s3:prefix", "false")),
            "s3:prefix",
            "grants it nothing",
        ),
    ],
)
def test_a_key_some_actions_never_carry_is_reported(
    write_repo: WriteRepo, statement: dict[str, Any], key: str, says: str
) -> None:
    got = check(write_repo, statement)
    found = got.coded(NOT_APPLICABLE)
    assert len(found) == 1, got.problems
    assert says in found[0].message and found[0].severity == "warning"
    assert found[0].line == got.line(f'"{key}"')


@pytest.mark.parametrize(
    "statement",
    [
        allow("s3:ListBucket", "arn:aws:s3:::b", **when("StringLike", "s3:prefix", "home/*")),
        allow(
            "s3:GetObject",
            "arn:aws:s3:::b/*",
            **when("StringEquals", "s3:ExistingObjectTag/team", "a"),
        ),
        allow("ec2:RunInstances", **when("StringEquals", "ec2:InstanceType", "t3.micro")),
        allow("ec2:*", **when("StringEquals", "aws:ResourceTag/team", "a")),  # global keys
        allow("ec2:*", **when("StringEquals", "aws:RequestedRegion", "eu-west-1")),
        # IfExists says the author expects requests without the key
        allow(
            ["s3:GetObject", "s3:ListBucket"], "*", **when("StringLikeIfExists", "s3:prefix", "a/*")
        ),
        # keys that other services document but every call from their compute carries
        allow(
            "s3:GetObject",
            "arn:aws:s3:::b/*",
            **when(
                "ArnEquals",
                "ec2:SourceInstanceARN",
                f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-1",
            ),
        ),
        allow(
            "s3:GetObject",
            "arn:aws:s3:::b/*",
            **when("ArnLike", "lambda:SourceFunctionArn", "arn:aws:lambda:*:*:function:f"),
        ),
        # an action whose catalog entry lists no keys of its own service: a gap, not a "no"
        allow(
            "aws-marketplace:Subscribe",
            **when("ForAnyValue:StringEquals", "aws-marketplace:ProductId", ["p"]),
        ),
        # NotAction and "*" name no set of actions to compare with
        {
            "Effect": "Allow",
            "NotAction": "iam:*",
            "Resource": "*",
            **when("StringEquals", "s3:prefix", "a"),
        },
        allow("*", **when("StringEquals", "s3:prefix", "a")),
    ],
)
def test_a_key_the_actions_carry_is_not_reported(
    write_repo: WriteRepo, statement: dict[str, Any]
) -> None:
    got = check(write_repo, statement)
    assert got.coded(NOT_APPLICABLE) == [], got.problems


def test_trust_policy_keys_are_checked_per_action_too(write_repo: WriteRepo) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "x"}},
            }
        ],
    }
    root = write_repo({"roles/r.json": {"trust_policy": trust}})
    assert [p for p in validate.check(root).problems if p.code == NOT_APPLICABLE] == []


# -- 2. ARN segments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "says"),
    [
        ("us-east-1a", '"us-east-1a" is an Availability Zone; its region is us-east-1'),
        ("US-EAST-1", "region names are lower case"),
        ("eu-west", 'region "eu-west" is not a region name such as us-east-1'),
    ],
)
def test_a_region_that_is_none_is_an_error(write_repo: WriteRepo, region: str, says: str) -> None:
    got = check(write_repo, allow("sqs:SendMessage", f"arn:aws:sqs:{region}:{ACCOUNT}:q"))
    found = got.coded("INVALID_ARN")
    assert len(found) == 1 and says in found[0].message and found[0].is_error
    assert found[0].line == got.line(region)


@pytest.mark.parametrize(
    "region",
    [
        "us-east-1",
        "us-gov-west-1",
        "cn-northwest-1",
        "us-isob-east-1",
        "eusc-de-east-1",
        "*",
        "us-*",
        "${aws:RequestedRegion}",
    ],
)
def test_a_real_or_pattern_region_passes(write_repo: WriteRepo, region: str) -> None:
    got = check(write_repo, allow("sqs:SendMessage", f"arn:aws:sqs:{region}:{ACCOUNT}:q"))
    assert got.coded("INVALID_ARN") == [] and got.coded("RESOURCE_MISMATCH") == [], got.problems


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:GetRole", "arn:aws:iam:::role/x"),  # no account: IAM's ARNs always carry one
        ("sqs:SendMessage", f"arn:aws:sqs::{ACCOUNT}:q"),  # no region
        ("kms:Decrypt", "arn:aws:kms:*::*"),  # AWS ships this one; it names no key
        ("s3:ListBucket", "arn:aws:s3:::b/*"),  # a bucket name holds no "/"
        ("s3:ListBucket", "arn:aws:s3:::*/*"),
        ("dynamodb:DescribeTable", "arn:aws:dynamodb:*:*:table/t/index/*"),
    ],
)
def test_a_resource_no_arn_of_the_action_can_be_is_reported(
    write_repo: WriteRepo, action: str, resource: str
) -> None:
    got = check(write_repo, allow(action, resource))
    found = got.coded("RESOURCE_MISMATCH")
    assert len(found) == 1 and "so it grants nothing" in found[0].message, got.problems
    assert found[0].line == got.line(resource)


def test_a_deny_on_a_resource_the_action_never_has_says_it_denies_nothing(
    write_repo: WriteRepo,
) -> None:
    got = check(write_repo, allow("s3:*", "*"), deny("s3:ListBucket", "arn:aws:s3:::b/*"))
    found = got.coded("RESOURCE_MISMATCH")
    assert len(found) == 1 and "so it denies nothing" in found[0].message


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("s3:ListBucket", "arn:aws:s3:::b"),
        ("s3:ListBucket", "arn:aws:s3:::*"),  # "*" may be a bucket name
        ("s3:ListBucket", "arn:aws:s3:::b*"),
        ("s3:ListBucket", "arn:aws:s3:::${aws:username}"),
        ("s3:GetObject", "arn:aws:s3:::b/*"),
        ("s3:GetObject", "arn:aws:s3:::*"),  # and "*" matches an object's ARN too
        ("dynamodb:DescribeTable", "arn:aws:dynamodb:*:*:table/*"),
        ("dynamodb:Query", "arn:aws:dynamodb:*:*:table/t/index/*"),
        ("iam:GetRole", "arn:aws:iam::*:role/x"),
        ("iam:GetRole", "arn:aws:iam::${aws:PrincipalAccount}:role/x"),
        # AWS's own SSM documents and public parameters have no account
        ("ssm:SendCommand", "arn:aws:ssm:*::document/AWS-RunShellScript"),
        ("ssm:GetParameter", "arn:aws:ssm:*::parameter/aws/service/ami-amazon-linux-latest/*"),
        ("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"),
    ],
)
def test_a_resource_the_action_can_have_is_not_reported(
    write_repo: WriteRepo, action: str, resource: str
) -> None:
    got = check(write_repo, allow(action, resource))
    assert got.coded("RESOURCE_MISMATCH") == [] and got.coded("INVALID_ARN") == [], got.problems


# -- 3. required resource types ---------------------------------------------------------------

EC2 = f"arn:aws:ec2:*:{ACCOUNT}"


def test_run_instances_on_instances_alone_cannot_succeed(write_repo: WriteRepo) -> None:
    got = check(write_repo, allow("ec2:RunInstances", f"{EC2}:instance/*"))
    found = got.coded("MISSING_REQUIRED_RESOURCE")
    assert len(found) == 1, got.problems
    assert "image, network-interface, security-group and subnet" in found[0].message
    assert "instance," not in found[0].message
    assert found[0].line == got.line('"ec2:RunInstances"')


def test_the_missing_types_are_those_no_allow_of_the_policy_covers(write_repo: WriteRepo) -> None:
    got = check(
        write_repo,
        allow("ec2:RunInstances", [f"{EC2}:instance/*", f"{EC2}:subnet/*"]),
        allow(["ec2:RunInstances", "ec2:CreateTags"], f"{EC2}:security-group/*"),
        deny("ec2:RunInstances", "arn:aws:ec2:*::image/*"),  # a Deny covers nothing
    )
    found = got.coded("MISSING_REQUIRED_RESOURCE")
    assert len(found) == 1 and "image and network-interface" in found[0].message, got.problems


@pytest.mark.parametrize(
    "statements",
    [
        [
            allow(
                "ec2:RunInstances",
                [f"{EC2}:instance/*", f"{EC2}:subnet/*", f"{EC2}:network-interface/*"],
            ),
            allow("ec2:RunInstances", ["arn:aws:ec2:*::image/*", f"{EC2}:security-group/*"]),
        ],
        [allow("ec2:RunInstances", f"{EC2}:instance/*"), allow("ec2:*", "*")],
        [allow("ec2:RunInstances", "*")],
        [allow("ec2:AttachVolume", [f"{EC2}:instance/*", f"{EC2}:volume/*"])],
        # bedrock marks its model kinds "required", but a call names one of them
        [allow("bedrock:InvokeModel", "arn:aws:bedrock:*::foundation-model/*")],
    ],
)
def test_covered_required_types_are_not_reported(
    write_repo: WriteRepo, statements: list[dict[str, Any]]
) -> None:
    got = check(write_repo, *statements)
    assert got.coded("MISSING_REQUIRED_RESOURCE") == [], got.problems


def test_attach_volume_without_the_volume_is_reported(write_repo: WriteRepo) -> None:
    got = check(write_repo, allow("ec2:AttachVolume", f"{EC2}:instance/*"))
    found = got.coded("MISSING_REQUIRED_RESOURCE")
    assert len(found) == 1 and "also names volume" in found[0].message


# -- 4. a real action of a near service -------------------------------------------------------


def test_an_action_of_a_near_service_is_suggested(write_repo: WriteRepo) -> None:
    got = check(write_repo, allow("ecs:DescribeRegions"))
    found = got.coded("UNKNOWN_ACTION")
    assert len(found) == 1 and 'did you mean "ec2:DescribeRegions"' in found[0].message
    assert found[0].line == got.line("ecs:DescribeRegions")


def test_the_same_name_in_an_unrelated_service_is_no_hint(write_repo: WriteRepo) -> None:
    got = check(write_repo, allow("budgets:UpdateBudget"))
    found = got.coded("UNKNOWN_ACTION")
    assert len(found) == 1 and "did you mean" not in found[0].message
    assert "deadline" not in found[0].message


# -- 5. values against the key's type ---------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("s3:signatureAge", "bad", '"bad" is not a number, so it never matches'),
        ("aws:MultiFactorAuthAge", "recent", '"recent" is not a number'),
        ("aws:CurrentTime", "yesterday", '"yesterday" is not an ISO 8601 date'),
        ("aws:SecureTransport", "yes", '"yes" is not true or false'),
    ],
)
def test_a_value_that_is_not_of_the_keys_type_never_matches(
    write_repo: WriteRepo, key: str, value: str, says: str
) -> None:
    got = check(
        write_repo, allow("s3:ListBucket", "arn:aws:s3:::b", **when("StringEquals", key, value))
    )
    found = got.coded("CONDITION_TYPE_MISMATCH")
    assert len(found) == 1 and says in found[0].message, got.problems
    assert found[0].line == got.line(f'"{key}"')


@pytest.mark.parametrize(
    ("op", "key", "value"),
    [
        ("StringEquals", "aws:MultiFactorAuthAge", "3600"),  # the wrong family, a fine value
        ("StringLike", "aws:MultiFactorAuthAge", "36*"),
    ],
)
def test_a_value_of_the_keys_type_is_not_said_to_never_match(
    write_repo: WriteRepo, op: str, key: str, value: str
) -> None:
    got = check(write_repo, allow("s3:ListBucket", "arn:aws:s3:::b", **when(op, key, value)))
    assert all("never matches" not in p.message for p in got.problems), got.problems


@pytest.mark.parametrize(
    ("op", "value"),
    [
        ("NumericLessThan", "1893456000"),
        ("DateLessThan", "2030-01-01T00:00:00Z"),
        ("DateLessThan", "1893456000"),
    ],
)
def test_epoch_time_is_a_date_and_a_number(write_repo: WriteRepo, op: str, value: str) -> None:
    got = check(
        write_repo, allow("s3:ListBucket", "arn:aws:s3:::b", **when(op, "aws:EpochTime", value))
    )
    assert got.problems == []


def test_epoch_time_is_not_a_bool(write_repo: WriteRepo) -> None:
    got = check(
        write_repo,
        allow("s3:ListBucket", "arn:aws:s3:::b", **when("Bool", "aws:EpochTime", "true")),
    )
    assert len(got.coded("CONDITION_TYPE_MISMATCH")) == 1


# -- 6. what AWS writes is not flagged ---------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "resource", "key"),
    [
        ("s3:GetObject", "arn:aws:s3:::b/*", "s3:ExistingObjectTag/UseWithCodeDeploy"),
        ("s3:PutObject", "arn:aws:s3:::b/*", "s3:RequestObjectTag/team"),
        ("secretsmanager:GetSecretValue", "*", "secretsmanager:ResourceTag/env"),
        ("ssm:GetParameter", "*", "ssm:resourceTag/env"),
    ],
)
def test_tag_key_placeholders_of_the_catalog_are_known(
    write_repo: WriteRepo, action: str, resource: str, key: str
) -> None:
    got = check(write_repo, allow(action, resource, **when("StringEquals", key, "x")))
    assert got.coded("UNKNOWN_CONDITION_KEY") == [] and got.coded(NOT_APPLICABLE) == [], (
        got.problems
    )


@pytest.mark.parametrize("key", ["s3:ExistingObjectTag/", "s3:ExistingObjTag/team"])
def test_a_placeholder_takes_a_name_and_only_in_its_place(write_repo: WriteRepo, key: str) -> None:
    got = check(
        write_repo, allow("s3:GetObject", "arn:aws:s3:::b/*", **when("StringEquals", key, "x"))
    )
    assert len(got.coded("UNKNOWN_CONDITION_KEY")) == 1, got.problems


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:apigateway:*::/apis",
        "arn:aws:apigateway:*::/apis/*",
        "arn:aws:apigateway:us-east-1::/apis/abc/routes/*",
        "arn:aws:apigateway:*::/restapis/*/stages",
    ],
)
def test_api_gateway_http_api_arns_fit_its_verbs(write_repo: WriteRepo, resource: str) -> None:
    got = check(write_repo, allow(["apigateway:GET", "apigateway:POST"], resource))
    assert got.coded("RESOURCE_MISMATCH") == [], got.problems


def test_an_api_gateway_path_it_has_not_is_still_reported(write_repo: WriteRepo) -> None:
    got = check(write_repo, allow("apigateway:GET", "arn:aws:apigateway:*::/v2/apis"))
    assert len(got.coded("RESOURCE_MISMATCH")) == 1


def test_the_literal_fast_path_agrees_with_the_general_walk() -> None:
    """Slash-free variables match literal text by a regex; every small text over
    "a", "/", "x" gets the same answer from it as from the general pattern walk."""
    import itertools

    from iamsync.iam import arn

    templates = [
        "${bucketname}",
        "${bucketname}/${objectname}",
        "a/${bucketname}",
        "${bucketname}/x/${objectname}",
        "t/${tablename}/index/${indexname}",
    ]
    checked = 0
    for template in templates:
        regex = arn._literal_regex(template)
        assert regex is not None
        walk = arn._tokens(template, policy=False)
        for size in range(6):
            for chars in itertools.product("a/x", repeat=size):
                text = "".join(chars)
                fast = regex.fullmatch(text) is not None
                assert fast == arn._intersects(arn._tokens(text, policy=True), walk), text
                checked += 1
    assert checked == 5 * sum(3**n for n in range(6))
