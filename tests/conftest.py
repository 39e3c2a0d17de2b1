"""Shared fixtures: throw-away policy repositories written from dicts of file texts."""

from __future__ import annotations

import http.server
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

GOOD_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::bucket/*",
        }
    ],
}

WriteRepo = Callable[[dict[str, Any]], Path]


@pytest.fixture
def write_repo(tmp_path: Path) -> WriteRepo:
    """Write {relative path: text-or-JSON-value} into a fresh repository folder."""

    def write(files: dict[str, Any]) -> Path:
        for rel, content in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            elif isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_text(json.dumps(content, indent=2), encoding="utf-8")
        return tmp_path

    return write


# -- a real moto server over HTTP, for everything that talks to IAM ------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def page_server(status: int, body: bytes) -> Iterator[str]:
    """An endpoint on 127.0.0.1 that answers every request with `status` and an HTML `body`:
    a proxy's error page, a web server where an API was expected. Yields its URL."""

    class Page(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def html_endpoint() -> Iterator[str]:
    """A web server answering 200 with a page of HTML, not AWS's XML."""
    body = b"<!DOCTYPE html><html><body>" + b"<p>not an API</p>" * 600 + b"</body></html>"
    with page_server(200, body) as url:
        yield url


@pytest.fixture
def error_page() -> Iterator[str]:
    """A proxy answering every request with its 502 page."""
    body = b"<html><body><h1>502 Bad Gateway</h1>\n<hr><center>nginx</center></body></html>"
    with page_server(502, body) as url:
        yield url


@dataclass
class MotoServer:
    url: str
    process: subprocess.Popen[bytes]

    def reset(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=30
        ).read()

    def reset_auth(self, count: str) -> None:
        """Enforce IAM authorization after `count` more requests ("inf" turns it off)."""
        request = urllib.request.Request(
            f"{self.url}/moto-api/reset-auth",
            data=count.encode(),
            headers={"Content-Type": "text/plain"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=30).read()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto_server on 127.0.0.1 and a free port, with AWS-managed policies, as on AWS."""
    port = _free_port()
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.moto_server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = MotoServer(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{server.url}/moto-api/", timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    try:
        yield server
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def aws(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """A clean moto account, and the boto3 chain pointed at it (never at AWS)."""
    moto_server.reset()
    for key in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_STS",
        "GITHUB_ACTIONS",
        "CI",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return moto_server


@pytest.fixture
def iam(aws: MotoServer) -> Any:
    import boto3

    return boto3.client("iam", endpoint_url=aws.url, region_name="us-east-1")


@dataclass
class GitRepo:
    """A policy repository in Git: write files, commit, run iamsync in it."""

    root: Path

    def write(self, files: dict[str, Any]) -> GitRepo:
        for rel, content in files.items():
            path = self.root / rel
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            text = content if isinstance(content, str) else json.dumps(content, indent=2)
            path.write_text(text, encoding="utf-8")
        return self

    def commit(self, message: str = "change") -> GitRepo:
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "-m", message)
        return self

    def head(self) -> str:
        return self._git("rev-parse", "HEAD").strip()

    def run(self, *args: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        from iamsync.cli import main

        code = main([*args, "--repo", str(self.root)], stdout=out, stderr=err)
        return Result(code, out.getvalue(), err.getvalue())

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.root, check=True, capture_output=True, text=True
        ).stdout


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    root = tmp_path / "repo"
    root.mkdir()
    for args in (
        ["init", "-q"],
        ["config", "user.email", "test@example.invalid"],
        ["config", "user.name", "test"],
        ["config", "commit.gpgsign", "false"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True)
    return GitRepo(root)
