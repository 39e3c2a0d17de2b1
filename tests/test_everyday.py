"""The everyday path as a new user walks it: the right folder, clear causes, exit codes.

Each test here started as something a user tried on a fresh clone that went wrong:
running from a sub-folder deleted everything, a garbled endpoint printed a traceback,
Ctrl-C lost track of what had been done.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from iamsync.engine import repo
from tests.conftest import REPO_ROOT, GitRepo, MotoServer
from tests.test_loop import attached, doc, seed_repo, state


def run_in(folder: Path, *args: str) -> tuple[int, str, str]:
    """iamsync as a user runs it: from `folder`, without --repo."""
    from iamsync.cli import main

    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        code = main(list(args), stdout=out, stderr=err)
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


# -- 1. the repository is found the way Git finds its top; never an empty plan of deletions


@pytest.mark.parametrize("sub", ["users", "policies"])
def test_running_from_a_sub_folder_uses_the_repository_root(
    aws: MotoServer, iam: Any, git_repo: GitRepo, sub: str
) -> None:
    repo = seed_repo(git_repo, iam)
    assert repo.run("--apply").code == 0
    before = state(iam)
    for mode in ("--plan", "--apply"):
        code, out, err = run_in(repo.root / sub, mode)
        assert code == 0, err
        assert "No changes." in out
    assert state(iam) == before


def test_a_folder_that_is_no_repository_is_an_error_and_writes_nothing(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    repo = seed_repo(git_repo, iam)
    assert repo.run("--apply").code == 0
    before = state(iam)
    empty = git_repo.root.parent / "empty"
    empty.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=empty, check=True)
    identity = ["-c", "user.email=t@e.invalid", "-c", "user.name=t"]
    subprocess.run(
        ["git", *identity, "commit", "-q", "--allow-empty", "-m", "empty"], cwd=empty, check=True
    )
    for mode in ("--validate", "--plan", "--apply"):
        code, out, err = run_in(empty, mode)
        assert code == 1, (mode, out, err)
        assert (
            "is not in a policy repository: looked for iamsync.json, policies/, users/, "
            "groups/ or roles/" in err
        )
        assert "Traceback" not in err
    explicit = repo.run("--plan")  # sanity: the real repository still plans
    assert explicit.code == 0
    from iamsync.cli import main

    err_stream = io.StringIO()
    code = main(["--apply", "--repo", str(empty)], stdout=io.StringIO(), stderr=err_stream)
    assert code == 1
    assert (
        "is not a policy repository: it has no iamsync.json, policies/, users/, groups/ or roles/"
        in (err_stream.getvalue())
    )
    assert state(iam) == before


def test_repo_that_is_a_sub_folder_names_the_real_root(git_repo: GitRepo) -> None:
    repo = seed_repo(git_repo)
    result = repo.run("--validate")
    assert result.code == 0
    from iamsync.cli import main

    err = io.StringIO()
    code = main(["--validate", "--repo", str(repo.root / "users")], stderr=err)
    assert code == 1
    assert f"the repository is {repo.root}: use --repo {repo.root}" in err.getvalue()


def test_repo_pointing_at_a_file_says_it_is_not_a_folder(tmp_path: Path) -> None:
    from iamsync.cli import main

    file = tmp_path / "iamsync.json"
    file.write_text("{}")
    err = io.StringIO()
    assert main(["--validate", "--repo", str(file)], stderr=err) == 1
    assert err.getvalue().strip() == (
        f"iamsync: error: {file} is not a folder; --repo takes the repository's folder"
    )


def test_a_plan_that_deletes_everything_needs_the_flag(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write(
        {"iamsync.json": {}, "policies/p.json": doc("s3:GetObject"), "users/ci.json": {}}
    ).commit()
    assert git_repo.run("--apply").code == 0
    git_repo.write({"policies/p.json": None, "users/ci.json": None}).commit("empty it")
    before = state(iam)
    planned = git_repo.run("--plan", "--out", str(git_repo.root.parent / "plan.json"))
    assert planned.code == 1
    assert "- user ci" in planned.out  # the plan is shown, then refused
    assert "this plan deletes all 2 resources under /iamsync/ and creates nothing" in planned.err
    assert "Nothing was saved or applied." in planned.err  # a plan applies nothing anyway
    assert not (git_repo.root.parent / "plan.json").exists()
    applied = git_repo.run("--apply")
    assert applied.code == 1 and "pass --allow-delete-all" in applied.err
    assert state(iam) == before

    assert git_repo.run("--plan", "--allow-delete-all").code == 0
    assert git_repo.run("--apply", "--allow-delete-all").code == 0
    assert iam.list_users()["Users"] == []
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_deleting_some_but_not_all_needs_no_flag(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write({"policies/p.json": doc("s3:GetObject"), "users/ci.json": {}}).commit()
    assert git_repo.run("--apply").code == 0
    git_repo.write({"users/ci.json": None}).commit()
    assert git_repo.run("--apply").code == 0
    assert iam.list_users()["Users"] == []


# -- 2. garbled endpoints and rejected credentials: one line each


def _sync(folder: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GITHUB_"))}
    full.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_REGION": "us-east-1"})
    full.update(env)
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "sync.py"), *args],
        cwd=folder,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_endpoint_that_is_not_a_url_is_one_line(git_repo: GitRepo) -> None:
    repo = seed_repo(git_repo)
    proc = _sync(repo.root, "--plan", env={"AWS_ENDPOINT_URL": "notaurl"})
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "iamsync: error: invalid AWS endpoint 'notaurl' (AWS_ENDPOINT_URL): it must be a URL "
        "such as https://iam.amazonaws.com"
    ]


def test_an_endpoint_that_answers_html_is_one_line(git_repo: GitRepo, html_endpoint: str) -> None:
    repo = seed_repo(git_repo)
    proc = _sync(repo.root, "--plan", env={"AWS_ENDPOINT_URL": html_endpoint})
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"iamsync: error: cannot use AWS: the endpoint {html_endpoint} (AWS_ENDPOINT_URL) did "
        "not answer like an AWS API (its reply is not AWS's XML)"
    ]


# -- 7. interrupts and exit codes


@pytest.mark.parametrize(
    "args, words",
    [
        (("--validate", "--local"), "not allowed with argument"),
        (("--frobnicate",), "unknown option --frobnicate"),
        (("--validate", "--allow-delete-all"), "--allow-delete-all goes with"),
        ((), "choose one of --validate"),
    ],
)
def test_usage_errors_exit_1_not_2(args: tuple[str, ...], words: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "sync.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 1, proc.stderr
    assert words in proc.stderr


def test_help_texts_name_what_the_flags_cover() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "sync.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    flat = " ".join(proc.stdout.split())
    assert "allow uncommitted changes to the files iamsync reads (the kinds' folders" in flat
    assert "iamsync.json or a kind's folder: policies/, users/, groups/, roles/" in flat


def test_ctrl_c_during_apply_says_what_was_done_exits_130_and_the_rerun_converges(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    files: dict[str, Any] = {"policies/p.json": doc("s3:GetObject")}
    files.update({f"users/u{i:03}.json": {"policies": ["p"]} for i in range(300)})
    git_repo.write(files).commit()
    proc = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "sync.py"), "--apply", "--parallelism", "2"],
        cwd=git_repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        seen += line.startswith("  done: ")
        if seen == 40:
            proc.send_signal(signal.SIGINT)
            break
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, rest
    assert "Apply interrupted" in rest
    done = int(rest.split("Done (")[1].split(" of ")[0])
    not_done = int(rest.split("Not done (")[1].split(" calls")[0])
    assert done >= 40 and not_done > 0 and done + not_done == 601
    assert "Traceback" not in rest
    made = len(iam.list_users(MaxItems=1000)["Users"])
    assert 0 < made < 300

    again = git_repo.run("--apply")
    assert again.code == 0, again.err
    assert len(iam.list_users(MaxItems=1000)["Users"]) == 300
    assert attached(iam, "u299") == {"arn:aws:iam::123456789012:policy/iamsync/p"}
    assert "No changes." in git_repo.run("--plan").out


def test_local_mode_labels_steps_as_the_user_ran_it(tmp_path: Path) -> None:
    from iamsync.cli import commands

    saved = sys.argv[0]
    try:
        sys.argv[0] = "/usr/local/bin/iamsync"
        assert commands._step_label()("plan") == "iamsync plan"
        sys.argv[0] = "sync.py"
        assert commands._step_label()("plan") == "python sync.py --plan"
    finally:
        sys.argv[0] = saved


# -- 3. every problem once, at its cause


def _problems(root: Path) -> list[tuple[str, str, str]]:
    from iamsync.engine import validate

    return [(p.file, p.code, p.message) for p in validate.check(root).problems]


def test_an_empty_policy_names_both_missing_keys_once(write_repo: Any) -> None:
    root = write_repo({"policies/p.json": {}})
    assert [(f, c) for f, c, _ in _problems(root)] == [
        ("policies/p.json", "MISSING_KEY"),
        ("policies/p.json", "MISSING_KEY"),
    ]
    messages = {m for _, _, m in _problems(root)}
    assert messages == {'missing required key "Version"', 'missing required key "Statement"'}


def test_every_unknown_key_is_named(write_repo: Any) -> None:
    root = write_repo({"users/u.json": {"polices": ["p"], "tagz": {}}})
    assert [m for _, _, m in _problems(root)] == [
        'unknown key "polices" (did you mean "policies"?)',
        'unknown key "tagz" (did you mean "tags"?)',
    ]


def _seed(tmp_path: Path) -> Path:
    root = tmp_path / "seed"
    for folder in ("policies", "users", "roles"):
        import shutil

        shutil.copytree(REPO_ROOT / folder, root / folder)
    (root / "iamsync.json").write_text((REPO_ROOT / "iamsync.json").read_text())
    return root


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda t: t.replace('"variables"', '"variabels"'), id="typo-in-a-key"),
        pytest.param(lambda t: t.replace('"variables"', '"variables": 3, "x"'), id="bad-value"),
        pytest.param(lambda t: t.rstrip().rstrip("}"), id="invalid-json"),
        pytest.param(
            lambda t: t.replace('"path_prefix": "/iamsync/"', '"path_prefix": "iamsync"'),
            id="bad-path-prefix",
        ),
    ],
)
def test_a_broken_config_is_reported_in_the_config_only(tmp_path: Path, edit: Any) -> None:
    from iamsync.engine import validate

    root = _seed(tmp_path)
    config = root / "iamsync.json"
    config.write_text(edit(config.read_text()))
    result = validate.check(root)
    assert result.problems, "the broken config must be reported"
    assert {p.file for p in result.problems} == {"iamsync.json"}
    assert result.notes and "template variables" in result.notes[0]


def test_a_policy_that_does_not_parse_is_reported_once(tmp_path: Path) -> None:
    root = _seed(tmp_path)
    (root / "policies" / "ecr-push.json").write_text('{"Version": "2012-10-17", "Statement": [')
    found = _problems(root)
    assert [(f, c) for f, c, _ in found] == [("policies/ecr-push.json", "JSON_SYNTAX")]


# -- 4. no file is skipped in silence


def test_json_in_any_case_is_read_other_files_are_named_hidden_ones_are_not_read(
    write_repo: Any,
) -> None:
    from iamsync.engine import validate

    good = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    root = write_repo(
        {
            "policies/extra.JSON": good,
            "policies/notes.txt": "remember to ...",
            "policies/.old/extra.json": good,  # a backup copy: hidden, so not a duplicate
            "policies/.DS_Store": "x",
            "users/u.json": {"policies": ["extra"]},
        }
    )
    result = validate.check(root)
    assert result.ok
    assert set(result.values["policy"]) == {"extra"}
    assert [(p.file, p.code, p.severity) for p in result.problems] == [
        ("policies/notes.txt", "NOT_READ", "warning")
    ]
    assert "only files ending in .json are read in policies/" in result.problems[0].message
    assert result.files == 2  # extra.JSON and u.json: the files read


def test_a_symlink_is_refused_and_its_target_never_echoed(write_repo: Any, tmp_path: Path) -> None:
    secret = tmp_path / "outside.json"
    secret.write_text('{"not": "SECRET-CONTENT-1234"')
    root = write_repo({"users/ok.json": {}})
    (root / "users" / "leak.json").symlink_to(secret)
    (root / "policies").mkdir()
    (root / "policies" / "linked").symlink_to(tmp_path)  # a folder link is not entered
    found = _problems(root)
    assert [(f, c) for f, c, _ in found] == [
        ("policies/linked", "UNREADABLE"),
        ("users/leak.json", "UNREADABLE"),
    ]
    assert all("symbolic link" in m for _, _, m in found)
    assert all("SECRET-CONTENT" not in m for _, _, m in found)


def test_a_kind_folder_that_is_a_symlink_is_refused_on_disk_and_in_a_commit(
    aws: MotoServer, git_repo: GitRepo, tmp_path: Path
) -> None:
    from iamsync.files import tree

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "admin.json").write_text('{"policies": ["SECRET-NAME-1234"]}')
    git_repo.write({"policies/p.json": doc("s3:GetObject")})
    (git_repo.root / "users").symlink_to(elsewhere)
    git_repo.commit()
    on_disk = _problems(git_repo.root)
    assert [(f, c) for f, c, _ in on_disk] == [("users", "UNREADABLE")]
    committed = tree.CommitTree.of(git_repo.root, "HEAD", repo.scope())
    assert committed.files("users") == ["users"] and committed.is_link("users/admin.json")
    planned = git_repo.run("--plan")
    assert planned.code == 1
    assert planned.err.startswith("users:1:1: error: users is a symbolic link")
    assert "SECRET-NAME" not in planned.out + planned.err


def test_inside_a_git_repository_a_git_that_cannot_answer_stops_the_run(
    write_repo: Any,
) -> None:
    import io

    from iamsync.cli import main

    root = write_repo({"users/ci.json": {}, ".gitignore": "scratch.json\n"})
    (root / ".git").write_text("gitdir: ./missing-git-dir\n")  # a worktree whose git is gone
    out, err = io.StringIO(), io.StringIO()
    assert main(["--validate", "--repo", str(root)], stdout=out, stderr=err) == 1
    assert "is in a Git repository but git cannot list its files" in err.getvalue()
    (root / ".git").unlink()  # no repository at all: every visible file counts
    assert main(["--validate", "--repo", str(root)], stdout=out, stderr=err) == 0


def test_a_huge_file_is_refused_before_it_is_read(write_repo: Any) -> None:
    from iamsync.files import tree

    root = write_repo({"policies/big.json": "[" + "0," * tree.MAX_FILE_BYTES + "0]"})
    found = _problems(root)
    assert [(f, c) for f, c, _ in found] == [("policies/big.json", "UNREADABLE")]
    assert "over the 1,000,000-byte cap" in found[0][2]


def test_absurd_nesting_is_a_clean_error(write_repo: Any) -> None:
    root = write_repo({"policies/deep.json": "[" * 200_000 + "]" * 200_000})
    found = _problems(root)
    assert [(f, c) for f, c, _ in found] == [("policies/deep.json", "TOO_DEEP")]


# -- 6. plans say what changes, compactly


def test_renaming_a_policy_file_is_shown_as_a_rename_that_changes_nobodys_access(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    deploy = doc("ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart")
    git_repo.write(
        {
            "policies/push.json": deploy,
            "users/ci.json": {"policies": ["push"]},
            "users/release-bot.json": {"policies": ["push"]},
        }
    ).commit()
    assert git_repo.run("--apply").code == 0
    git_repo.write(
        {
            "policies/push.json": None,
            "policies/ecr-push.json": deploy,
            "users/ci.json": {"policies": ["ecr-push"]},
            "users/release-bot.json": {"policies": ["ecr-push"]},
        }
    ).commit("rename push to ecr-push")
    planned = git_repo.run("--plan").out
    assert "new managed policy with the same document as policy push (deleted below)" in planned
    assert "replaced by policy ecr-push, which has the same document (created above)" in planned
    assert (
        "nobody's access changes: user ci, user release-bot move from push to ecr-push" in planned
    )
    assert "access changes for" not in planned
    assert '"Statement"' not in planned  # no full document printed twice
    assert len(planned.splitlines()) < 25, planned

    assert git_repo.run("--apply").code == 0
    assert attached(iam, "ci") == {"arn:aws:iam::123456789012:policy/iamsync/ecr-push"}
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]] == ["ecr-push"]
    assert "No changes." in git_repo.run("--plan").out


def test_tag_drift_shows_the_live_value_and_the_wanted_one(
    aws: MotoServer, iam: Any, git_repo: GitRepo
) -> None:
    git_repo.write({"users/ci.json": {"tags": {"team": "platform", "cost": "7"}}}).commit()
    assert git_repo.run("--apply").code == 0
    iam.tag_user(UserName="ci", Tags=[{"Key": "team", "Value": "infra"}])
    iam.untag_user(UserName="ci", TagKeys=["cost"])
    iam.tag_user(UserName="ci", Tags=[{"Key": "extra", "Value": "x"}])
    planned = git_repo.run("--plan").out
    assert "~ tag team: 'infra' → 'platform'" in planned
    assert "+ tag cost = '7'" in planned
    assert "- tag extra (was 'x')" in planned
    assert git_repo.run("--apply").code == 0
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="ci")["Tags"]}
    assert tags["team"] == "platform" and tags["cost"] == "7" and "extra" not in tags


# -- the command line, second pass (issue 16.6) ---------------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (("--formt", "json"), "unknown option --formt (did you mean --format?)"),
        (
            ("--plan", "--allow-del"),
            "unknown option --allow-del (did you mean --allow-delete-all?)",
        ),
        (
            ("--plan", "-detailed-exitcode"),
            "iamsync's options take two dashes (--detailed-exitcode)",
        ),
    ],
)
def test_an_unknown_or_abbreviated_option_is_named_never_guessed(
    args: tuple[str, ...], words: str, tmp_path: Path
) -> None:
    from iamsync.cli import main

    out, err = io.StringIO(), io.StringIO()
    assert main([*args, "--repo", str(tmp_path)], stdout=out, stderr=err) == 1
    assert words in err.getvalue()


def test_help_names_exit_code_130_and_version_has_a_short_flag() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "sync.py"), "--help"], capture_output=True, text=True
    )
    flat = " ".join(proc.stdout.split())
    assert "130 when interrupted (Ctrl-C)" in flat and "IAMSYNC_API_LOG" in flat
    version = subprocess.run(
        [sys.executable, str(REPO_ROOT / "sync.py"), "-V"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.startswith("iamsync ")


def test_each_mode_has_its_own_help() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "sync.py"), "apply", "--help"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    assert "--plan-file" in proc.stdout and "--parallelism" in proc.stdout
    assert "--out" not in proc.stdout and "--fail-on" not in proc.stdout


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_plan_says_what_it_is_doing(
    aws: MotoServer, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain lines under GitHub Actions; one rewritten line on a terminal, cleared at the end."""
    from iamsync.cli import main

    git_repo.write({"policies/p.json": doc("s3:GetObject")}).commit()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out, err = io.StringIO(), io.StringIO()
    assert main(["--plan", "--repo", str(git_repo.root)], stdout=out, stderr=err) == 0
    said = err.getvalue().splitlines()
    assert "iamsync: reading live IAM and validating the files" in said
    assert "iamsync: reviewing access" in said
    monkeypatch.delenv("GITHUB_ACTIONS")
    terminal = _Terminal()
    assert main(["--plan", "--repo", str(git_repo.root)], stdout=out, stderr=terminal) == 0
    shown = terminal.getvalue()
    assert "\r\x1b[2Kiamsync: reviewing access…" in shown and shown.endswith("\r\x1b[2K")


def test_one_call_is_said_in_the_singular(aws: MotoServer, iam: Any, git_repo: GitRepo) -> None:
    git_repo.write({"iamsync.json": {}, "groups/deployers.json": {}}).commit()
    applied = git_repo.run("--apply")
    assert applied.code == 0, applied.err
    assert "Applying 1 call (commit " in applied.err
    assert "Apply complete: 1 call. 1 added, 0 changed, 0 destroyed." in applied.err
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["deployers"]


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("--plan", "iamsync: interrupted; nothing was changed"),
        ("--apply", "iamsync: interrupted; no IAM call had been made; nothing was changed"),
        ("--import", "iamsync: interrupted; IAM was only read; files written so far stay"),
    ],
)
def test_ctrl_c_while_reading_says_what_it_left_and_exits_130(
    aws: MotoServer,
    git_repo: GitRepo,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    said: str,
) -> None:
    from iamsync.aws import bulk
    from iamsync.cli import main

    git_repo.write({"iamsync.json": {}, "policies/p.json": doc("s3:GetObject")}).commit()

    def interrupted(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(bulk, "fetch", interrupted)
    out, err = io.StringIO(), io.StringIO()
    assert main([mode, "--repo", str(git_repo.root)], stdout=out, stderr=err) == 130
    assert err.getvalue().splitlines()[-1].startswith(said), err.getvalue()
    assert "no IAM write was in progress" not in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_the_local_server_the_readme_names_keeps_boundaries_so_a_second_plan_is_empty(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from tests.conftest import _free_port

    seed_repo(git_repo)  # the shipped iamsync.json: every user and role gets the boundary
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "iamsync.cli.local_server", "--port", str(port)],
        cwd=git_repo.root,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        said = [server.stdout.readline() for _ in range(6)]
        url = f"http://127.0.0.1:{port}"
        assert said[0].startswith(f"iamsync local IAM at {url}"), said
        assert (
            "created the required boundary arn:aws:iam::123456789012:policy/iamsync-boundary"
            in (said[1])
        )
        exports = dict(
            word.split("=", 1) for line in said if "export" in line for word in line.split()[1:]
        )
        assert exports["AWS_ENDPOINT_URL"] == url
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", "CI"):
            monkeypatch.delenv(key, raising=False)
        for key, value in exports.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        assert git_repo.run("--apply").code == 0
        again = git_repo.run("--plan", "--detailed-exitcode")
        assert again.code == 0 and "No changes" in again.out, again.out + again.err
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1")
        user = iam.get_user(UserName="cdk-deployer")["User"]
        assert user["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(
            ":policy/iamsync-boundary"
        )
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0


def test_the_local_server_refuses_a_port_in_use_in_one_line() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "iamsync.cli.local_server", "--port", str(port)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"iamsync: error: cannot listen on 127.0.0.1:{port}: " + (
        "Address already in use"
    )
