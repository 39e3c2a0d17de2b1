"""--suggest: least privilege from CloudTrail evidence (the seed's trial and error, once)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from iamsync.evidence import events, records
from iamsync.evidence.events import Who
from iamsync.iam.catalog import Catalog
from tests import trail
from tests.conftest import GitRepo, MotoServer
from tests.test_loop import seed_repo

REPO = "fargate-service"  # the seed's {{RepositoryName}}
REPO_ARN = f"arn:aws:ecr:us-east-1:{trail.ACCOUNT}:repository/{REPO}"
USER = trail.user_identity("cdk-deployer")
CATALOG = Catalog()
ECR = "arn:{{Partition}}:ecr:{{Region}}:{{AccountId}}"
DENIED = "User: arn:aws:iam::1:user/u is not authorized to perform: "
EC2_DENIED = "You are not authorized to perform this operation. Encoded authorization failure"


def _without_put_image(repo: GitRepo) -> None:
    path = repo.root / "policies" / "ecr-push.json"
    doc = json.loads(path.read_text())
    doc["Statement"][0]["Action"].remove("ecr:PutImage")
    path.write_text(json.dumps(doc, indent=2))
    repo.commit("no PutImage")


def _push_events() -> list[dict[str, Any]]:
    """A deploy that pushes its image: layer calls succeed, PutImage is denied."""
    ok = [
        trail.record(USER, "ecr", "GetAuthorizationToken", read_only=True),
        trail.record(USER, "ecr", "BatchCheckLayerAvailability", read_only=True),
        trail.record(USER, "ecr", "InitiateLayerUpload", resources=[REPO_ARN]),
        trail.record(USER, "ecr", "UploadLayerPart", resources=[REPO_ARN]),
        trail.record(USER, "ecr", "CompleteLayerUpload", resources=[REPO_ARN]),
    ]
    other = trail.user_identity("someone-else")
    noise = [
        trail.denied(other, "ecr:DeleteRepository", REPO_ARN),
        trail.record(other, "s3", "ListBuckets", read_only=True),
    ]
    return [*ok, trail.denied(USER, "ecr:PutImage", REPO_ARN), *noise]


def test_seed_denial_becomes_exactly_the_missing_grant(
    aws: MotoServer, iam: Any, git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = seed_repo(git_repo, iam)
    _without_put_image(repo)
    assert repo.run("--apply").code == 0
    logs = tmp_path / "trail" / "AWSLogs" / trail.ACCOUNT / "CloudTrail" / "us-east-1"
    trail.write_log(logs / "2026" / "11" / "02" / "a.json.gz", _push_events())

    shown = repo.run(
        "--suggest", "user/cdk-deployer", "--events", str(tmp_path / "trail"), "--format", "json"
    )
    assert shown.code == 0, shown.err
    found = json.loads(shown.out)
    assert found["principal"] == {"type": "user", "name": "cdk-deployer"}
    assert found["events"] == 6 and found["records_read"] == 8
    assert found["from"] == found["to"] == "2026-11-02T12:00:00Z"
    assert found["missing"] == [{"action": "ecr:PutImage", "resources": [REPO_ARN], "denied": 1}]
    assert "ecr:UploadLayerPart" in found["used"] and "ecr:DeleteRepository" not in found["used"]
    assert found["written"] == []
    assert not (repo.root / "users" / "cdk-deployer.json").read_text().count("from-evidence")

    wrote = repo.run(
        "--suggest", "user/cdk-deployer", "--events", str(tmp_path / "trail"), "--write"
    )
    assert wrote.code == 0, wrote.err
    user = json.loads((repo.root / "users" / "cdk-deployer.json").read_text())
    assert user["inline_policies"]["from-evidence"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["ecr:PutImage"],
            "Resource": ["arn:{{Partition}}:ecr:{{Region}}:{{AccountId}}:repository/" + REPO],
            "Sid": "FromEvidence1",
        }
    ]
    assert "policy ecr-push is shared with role cdk-deployer-github: not narrowed" in wrote.out
    assert repo.run("--validate").code == 0
    plan = repo.run("--plan", "--format", "json")
    access = json.loads(plan.out)["access"]
    (mine,) = [a for a in access if a["principal"]["name"] == "cdk-deployer"]
    assert mine["gained"] == ["ecr:PutImage"] and mine["lost"] == []
    assert [a["principal"]["name"] for a in access] == ["cdk-deployer"]


def test_unused_actions_leave_a_policy_only_the_principal_holds(
    aws: MotoServer, iam: Any, git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = seed_repo(git_repo, iam)
    wide = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ecr:*"],
                "Resource": f"{ECR}:repository/{{{{RepositoryName}}}}",
            },
            {"Effect": "Allow", "Action": "sqs:DeleteQueue", "Resource": "*"},
        ],
    }
    user = json.loads((repo.root / "users" / "cdk-deployer.json").read_text())
    user["policies"].append("wide")
    repo.write({"policies/wide.json": wide, "users/cdk-deployer.json": user}).commit()
    assert repo.run("--apply").code == 0
    trail.write_log(tmp_path / "t.json", _push_events()[:5], gz=False)

    wrote = repo.run(
        "--suggest", "user/cdk-deployer", "--events", str(tmp_path / "t.json"), "--write"
    )
    assert wrote.code == 0, wrote.err
    narrowed = json.loads((repo.root / "policies" / "wide.json").read_text())
    assert narrowed["Statement"] == [
        {
            **wide["Statement"][0],  # type: ignore[dict-item]
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:CompleteLayerUpload",
                "ecr:GetAuthorizationToken",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
            ],
        }
    ]
    shared = json.loads((repo.root / "policies" / "ecr-push.json").read_text())
    assert "ecr:PutImage" in shared["Statement"][0]["Action"]  # shared: left alone
    assert repo.run("--validate").code == 0
    plan = json.loads(repo.run("--plan", "--format", "json").out)
    (mine,) = [a for a in plan["access"] if a["principal"]["name"] == "cdk-deployer"]
    assert mine["gained"] == [] and "sqs:DeleteQueue" in mine["lost"]
    assert "ecr:UploadLayerPart" not in mine["lost"]


def test_write_refuses_without_events_of_the_principal(
    aws: MotoServer, iam: Any, git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = seed_repo(git_repo, iam)
    other = trail.user_identity("someone-else")
    trail.write_log(tmp_path / "t" / "t.json.gz", [trail.record(other, "s3", "ListBuckets")])
    before = (repo.root / "users" / "cdk-deployer.json").read_text()
    result = repo.run("--suggest", "user/cdk-deployer", "--events", str(tmp_path / "t"), "--write")
    assert result.code == 1
    assert "no event of user cdk-deployer" in result.err and "nothing was written" in result.err
    assert (repo.root / "users" / "cdk-deployer.json").read_text() == before


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--suggest", "group/x", "--events", "."], "--suggest takes user/NAME or role/NAME"),
        (["--suggest", "user/nobody", "--events", "EVENTS"], "no user nobody in the repository"),
        (["--suggest", "user/cdk-deployer"], "--suggest needs --events"),
        (["--plan", "--events", "x"], "--events goes with --suggest"),
        (["--suggest", "user/cdk-deployer", "--events", "missing.json"], "no such file or folder"),
        (["--suggest", "user/cdk-deployer", "--events", "TRUNCATED"], "truncated, or not gzip"),
        (["--suggest", "user/cdk-deployer", "--events", "NOT_TRAIL"], "not a CloudTrail log file"),
    ],
)
def test_bad_suggest_input_is_one_line(
    aws: MotoServer, iam: Any, git_repo: GitRepo, tmp_path: Path, args: list[str], said: str
) -> None:
    repo = seed_repo(git_repo, iam)
    trail.write_log(tmp_path / "e.json", [trail.record(USER, "ecr", "ListImages")], gz=False)
    cut = trail.write_log(tmp_path / "cut.json.gz", _push_events())
    cut.write_bytes(cut.read_bytes()[:-30])
    (tmp_path / "other.json").write_text('{"Resources": {}}')
    named = {"EVENTS": "e.json", "TRUNCATED": "cut.json.gz", "NOT_TRAIL": "other.json"}
    argv = [str(tmp_path / named[a]) if a in named else a for a in args]
    result = repo.run(*argv)
    assert result.code == 1
    assert said in result.err and "Traceback" not in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1


# -- reading the evidence -----------------------------------------------------------------


def test_every_documented_format_reads_the_same_records(tmp_path: Path) -> None:
    events_ = _push_events()
    a = trail.write_log(tmp_path / "a.json.gz", events_)
    b = trail.write_log(tmp_path / "b.json", events_, gz=False)
    c = trail.write_lookup(tmp_path / "c.json", events_)
    pages = tmp_path / "d.json"
    pages.write_text(json.dumps([json.loads(c.read_text()), json.loads(c.read_text())]))
    read = [list(records.read([p])) for p in (a, b, c)]
    assert read[0] == read[1] == read[2] and len(read[0]) == len(events_)
    assert len(list(records.read([pages]))) == 2 * len(events_)
    assert [p.name for p in records.files([tmp_path])] == [
        "a.json.gz",
        "b.json",
        "c.json",
        "d.json",
    ]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "not a CloudTrail log file"),
        (b"hello", "not a CloudTrail log file (no JSON object)"),
        (b'{"Records": [{"eventName": 1}]}', "not a CloudTrail log file"),
        (b'{"Records": [{"eventName": "x"}', "truncated"),
        (b'{\n  "Records": [\n    {"eventName": "x",, }]}', ":3:"),
        (b'{"Other": []}', 'no "Records" list'),
        (
            b'{"Records": [{"requestParameters": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}",
            "nested deeper",
        ),
        (
            b'{"Events": [{"CloudTrailEvent": "{nope"}]}',
            "CloudTrailEvent is not a CloudTrail record",
        ),
    ],
)
def test_a_file_that_is_not_cloudtrail_is_one_located_error(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(records.EvidenceError) as raised:
        records.read_file(path)
    assert str(raised.value).startswith(f"{path}:") and said in str(raised.value)


def test_a_truncated_gzip_is_one_error(tmp_path: Path) -> None:
    path = trail.write_log(tmp_path / "t.json.gz", _push_events())
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(records.EvidenceError, match="truncated, or not gzip"):
        records.read_file(path)


def test_only_the_principal_s_own_events_count() -> None:
    user = Who("user", "cdk-deployer", trail.ACCOUNT)
    role = Who("role", "deploy", trail.ACCOUNT, sessions=True)
    mine = records.decode_event(json.dumps(trail.record(USER, "ecr", "ListImages")))
    other_account = records.decode_event(
        json.dumps(
            trail.record(trail.user_identity("cdk-deployer", account="999999999999"), "ecr", "X")
        )
    )
    session = records.decode_event(
        json.dumps(trail.record(trail.role_identity("deploy", "gha-1234"), "ecr", "X"))
    )
    other_role = records.decode_event(
        json.dumps(trail.record(trail.role_identity("deployer", "deploy"), "ecr", "X"))
    )
    assert user.owns(mine) and not user.owns(other_account) and not user.owns(session)
    assert role.owns(session) and not role.owns(other_role) and not role.owns(mine)


@pytest.mark.parametrize(
    ("source", "name", "error", "action", "resources", "why"),
    [
        (
            "ecr",
            "PutImage",
            (
                "AccessDeniedException",
                DENIED
                + "ecr:PutImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/web "
                "because no identity-based policy allows the ecr:PutImage action",
            ),
            "ecr:PutImage",
            ("arn:aws:ecr:us-east-1:123456789012:repository/web",),
            "no identity-based policy",
        ),
        (
            "ec2",
            "RunInstances",
            (
                "Client.UnauthorizedOperation",
                EC2_DENIED + " message: abc",
            ),
            "ec2:RunInstances",
            (),
            "",
        ),
        (
            "s3",
            "ListObjects",
            ("AccessDenied", "Access Denied"),
            "s3:ListBucket",
            ("arn:aws:s3:::b",),
            "",
        ),
        (
            "s3",
            "HeadObject",
            ("AccessDenied", "Access Denied"),
            "s3:GetObject",
            ("arn:aws:s3:::b",),
            "",
        ),
        (
            "lambda",
            "UpdateFunctionCode20150331v2",
            (
                "AccessDeniedException",
                DENIED
                + "lambda:UpdateFunctionCode on resource: arn:aws:lambda:us-east-1:123456789012:"
                "function:f with an explicit deny in a service control policy",
            ),
            "lambda:UpdateFunctionCode",
            ("arn:aws:lambda:us-east-1:123456789012:function:f",),
            "an explicit deny in a service control policy",
        ),
        (
            "monitoring",
            "PutMetricData",
            (
                "AccessDenied",
                DENIED + "cloudwatch:PutMetricData because no permissions boundary allows "
                "the cloudwatch:PutMetricData action",
            ),
            "cloudwatch:PutMetricData",
            (),
            "no permissions boundary",
        ),
        ("sts", "GetCallerIdentity", None, "sts:GetCallerIdentity", (), ""),
        ("madeup", "DoThing", ("AccessDenied", "nope"), "", (), ""),
    ],
)
def test_a_call_names_its_action_and_resources(
    source: str, name: str, error: Any, action: str, resources: tuple[str, ...], why: str
) -> None:
    arns = ["arn:aws:s3:::b"] if source == "s3" else []
    raw = trail.record(USER, source, name, error=error, resources=arns)
    call = events.call(records.decode_event(json.dumps(raw)), CATALOG)
    assert (call.action, call.resources, call.why) == (action, resources, why)
    assert call.denied is (error is not None)


# -- LookupEvents (moto does not implement it: botocore's Stubber) ---------------------------


def test_lookup_events_pages_respects_the_rate_and_rides_out_throttling() -> None:
    import boto3
    from botocore.stub import ANY, Stubber

    from iamsync.aws import trail as lookup

    client = boto3.client(
        "cloudtrail", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(client)
    mine = [
        trail.record(USER, "ecr", "ListImages", when=f"2026-11-0{i}T00:00:00Z") for i in range(1, 4)
    ]
    page = lambda rs, token=None: {  # noqa: E731
        "Events": [{"CloudTrailEvent": json.dumps(r)} for r in rs],
        **({"NextToken": token} if token else {}),
    }
    expected = {
        "StartTime": ANY,
        "EndTime": ANY,
        "MaxResults": 50,
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "cdk-deployer"}],
    }
    stub.add_response("lookup_events", page(mine[:2], "t1"), expected)
    stub.add_client_error(
        "lookup_events",
        "ThrottlingException",
        "Rate exceeded",
        400,
        expected_params={**expected, "NextToken": "t1"},
    )
    stub.add_response("lookup_events", page(mine[2:]), {**expected, "NextToken": "t1"})
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    err = io.StringIO()
    with stub:
        got = list(
            lookup.events(
                client, Who("user", "cdk-deployer"), 90, err, clock=lambda: now[0], sleep=sleep
            )
        )
    stub.assert_no_pending_responses()
    assert [r.eventTime for r in got] == [r["eventTime"] for r in mine]
    assert slept[0] >= 0.5  # the second call waited for the quota
    assert 1.0 in slept  # and backed off once when throttled
    assert "read 3 events of the last 90 days (2 LookupEvents calls)" in err.getvalue()


def test_write_never_grants_what_changes_access(tmp_path: Path) -> None:
    """From the attacker's side: the principal's holder chooses which calls are denied, so
    a denied iam:AttachUserPolicy, iam:PassRole or sts:AssumeRole is listed, never written."""
    from iamsync.engine import suggest_write
    from iamsync.engine.suggest import Missing, Suggestion

    asked = (
        Missing("iam:AttachUserPolicy", (f"arn:aws:iam::{trail.ACCOUNT}:user/iamsync/x",), 3),
        Missing("iam:PassRole", (f"arn:aws:iam::{trail.ACCOUNT}:role/admin",), 1),
        Missing("sts:AssumeRole", (f"arn:aws:iam::{trail.ACCOUNT}:role/admin",), 1),
        Missing("s3:PutBucketPolicy", ("arn:aws:s3:::b",), 1),
        Missing("ecr:PutImage", (REPO_ARN,), 1),
    )
    s = Suggestion(Who("user", "x"), 5, "t", "t", missing=asked)
    statements, left = suggest_write._grants(
        s, CATALOG, suggest_write.Place(trail.ACCOUNT, "aws", "us-east-1")
    )
    granted = {a for st in statements for a in st["Action"]}
    assert granted == {"ecr:PutImage"}
    for action in ("iam:AttachUserPolicy", "iam:PassRole", "sts:AssumeRole", "s3:PutBucketPolicy"):
        assert any(line.startswith(action) and "not granted from evidence" in line for line in left)


def test_a_role_s_sessions_count_and_a_granted_denial_is_not_proposed(
    aws: MotoServer, iam: Any, git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = seed_repo(git_repo, iam)
    _without_put_image(repo)
    session = trail.role_identity("cdk-deployer-github", "GitHubActions-run-77")
    other = trail.role_identity("cdk-deployer-github-old", "GitHubActions-run-77")
    evidence = [
        trail.denied(session, "ecr:PutImage", REPO_ARN),
        trail.denied(session, "ecr:BatchGetImage", REPO_ARN),  # ecr-push grants it
        trail.denied(other, "ecr:DeleteRepository", REPO_ARN),
        trail.record(session, "ecr", "UploadLayerPart", resources=[REPO_ARN]),
    ]
    trail.write_lookup(tmp_path / "lookup.json", evidence)
    shown = repo.run(
        "--suggest",
        "role/cdk-deployer-github",
        "--events",
        str(tmp_path / "lookup.json"),
        "--format",
        "json",
    )
    assert shown.code == 0, shown.err
    found = json.loads(shown.out)
    assert found["events"] == 3
    assert [m["action"] for m in found["missing"]] == ["ecr:PutImage"]
    (blocked,) = found["blocked"]
    assert blocked["action"] == "ecr:BatchGetImage" and "already grant it" in blocked["why"]
    assert found["used"] == ["ecr:UploadLayerPart"]
    # data events are not in this evidence: data-plane actions are "cannot tell", not unused
    unseen = [a for actions in found["unseen"].values() for a in actions]
    assert "s3:GetObject" in unseen and "s3:GetObject" not in found["unused"]


def test_hostile_text_in_the_evidence_stays_inert(
    aws: MotoServer, iam: Any, git_repo: GitRepo, tmp_path: Path
) -> None:
    """An ARN with a terminal escape or markdown in the denial is no resource: it reaches
    neither a file nor the output raw."""
    repo = seed_repo(git_repo, iam)
    _without_put_image(repo)
    hostile = REPO_ARN + "\x1b[2J"
    evil = trail.denied(USER, "ecr:PutImage", hostile)
    evil["errorMessage"] += " ](javascript:alert(1)) <script>"
    trail.write_log(tmp_path / "t" / "e.json.gz", [evil, trail.record(USER, "ecr", "x`y")])
    for form in ("text", "markdown"):
        shown = repo.run(
            "--suggest", "user/cdk-deployer", "--events", str(tmp_path / "t"), "--format", form
        )
        assert shown.code == 0, shown.err
        assert "\x1b" not in shown.out and "<script>" not in shown.out
    wrote = repo.run("--suggest", "user/cdk-deployer", "--events", str(tmp_path / "t"), "--write")
    assert wrote.code == 0, wrote.err
    assert "\\u001b" not in (repo.root / "users" / "cdk-deployer.json").read_text()
    assert "no denial named its resource" in wrote.out


def test_the_text_says_the_window_and_groups_unused_by_service_and_level(
    aws: MotoServer, iam: Any, git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = seed_repo(git_repo, iam)
    first = trail.record(USER, "ecr", "ListImages", read_only=True, when="2026-09-01T00:00:00Z")
    last = trail.record(USER, "ecs", "UpdateService", when="2026-11-29T23:00:00Z")
    trail.write_log(tmp_path / "t.json", [first, last], gz=False)
    shown = repo.run("--suggest", "user/cdk-deployer", "--events", str(tmp_path / "t.json"))
    assert shown.code == 0, shown.err
    assert "2 events from 2026-09-01T00:00:00Z to 2026-11-29T23:00:00Z" in shown.out
    assert "used in 90 days" in shown.out
    (ecr,) = [line for line in shown.out.splitlines() if line.startswith("  - ecr (")]
    assert "Write" in ecr and "ecr:PutImage" in ecr and "ecr:ListImages" not in ecr


def test_events_cloudtrail_reads_lookup_events_for_the_principal(
    aws: MotoServer, iam: Any, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--events cloudtrail: the command asks LookupEvents (moto lacks it: the reader is
    replaced at its edge, and checked with Stubber above) for the principal, 90 days."""
    from iamsync.aws import trail as lookup

    repo = seed_repo(git_repo, iam)
    _without_put_image(repo)
    asked: list[tuple[Who, int]] = []

    def events(client: Any, who: Who, since: int, err: Any) -> Any:
        asked.append((who, since))
        return iter([records.decode_event(json.dumps(r)) for r in _push_events()])

    monkeypatch.setattr(lookup, "events", events)
    shown = repo.run("--suggest", "user/cdk-deployer", "--events", "cloudtrail", "--format", "json")
    assert shown.code == 0, shown.err
    assert asked == [(Who("user", "cdk-deployer", trail.ACCOUNT, sessions=False), 90)]
    assert [m["action"] for m in json.loads(shown.out)["missing"]] == ["ecr:PutImage"]
