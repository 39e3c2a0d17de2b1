"""CloudTrail records, read as CloudTrail writes them (pure: files in, records out).

- a log file as CloudTrail delivers it to S3: `{"Records": [...]}`, `.json` or `.json.gz`;
- the saved output of `aws cloudtrail lookup-events`: `{"Events": [{"CloudTrailEvent":
  "<a record as a JSON string>"}, ...]}` (several pages may be concatenated in a list);
- a folder of them, read recursively in name order (CloudTrail's own layout is
  `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`).

Files are read one at a time and decoded into only the fields iamsync reads (msgspec skips
the rest without building it), so memory holds one file, never the window: a month of a
busy account is gigabytes. A file that is not CloudTrail's is one clear error naming the
file, its line and column where there is one.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec

from iamsync.core.errors import LocatedError

# Far above a CloudTrail file (CloudTrail delivers every 5 minutes, in files of at most a
# few tens of MB), small enough that a hostile gzip cannot exhaust memory.
MAX_FILE_BYTES = 512 * 1024 * 1024


class Issuer(msgspec.Struct):
    arn: str = ""
    type: str = ""
    userName: str = ""


class Session(msgspec.Struct):
    sessionIssuer: Issuer | None = None


class Identity(msgspec.Struct):
    type: str = ""  # IAMUser, AssumedRole, Root, AWSService, ...
    arn: str = ""
    accountId: str = ""
    userName: str = ""
    sessionContext: Session | None = None


class Resource(msgspec.Struct):
    ARN: str = ""
    type: str = ""


class Record(msgspec.Struct):
    """One CloudTrail event: only what suggesting reads."""

    eventTime: str = ""
    eventSource: str = ""
    eventName: str = ""
    awsRegion: str = ""
    errorCode: str | None = None
    errorMessage: str | None = None
    userIdentity: Identity | None = None
    resources: list[Resource] | None = None
    readOnly: bool | None = None
    managementEvent: bool | None = None
    eventCategory: str | None = None  # "Management", "Data", "Insight", "NetworkActivity"
    recipientAccountId: str = ""


class _Lookup(msgspec.Struct):
    CloudTrailEvent: str


class _File(msgspec.Struct):
    """A log file (Records) or a page of lookup-events output (Events)."""

    Records: list[Record] | None = None
    Events: list[_Lookup] | None = None


class EvidenceError(LocatedError):
    """A file given as evidence cannot be read as CloudTrail records."""


_FILE = msgspec.json.Decoder(_File | list[_File])
_RECORD = msgspec.json.Decoder(Record)


def files(paths: Iterable[Path]) -> list[Path]:
    """Every evidence file the paths name: files as given, folders' .json and .json.gz
    files recursively, in name order (hidden ones and links to folders are not entered)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for top, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [
                    Path(top) / n
                    for n in sorted(names)
                    if not n.startswith(".") and n.lower().endswith((".json", ".json.gz"))
                ]
        elif path.exists():
            found.append(path)
        else:
            raise EvidenceError(f"{path}:1:1: error: no such file or folder")
    return found


def read(paths: Iterable[Path]) -> Iterator[Record]:
    """The records of every evidence file, file by file."""
    for path in files(paths):
        yield from read_file(path)


def read_file(path: Path) -> list[Record]:
    data = _bytes(path)
    head = data[:256].lstrip()[:1]
    if head not in (b"{", b"["):
        raise EvidenceError(f"{path}:1:1: error: not a CloudTrail log file (no JSON object)")
    try:
        decoded = _FILE.decode(data)
    except msgspec.DecodeError as exc:
        raise EvidenceError(_where(path, data, exc)) from exc
    except RecursionError as exc:
        raise EvidenceError(f"{path}:1:1: error: {_DEEP}") from exc
    parts = decoded if isinstance(decoded, list) else [decoded]
    if not parts or any(p.Records is None and p.Events is None for p in parts):
        raise EvidenceError(
            f'{path}:1:1: error: not a CloudTrail log file (no "Records" list, and not '
            'lookup-events output: no "Events" list)'
        )
    records = [r for p in parts for r in p.Records or ()]
    events = [e for p in parts for e in p.Events or ()]
    if not events:
        return records
    out = records
    for i, event in enumerate(events):
        try:
            out.append(_RECORD.decode(event.CloudTrailEvent))
        except RecursionError as exc:
            raise EvidenceError(f"{path}:1:1: error: event {i + 1}: {_DEEP}") from exc
        except msgspec.DecodeError as exc:
            raise EvidenceError(
                f"{path}:1:1: error: event {i + 1}'s CloudTrailEvent is not a CloudTrail "
                f"record ({_short(exc)})"
            ) from exc
    return out


def decode_event(text: str) -> Record:
    """One record from LookupEvents' CloudTrailEvent string."""
    try:
        return _RECORD.decode(text)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise EvidenceError(
            "CloudTrail LookupEvents:1:1: error: an event is not a CloudTrail record "
            f"({_short(exc)})"
        ) from exc


_DEEP = "not a CloudTrail log file (JSON nested deeper than any CloudTrail record)"


def _bytes(path: Path) -> bytes:
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        else:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        broken = isinstance(exc, EOFError | zlib.error | gzip.BadGzipFile)
        what = "truncated, or not gzip" if broken else exc
        raise EvidenceError(f"{path}:1:1: error: cannot read the file ({what})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise EvidenceError(
            f"{path}:1:1: error: over {MAX_FILE_BYTES:,} bytes (decompressed): not a "
            "CloudTrail log file"
        )
    return data


def _where(path: Path, data: bytes, exc: msgspec.DecodeError) -> str:
    """FILE:LINE:COL for a decode error: msgspec names the byte of malformed JSON, or the
    path of a wrong value ("$.Records[3].eventName"), which is found in the text."""
    text = str(exc)
    offset = _byte_of(text)
    if offset is None:
        return f"{path}:1:1: error: not a CloudTrail log file: {_short(exc)}"
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    reason = "truncated" if offset >= len(data.rstrip()) else "malformed JSON"
    return f"{path}:{line}:{col}: error: not a CloudTrail log file ({reason}: {_short(exc)})"


def _byte_of(message: str) -> int | None:
    marker = "(byte "
    start = message.rfind(marker)
    if start < 0:
        return None
    digits = message[start + len(marker) :].split(")", 1)[0]
    return int(digits) if digits.isdigit() else None


def _short(exc: Exception) -> str:
    return str(exc)[:200]
