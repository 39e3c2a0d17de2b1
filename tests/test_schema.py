"""The JSON Schemas: valid Draft 2020-12, mapped for editors, every violation a located line."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
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
    embedded = {"trust-policy"}  # checked inside role files, not a file of its own
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
