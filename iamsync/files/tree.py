"""What iamsync may read of a repository: which files exist, and their bytes.

Every file iamsync reads comes through a Tree, so the rules of what is read live here
once: only what Git would commit (never a git-ignored file); hidden files and folders
are not read; a symlink is never followed (its target may be anywhere); a file larger
than any IAM document could be is not read whole.

- `working(root)`: the files on disk that Git tracks or would add (validate, plan);
- `CommitTree(root, commit)`: exactly the files of a commit (apply);
- `differences(working, head)`: what is uncommitted, byte for byte (`clean_head`,
  `committed`).

Git is asked through `files/git.py`, the one adapter.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from iamsync.core.errors import IamsyncError
from iamsync.files import git
from iamsync.files.git import GitError, Scope

# Far above anything IAM accepts (a role's inline policies total 10,240 characters; a
# managed policy 6,144), small enough that a hostile file cannot exhaust memory or time.
MAX_FILE_BYTES = 1_000_000
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class Unreadable(Exception):
    """A file that is listed but must not or cannot be read; the message says why."""


@dataclass(frozen=True)
class FolderTree:
    """The files of a folder on disk; with `listed`, only those (what Git would commit)."""

    root: Path
    listed: frozenset[str] | None = None  # None: not in Git, every visible file counts
    label: str = "the working tree"
    # What was read, by path: a run reads each file once (iamsync.json is needed to pick
    # the target before the full check) and sees one snapshot of it.
    _read: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    _links: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

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
        parts = rel.split("/")
        folders = ("/".join(parts[:i]) for i in range(1, len(parts)))
        return any(self._folder_is_link(f) for f in folders) or _is_symlink(f"{self.root}/{rel}")

    def _folder_is_link(self, rel: str) -> bool:
        """is_link for a folder, asked once a run (a kind's folder holds thousands of files)."""
        found = self._links.get(rel)
        if found is None:
            found = self._links[rel] = _is_symlink(f"{self.root}/{rel}")
        return found

    def read(self, rel: str) -> bytes:
        if rel not in self._read:
            self._read[rel] = self._read_once(rel)
        return self._read[rel]

    def _read_once(self, rel: str) -> bytes:
        path = f"{self.root}/{rel}"
        if not _NOFOLLOW and _is_symlink(path):
            raise Unreadable(SYMLINK_REFUSED)
        try:
            # O_NOFOLLOW: a link is refused by the open itself (no check before it that a
            # swap could outrun); O_NONBLOCK: a named pipe does not hang the run (it is
            # refused just below).
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            if _is_symlink(path):  # ELOOP on Linux and macOS, EMLINK on FreeBSD
                raise Unreadable(SYMLINK_REFUSED) from exc
            raise Unreadable(f"cannot read the file: {exc.strerror or exc}") from exc
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise Unreadable("is not a regular file, so it was not read")
            if info.st_size > MAX_FILE_BYTES:
                raise Unreadable(_too_large(info.st_size))
            # its size and one byte more: a buffer of the bound for each file costs more
            # than reading it (measured: 30 us of a 1 KB file's 60)
            data = _read_fd(fd, info.st_size + 1)
            if len(data) > info.st_size:  # it grew since: read on, to the bound
                data += _read_fd(fd, MAX_FILE_BYTES + 1 - len(data))
        finally:
            os.close(fd)
        if len(data) > MAX_FILE_BYTES:  # grew while being read
            raise Unreadable(_too_large(len(data)))
        return data


def _read_fd(fd: int, size: int) -> bytes:
    """Up to `size` bytes of an open file: a file object would cost a terminal check and a
    seek of each of thousands of files."""
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _is_symlink(path: str) -> bool:
    """Path.is_symlink without a Path: making one costs more than the lstat (measured: a
    third of a 2,000-file load went to pathlib)."""
    return os.path.islink(path)  # noqa: PTH114


def working(root: Path, scope: Scope) -> FolderTree:
    """The working tree as Git would commit it: tracked and untracked files, not ignored ones.

    Outside a Git repository, every visible file counts. Inside one, a git that cannot
    answer (not installed, "dubious ownership") stops the run: reading every file instead
    would count ignored ones that no commit holds.
    """
    if git.work_tree_top(root) is None and "GIT_DIR" not in os.environ:
        return FolderTree(root)  # not in Git: nothing to ask it
    try:
        listed = git.listed(root, scope)
    except GitError as exc:
        if git.work_tree_top(root) is None:
            return FolderTree(root)
        raise IamsyncError(
            f"{root} is in a Git repository but git cannot list its files ({exc}); fix git "
            "(for a checkout owned by another user: git config --global --add safe.directory "
            "PATH), so ignored files are not read as if they were committed"
        ) from exc
    return FolderTree(root, frozenset(p for p in listed if _in_scope(p, scope)))


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
        commit = git.resolve(root, revision)
        records = git.tree_records(root, commit, scope)
        return cls(
            root, commit, {path: _Entry(mode, sha, size) for path, mode, sha, size in records}
        )

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
        entry = self._readable(rel)
        if not self._blobs:
            self._blobs.update(self._read_all())
        return self._blobs[entry.sha]

    def blob_id(self, rel: str) -> str:
        """Git's id of the file's bytes, known without reading them; Unreadable as read()."""
        return self._readable(rel).sha

    def _readable(self, rel: str) -> _Entry:
        entry = self.entries.get(rel)
        if entry is None:
            raise Unreadable(f"is not in {self.label}")
        if entry.mode == "120000":
            raise Unreadable(SYMLINK_REFUSED)
        if entry.mode not in ("100644", "100755"):
            raise Unreadable("is not a regular file, so it was not read")
        if entry.size > MAX_FILE_BYTES:
            raise Unreadable(_too_large(entry.size))
        return entry

    def _read_all(self) -> dict[str, bytes]:
        """Every readable blob of the tree, in one read."""
        wanted = {
            e.sha
            for e in self.entries.values()
            if e.mode in ("100644", "100755") and e.size <= MAX_FILE_BYTES
        }
        return git.blobs(self.root, sorted(wanted))


Tree = FolderTree | CommitTree


class DirtyTree(IamsyncError):
    """--apply refused: what would be applied is not what was committed and reviewed."""


def differences(working: FolderTree, head: CommitTree) -> list[str]:
    """What differs between the files iamsync reads on disk and the same files in `head`:
    one line per file ("modified policies/a.json"), [] when they are byte for byte the same.

    Bytes as iamsync reads them, not `git status`: status would run programs the
    repository's configuration names (a clean filter), and a file a filter rewrites is
    read by iamsync as it is on disk. Each file's bytes are hashed as Git names a blob
    and the name compared with the commit's, so the commit's blobs are not read (measured:
    0.2 s of a plan at 2,000 files, most of it git's own CPU).
    """
    on_disk = working.listed if working.listed is not None else frozenset()
    lines = []
    for rel in sorted(on_disk | head.entries.keys()):
        if rel not in head.entries:
            lines.append(f"new {rel}")
        elif not working.exists(rel):
            lines.append(f"deleted {rel}")
        elif _on_disk(working, rel, head) != _committed(head, rel):
            lines.append(f"modified {rel}")
    return lines


def _on_disk(working: FolderTree, rel: str, head: CommitTree) -> str:
    """The Git id of the file's bytes (in `head`'s hash: SHA-1, or SHA-256 in a repository
    made with it), or why it cannot be read (a link in both is the same link)."""
    try:
        data = working.read(rel)
    except Unreadable as exc:
        return str(exc)
    algorithm = hashlib.sha256 if len(head.entries[rel].sha) == 64 else hashlib.sha1
    return algorithm(b"blob %d\0" % len(data) + data).hexdigest()


def _committed(head: CommitTree, rel: str) -> str:
    try:
        return head.blob_id(rel)
    except Unreadable as exc:
        return str(exc)


def committed(working: FolderTree, scope: Scope) -> str:
    """HEAD's id when the files iamsync reads are exactly HEAD's, else "" (the plan then
    records no commit: no commit holds what it reviewed)."""
    if working.listed is None:
        return ""
    try:
        head = CommitTree.of(working.root, "HEAD", scope)
    except GitError:
        return ""
    return "" if differences(working, head) else head.commit


def clean_head(working: FolderTree, scope: Scope) -> CommitTree:
    """HEAD's files, when what iamsync reads on disk (its config, the kinds' folders, the
    bootstrap policies) is exactly them; DirtyTree otherwise (edits, no commit, no Git)."""
    if working.listed is None:
        raise DirtyTree(
            f"{working.root} is not in a Git repository, so what would be applied was never "
            "reviewed; commit it first, or pass --allow-dirty"
        )
    try:
        head = CommitTree.of(working.root, "HEAD", scope)
    except GitError:
        changed = ["no commit yet (HEAD names no commit)"]
    else:
        changed = differences(working, head)
    if changed:
        shown = "; ".join(changed[:5])
        more = f" (and {len(changed) - 5} more)" if len(changed) > 5 else ""
        raise DirtyTree(
            f"uncommitted changes to the repository's IAM files: {shown}{more}. --apply "
            "applies only committed content (what was reviewed); commit, or pass --allow-dirty"
        )
    return head


def _in_scope(path: str, scope: Scope) -> bool:
    return any(path == s or path.startswith(s + "/") for s in scope)


SYMLINK_REFUSED = (
    "is a symbolic link; iamsync reads only regular files inside the repository (a link "
    "may point anywhere), so it was not read"
)


def _too_large(size: int) -> str:
    return (
        f"is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte cap (no IAM document is near "
        "that size), so it was not read"
    )
