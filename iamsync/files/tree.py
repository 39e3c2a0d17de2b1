"""What iamsync may read of a repository: which files exist, and their bytes.

Every file iamsync reads comes through a Tree, so the rules of what is read live here
once: only what Git would commit (never a git-ignored file); hidden files and folders
are not read; a symlink is never followed (its target may be anywhere); a file larger
than any IAM document could be is not read whole.

- `working(root)`: the files on disk that Git tracks or would add (validate, plan);
- `CommitTree(root, commit)`: exactly the files of a commit (apply).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from iamsync.core.errors import IamsyncError

# Far above anything IAM accepts (a role's inline policies total 10,240 characters; a
# managed policy 6,144), small enough that a hostile file cannot exhaust memory or time.
MAX_FILE_BYTES = 1_000_000
# Where iamsync reads: the config and each kind's folder (relative to the repository);
# tests/test_layers.py holds it equal to the registered kinds' folders.
Scope = tuple[str, ...]  # the paths iamsync reads: iamsync.json and the kinds' folders


class Unreadable(Exception):
    """A file that is listed but must not or cannot be read; the message says why."""


class GitError(Exception):
    """Git could not answer; the message says why."""


@dataclass(frozen=True)
class FolderTree:
    """The files of a folder on disk; with `listed`, only those (what Git would commit)."""

    root: Path
    listed: frozenset[str] | None = None  # None: not in Git, every visible file counts
    label: str = "the working tree"
    # What was read, by path: a run reads each file once (iamsync.json is needed to pick
    # the target before the full check) and sees one snapshot of it.
    _read: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def files(self, folder: str) -> list[str]:
        """Every visible entry under `folder` (relative "/" paths, sorted); [] if none.

        A folder that is a link, or reached through one, is listed itself: is_link() says
        so, and the loader refuses it (its files may be anywhere).
        """
        base = self.root / folder
        if self.is_link(folder):
            return [folder]
        if not base.is_dir():
            return []
        found = []
        for top, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel_top = Path(top).relative_to(self.root).as_posix()
            found += [f"{rel_top}/{n}" for n in names if not n.startswith(".")]
            # os.walk lists a symlink to a folder among dirs without entering it: say so.
            found += [f"{rel_top}/{d}" for d in dirs if (Path(top) / d).is_symlink()]
        return sorted(found)

    def ignored(self, rel: str) -> bool:
        """Git would not commit it (.gitignore and friends): never read."""
        return self.listed is not None and rel not in self.listed

    def exists(self, rel: str) -> bool:
        return os.path.lexists(self.root / rel) and not self.ignored(rel)

    def is_link(self, rel: str) -> bool:
        """Whether `rel`, or a folder on the way to it, is a symbolic link."""
        parts = Path(rel).parts
        return any(self.root.joinpath(*parts[:i]).is_symlink() for i in range(1, len(parts) + 1))

    def read(self, rel: str) -> bytes:
        if rel not in self._read:
            self._read[rel] = self._read_once(rel)
        return self._read[rel]

    def _read_once(self, rel: str) -> bytes:
        path = self.root / rel
        if path.is_symlink():
            raise Unreadable(SYMLINK_REFUSED)
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


def working(root: Path, scope: Scope) -> FolderTree:
    """The working tree as Git would commit it: tracked and untracked files, not ignored ones.

    Outside a Git repository, every visible file counts. Inside one, a git that cannot
    answer (not installed, "dubious ownership") stops the run: reading every file instead
    would count ignored ones that no commit holds.
    """
    try:
        out = _git(
            root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *scope
        )
    except GitError as exc:
        if not _in_git_work_tree(root):
            return FolderTree(root)
        raise IamsyncError(
            f"{root} is in a Git repository but git cannot list its files ({exc}); fix git "
            "(for a checkout owned by another user: git config --global --add safe.directory "
            "PATH), so ignored files are not read as if they were committed"
        ) from exc
    in_scope = (p for p in out.decode("utf-8", "surrogateescape").split("\0") if p)
    return FolderTree(root, frozenset(p for p in in_scope if _in_scope(p, scope)))


def _in_git_work_tree(root: Path) -> bool:
    """Whether `root` or a folder above it holds .git (a folder, or a worktree's file)."""
    here = root.resolve()
    return any((folder / ".git").exists() for folder in (here, *here.parents))


@dataclass(frozen=True)
class _Entry:
    mode: str  # "100644" a file, "100755" executable, "120000" a symlink, "160000" submodule
    sha: str
    size: int


@dataclass(frozen=True)
class CommitTree:
    """Exactly the files of one commit, read from Git's objects (the disk is not consulted)."""

    root: Path
    commit: str  # full id
    entries: dict[str, _Entry] = field(default_factory=dict)
    _blobs: dict[str, bytes] = field(default_factory=dict, repr=False)  # sha -> content

    @property
    def label(self) -> str:
        return f"commit {self.commit[:12]}"

    @classmethod
    def of(cls, root: Path, revision: str, scope: Scope) -> CommitTree:
        """The tree of `revision`; GitError when it is not a commit of this repository."""
        commit = resolve(root, revision)
        out = _git(root, "ls-tree", "-r", "-z", "-l", commit, "--", *scope)
        entries = {}
        for record in out.decode("utf-8", "surrogateescape").split("\0"):
            if not record:
                continue
            meta, _, path = record.partition("\t")
            mode, kind, sha, size = meta.split()
            entries[path] = _Entry(mode, sha, int(size) if kind == "blob" else 0)
        return cls(root, commit, entries)

    def files(self, folder: str) -> list[str]:
        if self.is_link(folder):
            return [folder]
        prefix = folder.rstrip("/") + "/"
        return sorted(
            p
            for p in self.entries
            if p.startswith(prefix) and not any(part.startswith(".") for part in p.split("/"))
        )

    def ignored(self, rel: str) -> bool:
        return False  # a commit holds only what was committed

    def exists(self, rel: str) -> bool:
        return rel in self.entries

    def is_link(self, rel: str) -> bool:
        """Whether `rel`, or a folder on the way to it, is a symbolic link in the commit."""
        parts = rel.split("/")
        return any(
            (entry := self.entries.get("/".join(parts[:i]))) is not None and entry.mode == "120000"
            for i in range(1, len(parts) + 1)
        )

    def read(self, rel: str) -> bytes:
        entry = self.entries.get(rel)
        if entry is None:
            raise Unreadable(f"is not in {self.label}")
        if entry.mode == "120000":
            raise Unreadable(SYMLINK_REFUSED)
        if entry.mode not in ("100644", "100755"):
            raise Unreadable("is not a regular file, so it was not read")
        if entry.size > MAX_FILE_BYTES:
            raise Unreadable(_too_large(entry.size))
        if not self._blobs:
            self._blobs.update(self._read_all())
        return self._blobs[entry.sha]

    def _read_all(self) -> dict[str, bytes]:
        """Every readable blob of the tree, in one `git cat-file --batch`."""
        wanted = sorted(
            {
                e.sha
                for e in self.entries.values()
                if e.mode in ("100644", "100755") and e.size <= MAX_FILE_BYTES
            }
        )
        out = _git(self.root, "cat-file", "--batch", stdin="\n".join(wanted) + "\n")
        blobs, pos = {}, 0
        for sha in wanted:
            header_end = out.index(b"\n", pos)
            _, _, size = out[pos:header_end].split()
            start = header_end + 1
            blobs[sha] = out[start : start + int(size)]
            pos = start + int(size) + 1
        return blobs


def resolve(root: Path, revision: str) -> str:
    """The full id of the commit `revision` names; GitError when there is none."""
    if revision.startswith("-"):  # never an option to git
        raise GitError(f"{revision!r} is not a revision")
    try:
        out = _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except GitError as exc:
        raise GitError(f"{revision} is not a commit of this repository") from exc
    return out.decode().strip()


def is_ancestor(root: Path, commit: str, of: str = "HEAD") -> bool:
    """Whether `commit` is `of` or one of its ancestors (reachable history)."""
    try:
        _git(root, "merge-base", "--is-ancestor", commit, of)
    except GitError:
        return False
    return True


Tree = FolderTree | CommitTree


def _in_scope(path: str, scope: Scope) -> bool:
    return any(path == s or path.startswith(s + "/") for s in scope)


def _git(root: Path, *args: str, stdin: str | None = None) -> bytes:
    import subprocess  # here: the pure stages import this module for its types and rules

    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git could not run: {exc}") from exc
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(reason[0] if reason else f"git {args[0]} failed")
    return proc.stdout


SYMLINK_REFUSED = (
    "is a symbolic link; iamsync reads only regular files inside the repository (a link "
    "may point anywhere), so it was not read"
)


def _too_large(size: int) -> str:
    return (
        f"is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte cap (no IAM document is near "
        "that size), so it was not read"
    )
