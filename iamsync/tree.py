"""What iamsync may read of a repository: which files exist, and their bytes.

Every file iamsync reads comes through a Tree, so the rules of what is read live here
once: hidden files and folders are not read; a symlink is never followed (its target may
be anywhere); a file larger than any IAM document could be is not read whole.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

# Far above anything IAM accepts (a role's inline policies total 10,240 characters; a
# managed policy 6,144), small enough that a hostile file cannot exhaust memory or time.
MAX_FILE_BYTES = 1_000_000


class Unreadable(Exception):
    """A file that is listed but must not or cannot be read; the message says why."""


@dataclass(frozen=True)
class FolderTree:
    """The files of a folder on disk."""

    root: Path

    def files(self, folder: str) -> list[str]:
        """Every visible file under `folder` (relative "/" paths, sorted); [] if none."""
        base = self.root / folder
        if not base.is_dir() or base.is_symlink():
            return []
        found = []
        for top, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel_top = Path(top).relative_to(self.root).as_posix()
            found += [f"{rel_top}/{n}" for n in names if not n.startswith(".")]
            # os.walk lists a symlink to a folder among dirs without entering it: say so.
            found += [f"{rel_top}/{d}" for d in dirs if (Path(top) / d).is_symlink()]
        return sorted(found)

    def exists(self, rel: str) -> bool:
        return os.path.lexists(self.root / rel)

    def read(self, rel: str) -> bytes:
        path = self.root / rel
        if path.is_symlink():
            raise Unreadable(_SYMLINK)
        try:
            # O_NOFOLLOW: a file swapped for a link after the check above is still refused;
            # O_NONBLOCK: a named pipe does not hang the run (it is refused just below).
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            fd = os.open(path, flags)
        except OSError as exc:
            raise Unreadable(f"cannot read the file: {exc.strerror or exc}") from exc
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise Unreadable("is not a regular file, so it was not read")
            if info.st_size > MAX_FILE_BYTES:
                raise Unreadable(_too_large(info.st_size))
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:  # grew while being read
            raise Unreadable(_too_large(len(data)))
        return data


_SYMLINK = (
    "is a symbolic link; iamsync reads only regular files inside the repository (a link "
    "may point anywhere), so it was not read"
)


def _too_large(size: int) -> str:
    return (
        f"is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte cap (no IAM document is near "
        "that size), so it was not read"
    )
