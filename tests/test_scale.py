"""What issue 19's speed work changed, held to the truth it replaced: the reply timestamps
against botocore's own parser, the identity call made alongside the bulk read."""

from __future__ import annotations

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
    assert ours == theirs
    assert (ours.tzinfo is None) == (theirs.tzinfo is None)
    if ours.tzinfo is not None:
        assert ours.utcoffset() == theirs.utcoffset()


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
