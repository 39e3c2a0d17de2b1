"""The one way iamsync asks Git anything: through GitPython, the dependency iamsync chose.

Every question a run asks (which files Git would commit, a commit's files and their bytes,
which commit a name means, whether one is an ancestor of another, HEAD) is a function
here, so how Git is run is decided once:

- only plumbing that runs no program of the repository's: the folder a user runs in is
  untrusted, and its `.git/config` could name one (`core.fsmonitor`, which `ls-files` and
  `status` run; a clean filter, which `status` runs). So every command turns fsmonitor off,
  and what is uncommitted is found by comparing bytes (`tree.differences`), not by
  `git status`;
- read-only: no command takes an optional lock or writes the index;
- bounded: a command that does not answer in two minutes is stopped;
- GitPython is imported on first use (its import costs a tenth of a second), so the pure
  layers that import files for their types load no Git library.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

Scope = tuple[str, ...]  # the paths iamsync reads: iamsync.json and the kinds' folders

TIMEOUT_SECONDS = 120
# Configuration that could make a read run a program of the repository's choosing.
_HARDENED = ("-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false")
# GIT_NO_REPLACE_OBJECTS: refs/replace/* never stand in for what a commit holds (ls-tree
# prints the stored id, cat-file would follow a replacement: apply would read other bytes)
_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1"}


class GitError(Exception):
    """Git could not answer; the message says why (git's own first line of error)."""


def work_tree_top(start: Path) -> Path | None:
    """The top of the Git work tree `start` is in (the nearest folder holding .git, a
    folder or a worktree's file), found without running git; None outside one."""
    here = start.resolve()
    return next((f for f in (here, *here.parents) if (f / ".git").exists()), None)


def run(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """git's standard output for `args`, run in `root`; GitError when it fails."""
    git = _library()
    runner = git.Git(str(root))
    with tempfile.TemporaryFile() as feed:
        feed.write(stdin or b"")
        feed.seek(0)
        try:
            status, out, err = runner.execute(
                ["git", *_HARDENED, *args],
                istream=feed if stdin is not None else None,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                strip_newline_in_stdout=False,
                kill_after_timeout=TIMEOUT_SECONDS,
                env=_ENV,
            )
        except (OSError, git.GitCommandError) as exc:  # could not start, or timed out
            raise GitError(f"git could not run: {_first_line(exc)}") from exc
    if status != 0:
        raise GitError(_first_line(err) or f"git {args[0]} failed")
    assert isinstance(out, bytes)
    return out


def listed(root: Path, scope: Scope) -> list[str]:
    """The files under `scope` that Git tracks or would add (never an ignored one)."""
    out = run(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *scope)
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def tree_records(root: Path, commit: str, scope: Scope) -> list[tuple[str, str, str, int]]:
    """(path, mode, sha, size) of every entry of `commit` under `scope`, recursively."""
    out = run(root, "ls-tree", "-r", "-z", "-l", commit, "--", *scope)
    records = []
    for record in out.decode("utf-8", "surrogateescape").split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, kind, sha, size = meta.split()
        records.append((path, mode, sha, int(size) if kind == "blob" else 0))
    return records


def blobs(root: Path, shas: list[str]) -> dict[str, bytes]:
    """The content of each blob, in one `git cat-file --batch`."""
    if not shas:
        return {}
    out = run(root, "cat-file", "--batch", stdin=("\n".join(shas) + "\n").encode())
    found, pos = {}, 0
    for sha in shas:
        header_end = out.index(b"\n", pos)
        _, _, size = out[pos:header_end].split()
        start = header_end + 1
        found[sha] = out[start : start + int(size)]
        pos = start + int(size) + 1
    return found


def resolve(root: Path, revision: str) -> str:
    """The full id of the commit `revision` names; GitError when there is none."""
    if revision.startswith("-"):  # never an option to git
        raise GitError(f"{revision!r} is not a revision")
    try:
        out = run(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except GitError as exc:
        raise GitError(f"{revision} is not a commit of this repository") from exc
    return out.decode().strip()


def is_ancestor(root: Path, commit: str, of: str = "HEAD") -> bool:
    """Whether `commit` is `of` or one of its ancestors (reachable history)."""
    try:
        run(root, "merge-base", "--is-ancestor", commit, of)
    except GitError:
        return False
    return True


def head(root: Path) -> str:
    """HEAD's id to record: "uncommitted" outside a repository or before a first commit,
    "unknown" when git cannot run."""
    try:
        return resolve(root, "HEAD")
    except GitError:
        return "unknown" if _missing() else "uncommitted"


def _library() -> Any:
    try:
        import git  # here: the pure layers import this module; GitPython loads on first use
    except ImportError as exc:  # GitPython refuses to load without a git executable
        raise GitError(f"git is not installed or cannot run ({_first_line(str(exc))})") from exc
    return git


def _missing() -> bool:
    try:
        _library()
    except GitError:
        return True
    return False


def _first_line(text: object) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0].strip() if lines else ""
