"""What Git says about the repository: the commit to record, and uncommitted edits."""

from __future__ import annotations

from pathlib import Path

from iamsync.errors import IamsyncError

WATCHED = ("policies", "users", "iamsync.json")


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


def ensure_clean(root: Path) -> None:
    """Refuse when policies/, users/ or iamsync.json differ from the HEAD commit."""
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
    scope = [str((root.resolve() / w).relative_to(top)) for w in WATCHED]
    try:
        changed = repo.git.status("--porcelain", "--untracked-files=all", "--", *scope)
    except git.GitCommandError as exc:
        raise IamsyncError(f"git status failed: {exc.stderr.strip() or exc}") from exc
    if not repo.head.is_valid():
        changed = changed or "no commit yet"
    if changed.strip():
        lines = changed.strip().splitlines()
        shown = "; ".join(line.strip() for line in lines[:5])
        more = f" (and {len(lines) - 5} more)" if len(lines) > 5 else ""
        raise DirtyTree(
            f"uncommitted changes to the repository's IAM files: {shown}{more}. --apply "
            "applies only committed content (what was reviewed); commit, or pass --allow-dirty"
        )
