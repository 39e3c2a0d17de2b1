"""What moto cannot show: GAAD pagination and apply's failure handling, with botocore's Stubber."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.stub import Stubber

from iamsync.aws import bulk, live, runner as apply
from iamsync.engine import calls
from iamsync.engine.calls import Call

ACCOUNT = "123456789012"


@pytest.fixture
def iam() -> Any:
    return boto3.client(
        "iam",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        endpoint_url="http://127.0.0.1:9",
    )


def _page(users: list[str], policies: list[str], marker: str | None) -> dict[str, Any]:
    doc = quote(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    )
    page: dict[str, Any] = {
        "UserDetailList": [
            {
                "UserName": u,
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/iamsync/{u}",
                "Path": "/iamsync/",
                "UserId": "AIDA" + u.upper().ljust(16, "X"),
                "CreateDate": datetime(2026, 1, 1),
            }
            for u in users
        ],
        "GroupDetailList": [],
        "Policies": [
            {
                "PolicyName": p,
                "Arn": f"arn:aws:iam::{ACCOUNT}:policy/iamsync/{p}",
                "Path": "/iamsync/",
                "DefaultVersionId": "v1",
                "AttachmentCount": 0,
                "PolicyVersionList": [
                    {
                        "Document": doc,
                        "VersionId": "v1",
                        "IsDefaultVersion": True,
                        "CreateDate": datetime(2026, 1, 1),
                    }
                ],
            }
            for p in policies
        ],
        "IsTruncated": marker is not None,
    }
    if marker:
        page["Marker"] = marker
    return page


def test_gaad_pagination_follows_every_marker_with_the_largest_pages(iam: Any) -> None:
    with Stubber(iam) as stub:
        wanted = {"Filter": ["User", "Group"], "MaxItems": 1000}
        stub.add_response("get_account_authorization_details", _page(["a"], [], "m1"), wanted)
        stub.add_response(
            "get_account_authorization_details", _page(["b"], [], "m2"), {**wanted, "Marker": "m1"}
        )
        stub.add_response(
            "get_account_authorization_details", _page(["c"], [], None), {**wanted, "Marker": "m2"}
        )
        pages = bulk._pages(iam, ["User", "Group"])
        stub.assert_no_pending_responses()
    assert [u["UserName"] for page in pages for u in page["UserDetailList"]] == ["a", "b", "c"]


class _CannedIam:
    """Pages by filter, for read(): its two paginations run on two threads."""

    def __init__(self, pages: dict[str, list[dict[str, Any]]]) -> None:
        self.pages = pages

    def get_paginator(self, name: str) -> Any:
        assert name == "get_account_authorization_details"
        return self

    def paginate(self, Filter: list[str], PaginationConfig: dict[str, int]) -> Any:
        assert PaginationConfig == {"PageSize": 1000}
        return iter(self.pages[",".join(Filter)])


def test_read_merges_principals_and_policies_and_decodes_documents() -> None:
    canned = _CannedIam(
        {
            "User,Group,Role": [_page(["a"], [], "m"), _page(["b"], [], None)],
            "LocalManagedPolicy": [_page([], ["p"], "m"), _page([], ["q"], None)],
        }
    )
    state = live.read(canned, ACCOUNT, "aws", lambda service: canned)  # type: ignore[arg-type]
    assert sorted(state.of("user")) == ["a", "b"]
    assert sorted(state.of("policy")) == ["p", "q"]
    assert state.of("policy")["p"].default.document["Statement"][0]["Action"] == "s3:*"


def test_an_answer_that_is_not_gaad_is_refused_not_read_as_an_empty_account() -> None:
    """A proxy answering 200 with the wrong body must not plan the deletion of everything."""
    from iamsync.aws.session import Garbled

    empty = _page([], [], None)
    del empty["IsTruncated"]
    canned = _CannedIam({"User,Group,Role": [empty], "LocalManagedPolicy": [empty]})
    with pytest.raises(Garbled):
        live.read(canned, ACCOUNT, "aws", lambda service: canned)  # type: ignore[arg-type]


def _chain(*operations: tuple[str, dict[str, Any]]) -> calls.StageCalls:
    return tuple((Call(op, params, "test"),) for op, params in operations)


def test_failure_stops_and_says_what_was_done(iam: Any) -> None:
    stages = (
        _chain(("create_user", {"UserName": "a", "Path": "/iamsync/"})),
        _chain(
            (
                "attach_user_policy",
                {"UserName": "a", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
            )
        ),
        _chain(("delete_user", {"UserName": "b"})),
    )
    with Stubber(iam) as stub:
        stub.add_response("create_user", {}, {"UserName": "a", "Path": "/iamsync/"})
        stub.add_client_error("attach_user_policy", "AccessDenied", "not allowed", 403)
        with pytest.raises(apply.ApplyFailed) as caught:
            apply.run(stages, lambda service: iam, pauses=())
        stub.assert_no_pending_responses()  # delete_user was never attempted
    assert [c.operation for c in caught.value.done] == ["create_user"]
    assert caught.value.failed.operation == "attach_user_policy"
    assert "AccessDenied: not allowed" in str(caught.value)


def test_deleting_what_is_already_gone_converges(iam: Any) -> None:
    stages = (
        _chain(
            (
                "detach_user_policy",
                {"UserName": "a", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
            ),
            ("delete_user", {"UserName": "a"}),
        ),
    )
    with Stubber(iam) as stub:
        stub.add_client_error("detach_user_policy", "NoSuchEntity", "gone", 404)
        stub.add_client_error("delete_user", "NoSuchEntity", "gone", 404)
        done = apply.run(stages, lambda service: iam, pauses=())
    assert [c.operation for c in done] == ["detach_user_policy", "delete_user"]


def test_new_entity_not_yet_visible_is_retried(iam: Any) -> None:
    params = {"UserName": "a", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    with Stubber(iam) as stub:
        stub.add_client_error("attach_user_policy", "NoSuchEntity", "not yet", 404)
        stub.add_response("attach_user_policy", {}, params)
        done = apply.run(
            (_chain(("attach_user_policy", params)),), lambda service: iam, pauses=(0.0,)
        )
    assert len(done) == 1


def test_a_trust_naming_a_principal_made_moments_ago_is_retried(iam: Any) -> None:
    params = {"RoleName": "r", "Path": "/iamsync/", "AssumeRolePolicyDocument": "{}"}
    answer = {
        "Role": {
            "Path": "/iamsync/",
            "RoleName": "r",
            "RoleId": "AROAXXXXXXXXXXXXXXXXX",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/iamsync/r",
            "CreateDate": datetime(2026, 1, 1),
        }
    }
    with Stubber(iam) as stub:
        stub.add_client_error(
            "create_role", "MalformedPolicyDocument", "Invalid principal in policy", 400
        )
        stub.add_response("create_role", answer, params)
        done = apply.run((_chain(("create_role", params)),), lambda service: iam, pauses=(0.0,))
    assert [c.operation for c in done] == ["create_role"]
    with Stubber(iam) as stub:  # any other malformed document is the file's fault: no retry
        stub.add_client_error("create_role", "MalformedPolicyDocument", "Syntax errors", 400)
        with pytest.raises(apply.ApplyFailed, match="Syntax errors"):
            apply.run((_chain(("create_role", params)),), lambda service: iam, pauses=(0.0,))


def _profile(path: str, *roles: str) -> dict[str, Any]:
    def role(name: str) -> dict[str, Any]:
        return {
            "Path": "/",
            "RoleName": name,
            "RoleId": "AROAXXXXXXXXXXXXXXXXX",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
            "CreateDate": datetime(2026, 1, 1),
            "AssumeRolePolicyDocument": "{}",
        }

    return {
        "InstanceProfile": {
            "Path": path,
            "InstanceProfileName": "app",
            "InstanceProfileId": "AIPAXXXXXXXXXXXXXXXXX",
            "Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile{path}app",
            "CreateDate": datetime(2026, 1, 1),
            "Roles": [role(r) for r in roles],
        }
    }


@pytest.mark.parametrize(
    "existing, refusal",
    [
        (_profile("/iamsync/"), None),  # an interrupted apply's: converged
        (_profile("/"), "already exists at path /: it is not iamsync's"),
        (_profile("/iamsync/", "theirs"), "holding role theirs"),
    ],
)
def test_an_instance_profile_already_there_is_used_only_if_it_is_the_left_over_one(
    iam: Any, existing: dict[str, Any], refusal: str | None
) -> None:
    params = {"InstanceProfileName": "app", "Path": "/iamsync/"}
    stages = (_chain(("create_instance_profile", params)),)
    with Stubber(iam) as stub:
        stub.add_client_error("create_instance_profile", "EntityAlreadyExists", "exists", 409)
        stub.add_response("get_instance_profile", existing, {"InstanceProfileName": "app"})
        if refusal is None:
            assert [c.operation for c in apply.run(stages, lambda service: iam, pauses=())] == [
                "create_instance_profile"
            ]
        else:
            with pytest.raises(apply.ApplyFailed, match=refusal):
                apply.run(stages, lambda service: iam, pauses=())


def test_an_instance_profile_that_cannot_be_read_is_not_iamsyncs(iam: Any) -> None:
    params = {"InstanceProfileName": "app", "Path": "/iamsync/"}
    with Stubber(iam) as stub:
        stub.add_client_error("create_instance_profile", "EntityAlreadyExists", "exists", 409)
        stub.add_client_error("get_instance_profile", "AccessDenied", "no", 403)
        with pytest.raises(apply.ApplyFailed, match=r"cannot be read \(AccessDenied\)"):
            apply.run(
                (_chain(("create_instance_profile", params)),), lambda service: iam, pauses=()
            )


def test_size_limit_is_reported_as_size_not_as_versions(iam: Any) -> None:
    params = {
        "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/iamsync/p",
        "PolicyDocument": "{}",
        "SetAsDefault": True,
    }
    with Stubber(iam) as stub:
        stub.add_client_error(
            "create_policy_version",
            "LimitExceeded",
            "Cannot exceed quota for PolicySize: 6144",
            409,
        )
        with pytest.raises(apply.ApplyFailed) as caught:
            apply.run((_chain(("create_policy_version", params)),), lambda service: iam, pauses=())
    assert "too large for IAM" in caught.value.reason
    assert "no version was removed" in caught.value.reason


def test_transport_failure_is_reported_not_raised(iam: Any) -> None:
    """Nothing listens on the endpoint: the failure is a reason, never a traceback."""
    from botocore.config import Config

    dead = boto3.client(
        "iam",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    stages = (_chain(("delete_user", {"UserName": "a"})),)
    with pytest.raises(apply.ApplyFailed) as caught:
        apply.run(stages, lambda service: dead, pauses=())
    assert caught.value.reason == "cannot connect to http://127.0.0.1:9/"


def test_an_aws_managed_document_that_cannot_be_read_is_named_not_fatal(iam: Any) -> None:
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    with Stubber(iam) as stub:
        stub.add_response("get_policy", {"Policy": {"DefaultVersionId": "v9"}}, {"PolicyArn": arn})
        stub.add_client_error("get_policy_version", "AccessDenied", "not authorized", 403)
        docs, unread = live.documents(iam, [arn])
        stub.assert_no_pending_responses()
    assert docs == {} and unread == [f"{arn} (AccessDenied)"]


FAKE: dict[str, str] = {
    "aws_access_key_id": "x",
    "aws_secret_access_key": "x",
    "endpoint_url": "http://127.0.0.1:9",
}


def _doomed_user_state() -> Any:
    """An owned user that no file names: the plan deletes it, so its credentials are read."""
    from types import MappingProxyType

    from iamsync.core.model import Desired, Live
    from iamsync.kinds.user import LiveUser

    user = LiveUser(
        "u",
        "arn:aws:iam::123456789012:user/iamsync/u",
        "/iamsync/",
        tags=MappingProxyType({"managed-by": "iamsync"}),
    )
    state = Live("123456789012", "aws", MappingProxyType({"user": {"u": user}}))
    return state, Desired("/iamsync/")


def test_a_deleted_users_credentials_are_read_none_absent_and_unanswerable_said() -> None:
    from iamsync.kinds.base import Need

    client = boto3.client("iam", region_name="us-east-1", **FAKE)  # never reaches anything
    state, wanted = _doomed_user_state()
    with Stubber(client) as stub:
        keys = {
            "AccessKeyMetadata": [
                {"AccessKeyId": "AKIA000000000001"},
                {"AccessKeyId": "AKIA000000000002"},
            ]
        }
        stub.add_response("list_access_keys", keys, {"UserName": "u"})
        stub.add_client_error("get_login_profile", "NoSuchEntity", http_status_code=404)
        stub.add_response("list_mfa_devices", {"MFADevices": []}, {"UserName": "u"})
        stub.add_response("list_signing_certificates", {"Certificates": []}, {"UserName": "u"})
        stub.add_response("list_ssh_public_keys", {"SSHPublicKeys": []}, {"UserName": "u"})
        stub.add_client_error(  # an endpoint without the call (moto)
            "list_service_specific_credentials", "NotImplemented", http_status_code=501
        )
        done = live.complete(state, Need("/iamsync/", wanted), lambda _: client)
        stub.assert_no_pending_responses()
    found = done.of("user")["u"].credentials
    assert (
        found.access_keys == ("AKIA000000000001", "AKIA000000000002")
        and found.login_profile is False
    )
    assert found.unlisted == ("service-specific credentials",)
    assert found.describe() == [
        "2 access keys",
        "any service-specific credentials (IAM could not list them; if some exist, "
        "DeleteUser fails and nothing is lost)",
    ]


def test_refused_access_to_a_deleted_users_credentials_stops_the_plan() -> None:
    from iamsync.core.errors import IamsyncError
    from iamsync.kinds.base import Need

    client = boto3.client("iam", region_name="us-east-1", **FAKE)  # never reaches anything
    state, wanted = _doomed_user_state()
    with Stubber(client) as stub:
        stub.add_client_error("list_access_keys", "AccessDenied", "not authorized")
        with pytest.raises(IamsyncError, match="not allowed to read the access keys of user u: "):
            live.complete(state, Need("/iamsync/", wanted), lambda _: client)


def test_a_user_a_file_keeps_has_no_credentials_read() -> None:
    from iamsync.engine.desired import build
    from iamsync.kinds.base import Need

    client = boto3.client("iam", region_name="us-east-1", **FAKE)  # never reaches anything
    state, _ = _doomed_user_state()
    kept = build(
        {"user": {"u": {}}}, account_id="123456789012", partition="aws", path_prefix="/iamsync/"
    )
    with Stubber(client):  # any call would fail: none is stubbed
        done = live.complete(state, Need("/iamsync/", kept), lambda _: client)
    assert done.of("user")["u"].credentials is None


class _Hollow:
    """An endpoint whose replies parse but hold nothing IAM's would (a proxy's JSON, say)."""

    def __getattr__(self, operation: str) -> Any:
        return lambda **_params: {"ResponseMetadata": {}}


def test_a_hollow_reply_to_a_completing_read_is_one_clean_error_never_a_traceback() -> None:
    from iamsync.core.errors import IamsyncError
    from iamsync.kinds.base import Need

    state, wanted = _doomed_user_state()
    with pytest.raises(IamsyncError, match=r"cannot read the access keys of user u: .*"):
        live.complete(state, Need("/iamsync/", wanted), lambda _: _Hollow())


def test_a_damaged_action_index_is_ignored_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from iamsync.iam import catalog as catalog_mod

    damaged = SimpleNamespace(read_bytes=lambda: b"\x1f\x8b not gzip at all")
    folder = SimpleNamespace(joinpath=lambda _name: damaged)
    monkeypatch.setattr(catalog_mod.resources, "files", lambda _package: folder)
    fresh = catalog_mod.Catalog()
    assert fresh._index() is None
    assert "s3:GetObject" in fresh.action_names("s3:Get*")
