"""Architecture holds: pure stages import no AWS, Git or terminal library; local mode runs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def _pure_modules() -> list[str]:
    """The pure layers, as the import-linter contract in pyproject.toml names them."""
    import tomllib

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (forbidden,) = [c for c in config["contracts"] if c["type"] == "forbidden"]
    found = []
    for name in forbidden["source_modules"]:
        folder = REPO_ROOT / Path(*name.split("."))
        if folder.is_dir():  # a package: every module in it
            found += [
                ".".join(p.relative_to(REPO_ROOT).with_suffix("").parts)
                for p in sorted(folder.rglob("*.py"))
                if p.name != "__init__.py"
            ]
        else:
            found.append(name)
    return found


PURE = _pure_modules()
FORBIDDEN = ["boto3", "botocore", "git", "rich", "subprocess"]


@pytest.mark.parametrize("module", PURE)
def test_pure_stage_imports_no_side_effecting_library(module: str) -> None:
    probe = f"import sys, {module}; print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    ).stdout.strip()
    assert found == "", f"{module} pulls in {found}"


def test_the_layer_contracts_hold() -> None:
    """lint-imports: each layer imports only layers below it; the pure ones no I/O library."""
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run(
        [str(lint), "--no-cache"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "2 kept, 0 broken" in proc.stdout


def test_readme_first_command_runs_the_whole_loop_locally() -> None:
    """`python sync.py --local`: validate, plan, apply, plan again, on an embedded moto."""
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "sync.py"), "--local", "--repo", str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for step in ("1. validate", "2. plan", "3. apply", "4. plan again"):
        assert step in out
    assert "Plan: 6 to add, 0 to change, 0 to destroy." in out
    assert "Apply complete: 18 calls." in out
    assert out.count("No changes. Live IAM matches the repository.") == 1
    assert "http://127.0.0.1:" in out


def test_wheel_carries_the_schemas_for_use_outside_this_repository(tmp_path: Path) -> None:
    """pre-commit and pip install the wheel: the schemas must travel inside the package."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(REPO_ROOT),
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("iamsync-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"iamsync/schema/{kind}.schema.json" for kind in ("policy", "user", "config")} <= names
    assert "iamsync/cli/__init__.py" in names
    # data files the code reads through importlib.resources
    assert {"iamsync/access/passes_role.txt", "iamsync/iam/action_names.txt.gz"} <= names


def test_validate_loads_no_aws_or_terminal_library() -> None:
    """--validate is offline and fast: start-up must not pay for boto3 or rich.

    (It asks Git which files it would commit, through GitPython, the one Git adapter.)
    """
    forbidden = [m for m in FORBIDDEN if m not in ("subprocess", "git")]
    probe = (
        "import io, sys; from iamsync.cli import main; "
        f"code = main(['--validate', '--repo', {str(REPO_ROOT)!r}], stdout=io.StringIO(), "
        "stderr=io.StringIO()); "
        f"print(code, ','.join(m for m in {forbidden!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    ).stdout.split()
    assert out == ["0"], f"exit code and loaded libraries: {out}"


def test_git_reads_cover_every_kind_folder() -> None:
    from iamsync import kinds
    from iamsync.engine import repo

    assert set(repo.scope()) == {
        "iamsync.json",
        "bootstrap/policies",
        "targets",  # targets/<target>/<kind>/: one target's own files
        *(k.folder for k in kinds.registered()),
    }
