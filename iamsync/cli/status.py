"""Exit codes (contract)."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1  # invalid files, AWS error, refused apply
    CHANGES = 2  # --plan --detailed-exitcode: live IAM differs from Git
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it
