"""A kind of another service, registered by this test alone, through every stage.

An SSM parameter kind (parameters/<name>.json = {"value": "..."}; the parameter is
/iamsync/<name>) defined here, with no edit outside kinds/: validate, desired, diff, calls,
text / markdown / JSON, the plan file round trip, the fingerprint, apply and import, on a
moto server. If a stage names a kind or assumes IAM, this test cannot pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from iamsync import kinds
from iamsync.core import lines
from iamsync.core.lines import Line
from iamsync.core.model import Desired, Live
from iamsync.core.ownership import Conflict, owned
from iamsync.core.problems import Problem
from iamsync.files.source import Source
from iamsync.kinds.base import (
    Action,
    AdoptContext,
    BuildContext,
    Call,
    CallContext,
    Chain,
    Change,
    CheckContext,
    DiffContext,
    DocumentRef,
    LiveSource,
    Stage,
)
from tests.conftest import GitRepo, MotoServer

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"value": {"type": "string", "minLength": 1}},
    "required": ["value"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class DesiredParameter:
    name: str
    arn: str
    value: str


@dataclass(frozen=True)
class LiveParameter:
    name: str
    arn: str
    path: str
    value: str


@dataclass(frozen=True)
class ParameterChange(Change):
    value: str = ""
    before: str = ""
    type: str = field(default="parameter", init=False)


class Parameter:
    type = "parameter"
    folder = "parameters"
    schema: Mapping[str, Any] = SCHEMA
    service = "ssm"
    name_rule = re.compile(r"[A-Za-z0-9_.-]{1,100}")
    name_limit = "1-100"
    change_class = ParameterChange

    def check(self, source: Source, name: str, value: Any, ctx: CheckContext) -> Iterable[Problem]:
        if "secret" in value["value"].lower():
            yield source.problem(("value",), "INVALID_VALUE", "no secrets in a parameter file")

    def build(self, name: str, value: Any, ctx: BuildContext) -> DesiredParameter:
        arn = f"arn:{ctx.partition}:ssm:us-east-1:{ctx.account_id}:parameter{ctx.path_prefix}{name}"
        return DesiredParameter(name, arn, value["value"])

    def read(self, source: LiveSource) -> dict[str, LiveParameter]:
        ssm = source.client("ssm")
        found: dict[str, LiveParameter] = {}
        for page in ssm.get_paginator("describe_parameters").paginate():
            names = [p["Name"] for p in page["Parameters"]]
            for i in range(0, len(names), 10):
                for p in ssm.get_parameters(Names=names[i : i + 10])["Parameters"]:
                    path, _, name = p["Name"].rpartition("/")
                    found[name] = LiveParameter(name, p["ARN"], path + "/", p["Value"])
        return found

    def conflicts(self, desired: Desired, live: Live) -> Iterable[Conflict]:
        return ()

    def diff(self, ctx: DiffContext) -> Iterator[ParameterChange]:
        have = ctx.live.of(self.type)
        for name, want in sorted(ctx.desired.of(self.type).items()):
            old = have.get(name)
            if old is None:
                yield ParameterChange(Action.CREATE, name, want.arn, want.value)
            elif old.value != want.value:
                yield ParameterChange(Action.UPDATE, name, want.arn, want.value, old.value)
        for name, old in sorted(have.items()):
            if owned(old, ctx.desired.path_prefix) and name not in ctx.desired.of(self.type):
                yield ParameterChange(Action.DELETE, name, old.arn, before=old.value)

    def calls(self, change: ParameterChange, stage: Stage, ctx: CallContext) -> Iterable[Chain]:
        full = f"{ctx.prefix}{change.name}"
        what = f"parameter {change.name}"
        if stage is Stage.POLICIES and change.action is not Action.DELETE:
            params = {"Name": full, "Value": change.value, "Type": "String", "Overwrite": True}
            return [(Call("put_parameter", params, what, service="ssm"),)]
        if stage is Stage.DELETE_POLICIES and change.action is Action.DELETE:
            return [(Call("delete_parameter", {"Name": full}, what, service="ssm"),)]
        return []

    def details(self, change: ParameterChange) -> list[Line]:
        if change.action is Action.DELETE:
            return [lines.removed(f"value {change.before!r}")]
        if change.before:
            return [lines.changed(f"value {change.before!r} → {change.value!r}")]
        return [lines.added(f"value {change.value!r}")]

    def documents(self, change: ParameterChange) -> list[DocumentRef]:
        return []

    def fingerprint(self, record: LiveParameter) -> list[Any]:
        return [record.name, record.value]

    def adopt(self, record: LiveParameter, ctx: AdoptContext) -> dict[str, Any]:
        return {"value": record.value}


@pytest.fixture
def parameters() -> Iterator[Parameter]:
    with kinds.extended(Parameter()) as kind:
        yield kind  # type: ignore[misc]


def _ssm(aws: MotoServer) -> Any:
    import boto3

    return boto3.client(
        "ssm",
        endpoint_url=aws.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_a_kind_of_another_service_runs_through_every_stage(
    aws: MotoServer, git_repo: GitRepo, parameters: Parameter, tmp_path: Any
) -> None:
    ssm = _ssm(aws)
    # validate: its schema, its own check, FILE:LINE:COL
    git_repo.write({"parameters/app-url.json": {"value": "a secret"}}).commit("bad")
    bad = git_repo.run("--validate")
    assert bad.code == 1 and "parameters/app-url.json:2:12: error: no secrets" in bad.out
    git_repo.write({"parameters/app-url.json": {"value": "https://app"}}).commit("good")
    assert git_repo.run("--validate").code == 0

    # plan in every format, and a saved plan applied exactly
    text = git_repo.run("--plan")
    assert "+ parameter app-url" in text.out and "+ value 'https://app'" in text.out
    md = git_repo.run("--plan", "--format", "markdown").out
    assert "| `+` create | parameter | `app-url` |" in md
    data = json.loads(git_repo.run("--plan", "--format", "json").out)
    first = data["changes"][0]
    assert (first["action"], first["type"], first["name"]) == ("create", "parameter", "app-url")
    saved = tmp_path / "plan.json"
    assert git_repo.run("--plan", "--out", str(saved)).code == 0
    applied = git_repo.run("--apply", "--plan-file", str(saved))
    assert applied.code == 0, applied.err
    assert ssm.get_parameter(Name="/iamsync/app-url")["Parameter"]["Value"] == "https://app"
    assert "No changes." in git_repo.run("--plan").out

    # the fingerprint covers it: a saved plan is stale once the parameter moves
    git_repo.write({"parameters/app-url.json": {"value": "https://v2"}}).commit("v2")
    assert git_repo.run("--plan", "--out", str(saved)).code == 0
    ssm.put_parameter(Name="/iamsync/app-url", Value="drift", Type="String", Overwrite=True)
    stale = git_repo.run("--apply", "--plan-file", str(saved))
    assert stale.code == 1 and "live IAM changed" in stale.err
    assert git_repo.run("--apply").code == 0
    assert ssm.get_parameter(Name="/iamsync/app-url")["Parameter"]["Value"] == "https://v2"

    # import writes its file; a deleted file deletes it
    ssm.put_parameter(Name="/iamsync/made-by-hand", Value="x", Type="String")
    ssm.put_parameter(Name="/elsewhere/not-ours", Value="y", Type="String")
    imported = git_repo.run("--import")
    assert imported.code == 0 and imported.out.splitlines() == [
        "wrote parameters/made-by-hand.json"
    ]
    assert json.loads((git_repo.root / "parameters" / "made-by-hand.json").read_text()) == {
        "value": "x"
    }
    (git_repo.root / "parameters" / "app-url.json").unlink()
    git_repo.commit("import, and drop app-url")
    assert "- parameter app-url" in git_repo.run("--plan").out
    assert git_repo.run("--apply").code == 0
    names = {p["Name"] for p in ssm.describe_parameters()["Parameters"]}
    assert names == {"/iamsync/made-by-hand", "/elsewhere/not-ours"}
    assert "No changes." in git_repo.run("--plan").out


def test_the_kind_is_gone_once_its_registration_ends(git_repo: GitRepo) -> None:
    assert kinds.by_type("parameter") is None
    git_repo.write({"parameters/x.json": {"value": "v"}}).commit()
    unknown = git_repo.run("--validate")  # parameters/ is no kind's folder now
    assert unknown.code == 1 and "is not a policy repository" in unknown.err
