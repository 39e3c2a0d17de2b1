"""What Git says about the repository: the commit to record, and uncommitted edits."""

from __future__ import annotations

from pathlib import Path

from iamsync.core.errors import IamsyncError
from iamsync.files.tree import Scope


class DirtyTree(IamsyncError):
    """--apply refused: what would be applied is not what was committed and reviewed."""


def commit(root: Path) -> str:
    """HEAD's id; "uncommitted" outside a repository or before a first commit."""
    try:
        import git  # imported when needed: it costs a tenth of a second at start-up
    except ImportError:  # GitPython refuses to load without a git executable
        return "unknown"
    try:
        return str(git.Repo(root, search_parent_directories=True).head.commit.hexsha)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return "uncommitted"


def committed(root: Path, scope: Scope) -> str:
    """HEAD's id when iamsync's files are exactly HEAD's (nothing to commit), else ""."""
    try:
        changes = _changes(root, scope)
    except IamsyncError:
        return ""
    return "" if changes else commit(root)


def ensure_clean(root: Path, scope: Scope) -> None:
    """Refuse when what iamsync reads (the kinds' folders, iamsync.json, the bootstrap
    policies) differs from the HEAD commit."""
    changed = _changes(root, scope)
    if changed:
        shown = "; ".join(line.strip() for line in changed[:5])
        more = f" (and {len(changed) - 5} more)" if len(changed) > 5 else ""
        raise DirtyTree(
            f"uncommitted changes to the repository's IAM files: {shown}{more}. --apply "
            "applies only committed content (what was reviewed); commit, or pass --allow-dirty"
        )


def _changes(root: Path, watched: Scope) -> list[str]:
    """`git status` lines for iamsync's files (untracked ones included, ignored ones not)."""
    try:
        import git
    except ImportError as exc:  # GitPython refuses to load without a git executable
        raise IamsyncError(f"git is needed to check what is committed: {exc}") from exc
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise DirtyTree(
            f"{root} is not in a Git repository, so what would be applied was never "
            "reviewed; commit it first, or pass --allow-dirty"
        ) from exc
    top = Path(str(repo.working_tree_dir)).resolve()
    scope = [str((root.resolve() / w).relative_to(top)) for w in watched]
    try:
        changed = repo.git.status("--porcelain", "--untracked-files=all", "--", *scope)
    except git.GitCommandError as exc:
        raise IamsyncError(f"git status failed: {exc.stderr.strip() or exc}") from exc
    if not repo.head.is_valid():
        changed = changed or "no commit yet"
    return changed.strip().splitlines() if changed.strip() else []
