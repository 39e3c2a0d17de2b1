"""The JSON Schemas: valid Draft 2020-12, mapped for editors, every violation a located line."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from iamsync.files import schema, source
from tests.conftest import GOOD_POLICY, REPO_ROOT
from tests.test_validate_cases import CASES

KIND_OF = {"policies": "policy", "users": "user", "iamsync.json": "config"}


@pytest.mark.parametrize("kind", schema.schema_names())
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    loaded = schema.load_schema(kind)
    jsonschema_rs.meta.validate(loaded)
    assert loaded["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_vscode_maps_every_schema() -> None:
    settings = json.loads((REPO_ROOT / ".vscode" / "settings.json").read_text())
    urls = {entry["url"] for entry in settings["json.schemas"]}
    # checked inside role files, and what the others share: not files of their own
    embedded = {"trust-policy", schema.DEFINITIONS}
    assert urls == {
        f"./schema/{kind}.schema.json" for kind in schema.schema_names() if kind not in embedded
    }
    for url in urls:
        assert (REPO_ROOT / url).is_file()


def _corpus() -> Iterator[tuple[str, Any]]:
    for files, _ in CASES.values():
        for rel, content in files.items():
            kind = KIND_OF.get(rel.split("/")[0])
            if kind is None:
                continue
            if isinstance(content, str):
                try:
                    content = json.loads(content)
                except ValueError:
                    continue
            if not isinstance(content, bytes):
                yield kind, content
    for folder, kind in (("policies", "policy"), ("users", "user")):
        for path in (REPO_ROOT / folder).glob("*.json"):
            yield kind, json.loads(path.read_text())
    yield "config", json.loads((REPO_ROOT / "iamsync.json").read_text())


def _mutations(value: Any, rng: random.Random, count: int) -> Iterator[Any]:
    """Small random edits of a valid value: drop, retype or add members anywhere."""
    junk = [None, 1, 1.5, True, "x", "", [], {}, ["a"], {"k": "v"}]
    for _ in range(count):
        mutated = copy.deepcopy(value)
        node, parent_key, parent = mutated, None, None
        for _depth in range(rng.randint(0, 4)):
            if isinstance(node, dict) and node:
                parent, parent_key = node, rng.choice(list(node))
            elif isinstance(node, list) and node:
                parent, parent_key = node, rng.randrange(len(node))
            else:
                break
            node = parent[parent_key]
        if parent is None:
            yield rng.choice(junk)
            continue
        action = rng.choice(("drop", "retype", "add"))
        if action == "drop" and isinstance(parent, dict):
            del parent[parent_key]
        elif action == "add" and isinstance(parent, dict):
            parent[rng.choice(["Extra", "Sid", "Effect", "tags", "NotAction"])] = rng.choice(junk)
        else:
            parent[parent_key] = rng.choice(junk)
        yield mutated


def test_every_violation_becomes_a_located_problem() -> None:
    """Random edits of every sample: invalid ones get problems, each with a real place."""
    rng = random.Random(20261128)
    checked = rejected = 0
    samples = [*list(_corpus()), ("policy", GOOD_POLICY)]
    for kind, value in samples:
        for candidate in [value, *_mutations(value, rng, 40)]:
            parsed = source.parse("f.json", json.dumps(candidate, indent=1))
            if not isinstance(parsed, source.Source):  # a corpus case of bad JSON (NaN)
                continue
            found = schema.check(parsed, kind)
            assert bool(found) != schema.validator(kind).is_valid(candidate), candidate
            lines = len(parsed.text.splitlines())
            assert all(1 <= p.line <= lines and p.code != "SCHEMA" for p in found), found
            checked += 1
            rejected += bool(found)
    assert checked > 2000 and rejected > 500


def test_every_aws_managed_document_passes_the_schema() -> None:
    managed = pytest.importorskip("moto.iam.aws_managed_policies")
    rules = schema.validator("policy")
    documents = [e["Document"] for e in json.loads(managed.aws_managed_policies_data).values()]
    assert len(documents) > 1000
    assert all(rules.is_valid(doc) for doc in documents)


def test_each_definition_is_written_once() -> None:
    """A statement, a document, inline policies: defined in defs.schema.json only; every
    other schema refers to it (so editors check inline and trust policies too)."""
    texts = {
        n: (schema.schema_dir() / f"{n}.schema.json").read_text() for n in schema.schema_names()
    }
    for name, text in texts.items():
        if name == schema.DEFINITIONS:
            continue
        assert '"Effect"' not in text and '"Statement"' not in text, name
        loaded = json.loads(text)
        assert "$defs" not in loaded or name == "config", name
    for kind in ("user", "group", "role"):
        properties = schema.load_schema(kind)["properties"]
        assert properties["inline_policies"]["$ref"] == "defs.schema.json#/$defs/inline_policies"
    role = schema.load_schema("role")["properties"]["trust_policy"]
    assert role["$ref"] == "defs.schema.json#/$defs/trust_policy"


BAD_INLINE = {"p": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Actoin": "s3:*"}]}}
BAD_TRUST = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Resource": "*"}}


@pytest.mark.parametrize(
    ("kind", "value", "code", "pointer"),
    [
        ("user", {"inline_policies": BAD_INLINE}, "UNKNOWN_KEY", "Actoin"),
        ("group", {"inline_policies": BAD_INLINE}, "UNKNOWN_KEY", "Actoin"),
        (
            "role",
            {"trust_policy": BAD_TRUST, "inline_policies": BAD_INLINE},
            "NOT_ALLOWED",
            "Resource",
        ),
    ],
)
def test_a_nested_document_is_checked_by_the_file_s_schema_once(
    kind: str, value: Any, code: str, pointer: str, tmp_path: Path
) -> None:
    """What an editor sees (the kind's schema alone) rejects a bad nested document; the
    validator reports each violation once, at its place."""
    from iamsync.engine import validate

    assert not schema.validator(kind).is_valid(value)
    (tmp_path / f"{kind}s").mkdir()
    text = json.dumps(value, indent=2)
    (tmp_path / f"{kind}s" / "x.json").write_text(text)
    hits = [p for p in validate.check(tmp_path).problems if p.code == code and pointer in p.message]
    assert len(hits) == 1, hits
    (line,) = [n for n, t in enumerate(text.splitlines(), 1) if f'"{pointer}"' in t]
    assert hits[0].line == line
