"""What issue 19's speed work changed, held to the truth it replaced: the reply timestamps
against botocore's own parser, the identity call made alongside the bulk read."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.parsers import QueryParser
from botocore.utils import parse_timestamp

from iamsync.aws import session as aws

# IAM's forms, and what botocore's parser also reads (epoch numbers, RFC 822, no zone,
# other offsets, fractions of each length), which must give what it gives.
STAMPS = [
    "2026-12-03T07:00:19Z",
    "2026-12-03T07:00:19.845780Z",
    "2026-12-03T07:00:19.8Z",
    "2026-12-03T07:00:19.845Z",
    "2026-12-03T07:00:19+00:00",
    "2026-12-03T07:00:19.5-07:30",
    "2026-12-03T23:59:59+14:00",
    "2016-02-29T00:00:00Z",
    "1999-12-31T23:59:60Z",  # a leap second: botocore's parser refuses it too
    "2026-12-03T07:00:19+24:00",  # an offset of a day: the standard library refuses it
    "\uff12\uff10\uff12\uff16-12-03T07:00:19Z",  # full-width digits: not IAM's form
    "2026-12-03T07:00:19",
    "2026-12-03",
    "2026-12-03T07:00:19.1234567Z",
    "Thu, 03 Dec 2026 07:00:19 GMT",
    "1764745219",
    "1764745219.5",
    "2026-13-03T07:00:19Z",
    "not a time",
    "",
]


def _botocore(value: str) -> Any:
    try:
        return parse_timestamp(value)
    except (ValueError, RuntimeError, OverflowError) as exc:
        return type(exc)


def _ours(value: str) -> Any:
    try:
        return aws.timestamp(value)
    except (ValueError, RuntimeError, OverflowError) as exc:
        return type(exc)


@pytest.mark.parametrize("value", STAMPS)
def test_timestamps_read_as_botocore_reads_them(value: str) -> None:
    """The same instant (or the same refusal) as botocore's parser, for IAM's form and any
    other; zoned ones are aware, as botocore's are."""
    theirs, ours = _botocore(value), _ours(value)
    if isinstance(theirs, type):
        assert ours is theirs or isinstance(ours, type), (value, ours)
        return
    assert (ours.tzinfo is None) == (theirs.tzinfo is None)
    assert _offset(ours) == _offset(theirs)
    if not isinstance(_offset(theirs), type):
        assert ours == theirs


def _offset(stamp: datetime) -> Any:
    try:
        return stamp.utcoffset()
    except ValueError as exc:  # an offset of a day or more: botocore's datetime has one
        return type(exc)


def test_sessions_parse_replies_with_it() -> None:
    """A session's IAM client parses a reply's timestamps with it: the same datetimes a plain
    botocore parser gives, for every timestamp of a GetAccountAuthorizationDetails reply."""
    model = botocore.session.get_session().get_service_model("iam")
    shape = model.operation_model("GetAccountAuthorizationDetails").output_shape
    body = (
        '<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/'
        '2010-05-08/"><GetAccountAuthorizationDetailsResult><UserDetailList><member>'
        "<Path>/</Path><UserName>u</UserName><UserId>AIDA</UserId>"
        "<Arn>arn:aws:iam::123456789012:user/u</Arn>"
        "<CreateDate>2026-12-03T07:00:19.845780Z</CreateDate></member></UserDetailList>"
        "<Policies><member><PolicyName>p</PolicyName><CreateDate>2020-01-02T03:04:05Z"
        "</CreateDate><UpdateDate>Thu, 03 Dec 2026 07:00:19 GMT</UpdateDate>"
        "<PolicyVersionList><member><VersionId>v1</VersionId><CreateDate>1764745219"
        "</CreateDate></member></PolicyVersionList></member></Policies>"
        "<IsTruncated>false</IsTruncated></GetAccountAuthorizationDetailsResult>"
        "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
        "</GetAccountAuthorizationDetailsResponse>"
    )
    reply = {"body": body.encode(), "headers": {}, "status_code": 200}
    session = aws.new_session(region_name="us-east-1")
    factory = session._session.get_component("response_parser_factory")
    parser = factory.create_parser("query")
    assert parser._timestamp_parser is aws.timestamp  # botocore's own slot for it
    ours = parser.parse(reply, shape)
    theirs = QueryParser().parse(reply, shape)
    assert ours == theirs
    user = ours["UserDetailList"][0]
    assert user["CreateDate"] == datetime(2026, 12, 3, 7, 0, 19, 845780, tzinfo=UTC)


# -- the query-protocol parser, against botocore's ----------------------------------------

_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
_HOSTILE_TEXT = ["", " ", "a&amp;b", "&lt;x&gt;", "ünï", "%7B%22Version%22%7D", "\t\n"]


def _instance(shape: Any, rng: random.Random, depth: int = 0) -> str:
    """Random XML for `shape` (the query protocol's form): every member may be there or
    not, lists of 0-3, scalars of every kind, hostile text, unknown tags between."""
    kind = shape.type_name
    if kind == "structure":
        parts = []
        for name, member in shape.members.items():
            if depth > 6 or rng.random() < 0.25:
                continue
            tag = member.serialization.get("name", name)
            parts.append(f"<{tag}>{_instance(member, rng, depth + 1)}</{tag}>")
            if rng.random() < 0.05:
                parts.append("<NotInTheModel>x</NotInTheModel>")
        rng.shuffle(parts)
        return "".join(parts)
    if kind == "list":
        tag = shape.member.serialization.get("name", "member")
        n = rng.randint(0, 3)
        return "".join(
            f"<{tag}>{_instance(shape.member, rng, depth + 1)}</{tag}>" for _ in range(n)
        )
    if kind == "map":
        return ""
    if kind == "boolean":
        return rng.choice(["true", "false", "True", ""])
    if kind in ("integer", "long"):
        return str(rng.randint(0, 10**6))
    if kind == "timestamp":
        return rng.choice(["2026-12-03T07:00:19Z", "2026-12-03T07:00:19.845780Z", "1764745219"])
    return rng.choice([*_HOSTILE_TEXT, f"name-{rng.randint(0, 99)}"])


def _reply(operation: Any, inner: str) -> dict[str, Any]:
    wrapper = operation.output_shape.serialization.get("resultWrapper", "")
    body = (
        f'<{operation.name}Response xmlns="{_NS}"><{wrapper}>{inner}</{wrapper}>'
        f"<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
        f"</{operation.name}Response>"
    )
    return {"body": body.encode(), "headers": {}, "status_code": 200}


def _plain(value: Any) -> Any:
    """A parse with botocore's quirk (repeated tags given back as XML elements) comparable."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "tag") and hasattr(value, "text"):
        return ("element", value.tag, value.text)
    return value


def _both(operation: Any, reply: dict[str, Any]) -> tuple[Any, Any]:
    from iamsync.aws.replies import FastQueryParser

    def parse(parser: Any) -> Any:
        try:
            return _plain(parser.parse(reply, operation.output_shape))
        except Exception as exc:  # the same failure, or the test says which
            # ours says a reply its shape cannot hold as ResponseParserError, from botocore's
            return type(exc.__cause__ or exc).__name__

    return (
        parse(QueryParser(timestamp_parser=aws.timestamp)),
        parse(FastQueryParser(timestamp_parser=aws.timestamp)),
    )


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_replies_parse_as_botocore_parses_them_for_every_operation(service: str) -> None:
    """For every operation of IAM and STS, 8 random replies covering every member of its
    shape (absent, present, empty, hostile text, unknown tags): the same result."""
    model = botocore.session.get_session().get_service_model(service)
    rng = random.Random(19)
    compared = 0
    for name in model.operation_names:
        operation = model.operation_model(name)
        if operation.output_shape is None:
            continue
        for _ in range(8):
            reply = _reply(operation, _instance(operation.output_shape, rng))
            theirs, ours = _both(operation, reply)
            assert ours == theirs, (name, reply["body"][:400])
            compared += 1
    assert compared > (400 if service == "iam" else 40)


_GAAD_USER = (
    "<UserDetailList><member><UserName>{first}</UserName>{extra}<Path>/</Path></member>"
    "</UserDetailList>"
)


@pytest.mark.parametrize(
    "inner",
    [
        # a member repeated where the shape has one: botocore's own step decides
        _GAAD_USER.format(first="a", extra="<UserName>b</UserName>"),
        _GAAD_USER.format(first="a", extra="<Path>/x/</Path>"),
        # a list repeated, a list item that is not <member>, an empty list, empty scalars
        "<UserDetailList><member><UserName>a</UserName></member></UserDetailList>"
        "<UserDetailList><member><UserName>b</UserName></member></UserDetailList>",
        "<UserDetailList><item><UserName>a</UserName></item><member/></UserDetailList>",
        "<UserDetailList/><IsTruncated/><Marker></Marker>",
        # no namespace, another namespace, text and tails between elements
        '<UserDetailList xmlns=""><member><UserName>a</UserName></member></UserDetailList>',
        '<x:UserDetailList xmlns:x="urn:other"><member><UserName>a</UserName></member>'
        "</x:UserDetailList>",
        "text<UserDetailList>tail<member>in<UserName>a</UserName>after</member></UserDetailList>",
        # a structure given text, a scalar given elements, a bad integer, a bad timestamp
        "<UserDetailList><member>just text</member></UserDetailList>",
        "<UserDetailList><member><UserName><b>x</b></UserName></member></UserDetailList>",
        "<Policies><member><AttachmentCount>many</AttachmentCount></member></Policies>",
        "<Policies><member><CreateDate>yesterday</CreateDate></member></Policies>",
        "<IsTruncated>TRUE</IsTruncated>",
        # a repeat excuses a first occurrence that does not parse (botocore keeps both)
        "<Policies><member><AttachmentCount>many</AttachmentCount></member></Policies><Policies/>",
        "<UserDetailList><member><CreateDate>never</CreateDate><Path>/</Path>"
        "<CreateDate>x</CreateDate></member></UserDetailList>",
    ],
)
def test_hostile_replies_parse_as_botocore_parses_them(inner: str) -> None:
    model = botocore.session.get_session().get_service_model("iam")
    operation = model.operation_model("GetAccountAuthorizationDetails")
    theirs, ours = _both(operation, _reply(operation, inner))
    assert ours == theirs


def test_error_replies_parse_as_botocore_parses_them() -> None:
    model = botocore.session.get_session().get_service_model("iam")
    operation = model.operation_model("GetUser")
    body = (
        f'<ErrorResponse xmlns="{_NS}"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>'
        "<Message>The user with name x cannot be found.</Message></Error>"
        "<RequestId>r-2</RequestId></ErrorResponse>"
    )
    reply = {"body": body.encode(), "headers": {}, "status_code": 404}
    theirs, ours = _both(operation, reply)
    assert ours == theirs
    assert ours["Error"]["Code"] == "NoSuchEntity"


def test_moto_account_reply_parses_as_botocore_parses_it(aws: Any, iam: Any) -> None:
    """A real GetAccountAuthorizationDetails reply with every kind in it (inline and managed
    policies, versions, groups, members, roles with trust, instance profiles, tags,
    boundaries): the same result from both parsers, and from a session's client."""
    import json

    from iamsync.aws import session as sessions

    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}
    doc["Statement"][0]["Resource"] = "*"
    text = json.dumps(doc)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = iam.create_policy(PolicyName="p", Path="/iamsync/", PolicyDocument=text)["Policy"]
    arn = arn["Arn"]
    iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=text.replace("s3:*", "ec2:*"), SetAsDefault=True
    )
    iam.create_user(
        UserName="u",
        Path="/iamsync/",
        Tags=[{"Key": "managed-by", "Value": "iamsync"}, {"Key": "a&b", "Value": "<x>"}],
    )
    iam.put_user_policy(UserName="u", PolicyName="inline", PolicyDocument=text)
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    iam.create_group(GroupName="g", Path="/iamsync/")
    iam.add_user_to_group(GroupName="g", UserName="u")
    iam.put_group_policy(GroupName="g", PolicyName="gi", PolicyDocument=text)
    iam.create_role(
        RoleName="r", AssumeRolePolicyDocument=json.dumps(trust), PermissionsBoundary=arn
    )
    iam.create_instance_profile(InstanceProfileName="ip")
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="r")

    model = botocore.session.get_session().get_service_model("iam")
    operation = model.operation_model("GetAccountAuthorizationDetails")
    plain = botocore.session.get_session().create_client(
        "iam", endpoint_url=aws.url, region_name="us-east-1"
    )
    raw: list[dict[str, Any]] = []
    plain.meta.events.register(
        "before-parse.iam.GetAccountAuthorizationDetails",
        lambda response_dict, **_: raw.append(dict(response_dict)),
    )
    ours_client = sessions.new_session(region_name="us-east-1").client("iam")
    for kinds in (["User", "Group", "Role"], ["LocalManagedPolicy"]):
        theirs = plain.get_account_authorization_details(Filter=kinds)
        ours = ours_client.get_account_authorization_details(Filter=kinds)
        for reply in (ours, theirs):
            reply.pop("ResponseMetadata")
        assert ours == theirs
    for reply in raw:
        theirs, ours = _both(operation, reply)
        assert ours == theirs and isinstance(ours, dict)
    principals = ours_client.get_account_authorization_details(Filter=["User", "Role"])
    assert principals["UserDetailList"][0]["GroupList"] == ["g"]
    assert principals["UserDetailList"][0]["Tags"][1] == {"Key": "a&b", "Value": "<x>"}
    role = principals["RoleDetailList"][0]
    assert role["InstanceProfileList"][0]["InstanceProfileName"] == "ip"
    assert role["AssumeRolePolicyDocument"] == trust  # decoded by botocore's handler, as before


# -- the bulk read started early -----------------------------------------------------------


def test_early_config_is_read_only_as_the_plan_reads_a_file(tmp_path: Any) -> None:
    """The working iamsync.json, read before anything is validated: never a FIFO (which
    would block the run), a link, or more than a file may hold. Each is left to the plan."""
    import os

    from iamsync.files import tree
    from iamsync.pipeline import early

    path = tmp_path / "iamsync.json"
    assert early._config(path) is None  # none: no early read
    path.write_text('{"default_target": "prod"}')
    assert early._config(path) == {"default_target": "prod"}
    path.unlink()
    os.mkfifo(path)
    assert early._config(path) is None  # returns at once (a blocking open would hang here)
    path.unlink()
    (tmp_path / "big.json").write_bytes(b" " * (tree.MAX_FILE_BYTES + 1))
    path.symlink_to(tmp_path / "big.json")
    assert early._config(path) is None
    path.unlink()
    (tmp_path / "big.json").rename(path)
    assert early._config(path) is None


def test_an_early_read_is_taken_only_for_the_target_the_plan_chose(aws: Any, tmp_path: Any) -> None:
    from iamsync.files.config import Target
    from iamsync.pipeline import early

    (tmp_path / "iamsync.json").write_text(
        '{"default_target": "prod", "targets": {"prod": {"region": "us-east-1"}}}'
    )
    early.start(tmp_path, None)
    assert early.take(Target("prod", region="eu-west-1")) is None  # another: read again
    early.start(tmp_path, None)
    started = early.take(Target("prod", region="us-east-1"))
    assert started is not None
    assert [p["IsTruncated"] for p in started.pages.result(timeout=30)] == [False, False]
    assert early.take(Target("prod", region="us-east-1")) is None  # once
    (tmp_path / "iamsync.json").write_text("{not json")
    early.start(tmp_path, None)  # says nothing, raises nothing: the plan will
    assert early.take(Target("default")) is None


def test_the_command_line_and_the_identity_both_go_on_once_the_read_is_sent(
    aws: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    """early.start returns once both paginations are on the wire, and so does the thread
    that then makes the identity's client: both wait on the sends (a semaphore gave each
    send to one waiter, and the command line waited out its deadline: 0.14 s of a plan
    doing nothing). With a deadline of a minute, start() returning at all says it."""
    import threading
    import time

    from iamsync.files.config import Target
    from iamsync.pipeline import early

    monkeypatch.setattr(early, "_SEND_WAIT", 60.0)
    (tmp_path / "iamsync.json").write_text(
        '{"default_target": "prod", "targets": {"prod": {"region": "us-east-1"}}}'
    )
    returned = threading.Event()
    threading.Thread(
        target=lambda: (early.start(tmp_path, None), returned.set()), daemon=True
    ).start()
    assert returned.wait(20), "early.start waited out its deadline"
    started = early.take(Target("prod", region="us-east-1"))
    assert started is not None
    assert started.connection.identity.account_id == "123456789012"

    sends = early._Sends(2)
    deadline = time.monotonic() + 60
    waiters = [threading.Thread(target=sends.wait, args=(deadline,)) for _ in range(3)]
    for w in waiters:
        w.start()
    sends.one()
    assert all(w.is_alive() for w in waiters)  # one of two sent: all still wait
    sends.one()
    for w in waiters:
        w.join(20)
    assert not any(w.is_alive() for w in waiters)


def test_an_invalid_config_is_reported_though_its_target_was_read_early(
    aws: Any, git_repo: Any
) -> None:
    """iamsync.json that fails its schema names, to the early read, an account the
    credentials do not reach. The plan validates it as ever: the schema error is what it
    says (not the wrong account the early read would have met), exit 1."""
    git_repo.write(
        {
            "iamsync.json": {
                "default_target": "prod",
                "targets": {"prod": {"account_id": "210987654321", "unknown_key": 1}},
            },
        }
    ).commit()
    result = git_repo.run("--plan")
    assert result.code == 1, result.err
    assert "unknown_key" in result.err
    assert "wrong account" not in result.err


def test_the_account_check_holds_for_an_early_read(aws: Any, git_repo: Any, iam: Any) -> None:
    """The early read of a target whose account is not the credentials': nothing it read is
    used, the run refuses the wrong account and writes nothing."""
    git_repo.write(
        {
            "iamsync.json": {
                "default_target": "prod",
                "targets": {"prod": {"account_id": "210987654321"}},
            },
            "policies/p.json": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            },
        }
    ).commit()
    for mode in ("--plan", "--apply"):
        result = git_repo.run(mode)
        assert result.code == 1
        assert "refusing to touch the wrong account" in result.err
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_a_plan_that_changes_nothing_reviews_nothing_and_one_change_reviews_again(
    aws: Any, git_repo: Any, iam: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user holding an AWS-managed policy with a finding (AdministratorAccess): once
    applied, the plan that changes nothing makes only the bulk read and the identity call
    (no AWS-managed document read) and shows no review. One change later, the user is
    reviewed again with that document: the suppression is of nothing but the empty plan.
    (The finding is not new: the user had it.)"""
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    allow = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    files = {
        "policies/p.json": {"Version": "2012-10-17", "Statement": [allow]},
        "users/ci.json": {"policies": ["p", admin]},
    }
    git_repo.write(files).commit()
    assert git_repo.run("--apply").code == 0
    log = tmp_path / "calls.log"
    monkeypatch.setenv("IAMSYNC_API_LOG", str(log))
    same = git_repo.run("--plan", "--format", "json")
    assert same.code == 0, same.err
    assert sorted(log.read_text().splitlines()) == [
        "iam GetAccountAuthorizationDetails",
        "iam GetAccountAuthorizationDetails",
        "sts GetCallerIdentity",
    ]
    plan = json.loads(same.out)
    assert plan["changes"] == [] and plan["access"] == [] and plan["findings"] == []
    log.unlink()
    more = {**allow, "Action": ["s3:GetObject", "s3:PutObject"]}
    files["policies/p.json"] = {"Version": "2012-10-17", "Statement": [more]}
    git_repo.write(files).commit()
    changed = git_repo.run("--plan", "--format", "json")
    assert "iam GetPolicyVersion" in log.read_text().splitlines()  # the document is read
    findings = json.loads(changed.out)["findings"]
    assert any(
        f["code"] == "ADMIN_EQUIVALENT" and f["principal"]["name"] == "ci" and not f["new"]
        for f in findings
    ), findings


def test_a_reply_its_shape_cannot_hold_is_a_parser_error_not_a_crash() -> None:
    """An integer that is a word, a date that is none: botocore lets ValueError through (a
    traceback); iamsync's parser says ResponseParserError, which the run says in one line."""
    from botocore.parsers import ResponseParserError

    from iamsync.aws.replies import FastQueryParser

    model = botocore.session.get_session().get_service_model("iam")
    operation = model.operation_model("GetAccountAuthorizationDetails")
    for inner in (
        "<Policies><member><AttachmentCount>many</AttachmentCount></member></Policies>",
        "<Policies><member><CreateDate>yesterday</CreateDate></member></Policies>",
    ):
        with pytest.raises(ResponseParserError):
            FastQueryParser(timestamp_parser=aws.timestamp).parse(
                _reply(operation, inner), operation.output_shape
            )


def test_variables_written_with_json_escapes_are_still_substituted_and_checked(
    tmp_path: Any,
) -> None:
    """A file whose text has no "{{" may still hold {{Name}}: "\\u007b\\u007bNope}}" is
    JSON for "{{Nope}}". Skipping the walk for it would send the literal to IAM and never
    say the name is unknown."""
    from iamsync.engine import validate

    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
        '"s3:GetObject", "Resource": "arn:aws:s3:::\\u007b\\u007bAccountId}}-b/*", '
        '"Sid": "S\\u007b\\u007bNope}}"}]}'
    )
    result = validate.check(tmp_path, builtins={"AccountId": "111122223333", "Partition": "aws"})
    said = [(p.code, p.message) for p in result.problems]
    assert any(code == "UNKNOWN_VARIABLE" and "{{Nope}}" in m for code, m in said), said
    (tmp_path / "policies" / "p.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
        '"s3:GetObject", "Resource": "arn:aws:s3:::\\u007b\\u007bAccountId}}-b/*"}]}'
    )
    result = validate.check(tmp_path, builtins={"AccountId": "111122223333", "Partition": "aws"})
    assert result.ok, result.problems
    statement = result.values["policy"]["p"]["Statement"][0]
    assert statement["Resource"] == "arn:aws:s3:::111122223333-b/*"


def test_the_wrong_account_is_refused_at_once_while_its_read_is_slow(
    aws: Any, git_repo: Any
) -> None:
    """The bulk read goes out with the identity call. When the credentials reach another
    account, the refusal is said as soon as the identity is known: it never waits for that
    account's read (an IAM endpoint that takes 30 s here), in the run or at its exit."""
    import http.server
    import os
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(30)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    git_repo.write(
        {
            "iamsync.json": {
                "default_target": "prod",
                "targets": {"prod": {"account_id": "210987654321"}},
            }
        }
    ).commit()
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_IAM": f"http://127.0.0.1:{server.server_address[1]}",
        "PYTHONPATH": str(root),
    }
    try:
        began = time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(root / "sync.py"), "--plan", "--repo", str(git_repo.root)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        took = time.monotonic() - began
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 1, proc.stderr
    assert "refusing to touch the wrong account" in proc.stderr
    assert took < 20, took  # not the 30 s the read takes
