"""The one Git adapter (files/git.py) and what is uncommitted (files/tree.differences).

The folder a user runs in is untrusted: its .git/config is not part of any commit, so a
reviewer never sees it, and it can name programs git runs while answering ordinary
questions. iamsync asks git only what runs none of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from iamsync.files import git, tree
from tests.conftest import REPO_ROOT, GitRepo, MotoServer

DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def _booby_trap(repo: GitRepo) -> Path:
    """Configure the programs a hostile checkout can make git run; returns the file each
    of them creates when run."""
    marker = repo.root / ".git" / "RAN"
    script = repo.root / ".git" / "hook.sh"
    script.write_text(f'#!/bin/sh\necho ran >> "{marker}"\ncat\n')
    script.chmod(0o755)
    repo._git("config", "core.fsmonitor", str(script))
    repo._git("config", "filter.trap.clean", str(script))
    repo._git("config", "filter.trap.smudge", str(script))
    (repo.root / ".git" / "info").mkdir(exist_ok=True)
    (repo.root / ".git" / "info" / "attributes").write_text("* filter=trap\n")
    return marker


def test_a_hostile_git_config_runs_no_program(aws: MotoServer, iam: Any, git_repo: GitRepo) -> None:
    git_repo.write({"policies/p.json": DOC}).commit()
    marker = _booby_trap(git_repo)
    # The trap is live: plain `git status` runs it (so this test can fail).
    (git_repo.root / "policies" / "p.json").touch()
    git_repo._git("status", "--porcelain")
    assert marker.exists()
    marker.unlink()

    assert git_repo.run("--validate").code == 0
    assert git_repo.run("--plan").code == 0
    assert git_repo.run("--apply").code == 0
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]] == ["p"]
    assert not marker.exists(), "a program named by .git/config ran"


def test_uncommitted_means_bytes_differ_from_head(git_repo: GitRepo) -> None:
    scope = ("iamsync.json", "policies")
    git_repo.write({"policies/a.json": DOC, "policies/b.json": DOC, "policies/c.json": DOC})
    git_repo.commit()
    working = tree.working(git_repo.root, scope)
    head = tree.clean_head(working, scope)
    assert head.commit == git_repo.head()
    assert tree.committed(working, scope) == git_repo.head()

    (git_repo.root / "policies" / "a.json").touch()  # same bytes, newer time: still clean
    git_repo.write({"policies/b.json": {**DOC, "Id": "x"}, "policies/c.json": None})
    git_repo.write({"policies/d.json": DOC, "notes/e.json": DOC})  # notes/: not read
    (git_repo.root / ".gitignore").write_text("policies/ignored.json\n")
    git_repo.write({"policies/ignored.json": DOC})
    working = tree.working(git_repo.root, scope)
    assert tree.differences(working, head) == [
        "modified policies/b.json",
        "deleted policies/c.json",
        "new policies/d.json",
    ]
    assert tree.committed(working, scope) == ""
    with pytest.raises(tree.DirtyTree, match=r"modified policies/b\.json; deleted"):
        tree.clean_head(working, scope)


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_uncommitted_is_found_by_blob_id_in_either_hash(tmp_path: Path, object_format: str) -> None:
    """What is uncommitted is found by naming each file's bytes as Git names a blob (the
    commit's blobs are not read): the names agree with git's own in a SHA-1 and a SHA-256
    repository, and one byte changed, the size kept, is a modified file."""
    root = tmp_path / object_format
    root.mkdir()
    repo = GitRepo(root)
    subprocess.run(["git", "init", "-q", f"--object-format={object_format}"], cwd=root, check=True)
    repo._git("config", "user.email", "test@example.invalid")
    repo._git("config", "user.name", "test")
    scope = ("policies",)
    repo.write({"policies/a.json": DOC, "policies/b.json": '{"x": "\u00e9"}\r\n'}).commit()
    working = tree.working(root, scope)
    for rel in ("policies/a.json", "policies/b.json"):
        assert tree._on_disk(working, rel, tree.CommitTree.of(root, "HEAD", scope)) == (
            repo._git("hash-object", rel).strip()
        )
    assert tree.committed(working, scope) == repo.head()
    text = (root / "policies" / "a.json").read_text()
    (root / "policies" / "a.json").write_text(text.replace("Allow", "Allox"))
    working = tree.working(root, scope)
    assert tree.differences(working, tree.CommitTree.of(root, "HEAD", scope)) == [
        "modified policies/a.json"
    ]
    assert tree.committed(working, scope) == ""


def test_a_replace_ref_never_stands_in_for_a_committed_file(git_repo: GitRepo) -> None:
    """refs/replace/* (a fetch of refs/* can bring one) would make cat-file give other
    bytes than the blob ls-tree names: what is compared and what is applied are the
    commit's own."""
    scope = ("policies",)
    git_repo.write({"policies/a.json": DOC}).commit()
    blob = git_repo._git("rev-parse", "HEAD:policies/a.json").strip()
    evil = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=git_repo.root,
        input='{"EVIL": 1}\n',
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    git_repo._git("replace", blob, evil)
    working = tree.working(git_repo.root, scope)
    head = tree.clean_head(working, scope)
    assert head.read("policies/a.json") == (git_repo.root / "policies" / "a.json").read_bytes()


def test_no_commit_yet_and_no_git_repository_are_dirty(git_repo: GitRepo, tmp_path: Path) -> None:
    scope = ("policies",)
    git_repo.write({"policies/a.json": DOC})
    with pytest.raises(tree.DirtyTree, match="no commit yet"):
        tree.clean_head(tree.working(git_repo.root, scope), scope)
    plain = tmp_path / "plain"
    (plain / "policies").mkdir(parents=True)
    with pytest.raises(tree.DirtyTree, match="not in a Git repository"):
        tree.clean_head(tree.working(plain, scope), scope)
    assert git.head(plain) == "uncommitted"


def test_git_errors_are_git_s_first_line(git_repo: GitRepo) -> None:
    with pytest.raises(git.GitError, match="is not a commit of this repository"):
        git.resolve(git_repo.root, "no-such-branch")
    with pytest.raises(git.GitError, match="is not a revision"):
        git.resolve(git_repo.root, "--output=/tmp/x")
    with pytest.raises(git.GitError, match=r"^fatal: "):
        git.run(git_repo.root, "cat-file", "-p", "0" * 40)


def test_without_git_installed(git_repo: GitRepo, tmp_path: Path) -> None:
    """No git executable: outside a work tree every file counts; inside one, the run stops
    (reading every file would read ignored ones)."""
    git_repo.write({"policies/p.json": DOC}).commit()
    plain = tmp_path / "plain"
    (plain / "policies").mkdir(parents=True)
    (plain / "policies" / "p.json").write_text(json.dumps(DOC))
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "PYTHONPATH": str(REPO_ROOT), "HOME": str(tmp_path)}
    for folder, code, said in (
        (plain, 0, ""),
        (git_repo.root, 1, "is in a Git repository but git cannot list its files"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "iamsync", "--validate", "--repo", str(folder)],
            capture_output=True,
            text=True,
            env={**env, "SYSTEMROOT": os.environ.get("SYSTEMROOT", "")},
            timeout=120,
        )
        assert proc.returncode == code, proc.stderr
        assert said in proc.stderr and "Traceback" not in proc.stderr
