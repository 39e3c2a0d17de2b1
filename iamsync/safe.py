"""Untrusted text made inert for where it is shown: one helper per destination (pure).

Text from repository files and from live IAM is data. Before it reaches a terminal or a
CI log it passes `line`; nothing else may print it raw.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def line(text: str, limit: int = 300) -> str:
    """One line for a terminal or a log: control characters escaped, long text cut."""
    shown = _CONTROL.sub(_escape, text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return named.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
