"""CloudTrail's LookupEvents: a principal's management events of the last days, read at
the rate CloudTrail allows (2 calls per second per account and region), with progress.

LookupEvents returns management events only, never data events: suggest says so rather
than calling data-plane actions unused.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from iamsync.core import safe
from iamsync.core.errors import IamsyncError
from iamsync.evidence.events import Who, lookup_attributes
from iamsync.evidence.records import Record, decode_event

CALLS_PER_SECOND = 2  # LookupEvents' quota per account and region
THROTTLED = ("ThrottlingException", "Throttling", "TooManyRequestsException")
RETRIES = 6


def lookup(connection: Any, who: Who, since_days: int, err: TextIO) -> Iterator[Record]:
    client = connection.client("cloudtrail")
    return events(client, who, since_days, err)


def events(
    client: Any,
    who: Who,
    since_days: int,
    err: TextIO,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Record]:
    """Every event of the window, page by page; never faster than the quota."""
    end = now()
    params: dict[str, Any] = {
        "StartTime": end - timedelta(days=since_days),
        "EndTime": end,
        "MaxResults": 50,
    }
    attributes = lookup_attributes(who)
    if attributes:
        params["LookupAttributes"] = attributes
    gap = 1.0 / CALLS_PER_SECOND
    last = -gap
    pages = count = 0
    token = ""
    while True:
        wait = last + gap - clock()
        if wait > 0:
            sleep(wait)
        last = clock()
        page = _page(client, {**params, **({"NextToken": token} if token else {})}, sleep)
        pages += 1
        for event in page.get("Events", []):
            text = event.get("CloudTrailEvent")
            if isinstance(text, str):
                count += 1
                yield decode_event(text)
        if pages % 20 == 0:
            print(f"iamsync: read {count:,} events ({pages} LookupEvents calls)…", file=err)
        token = page.get("NextToken") or ""
        if not token:
            break
    print(
        safe.line(
            f"iamsync: read {count:,} events of the last {since_days} days "
            f"({pages} LookupEvents call{'s' if pages != 1 else ''})"
        ),
        file=err,
    )


def _page(client: Any, params: dict[str, Any], sleep: Callable[[float], None]) -> Any:
    delay = 1.0
    for attempt in range(RETRIES + 1):
        try:
            return client.lookup_events(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in THROTTLED and attempt < RETRIES:
                sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            raise IamsyncError(
                f"CloudTrail LookupEvents failed ({code}: "
                f"{exc.response.get('Error', {}).get('Message', '')})"
            ) from exc
        except BotoCoreError as exc:
            raise IamsyncError(f"CloudTrail LookupEvents failed: {exc}") from exc
    raise IamsyncError("CloudTrail LookupEvents stayed throttled")  # pragma: no cover
