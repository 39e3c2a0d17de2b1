"""No false positives on real policies: every AWS-managed document that moto ships.

The bar: a document whose actions the catalog lists and whose size is within
the limit gets no error; every document over 6,144 characters gets the size error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iamsync.engine import validate
from iamsync.iam import limits
from iamsync.iam.catalog import Catalog

aws_managed = pytest.importorskip("moto.iam.aws_managed_policies")


def _documents() -> dict[str, Any]:
    data = json.loads(aws_managed.aws_managed_policies_data)
    return {name: entry["Document"] for name, entry in data.items()}


def _catalog_lists_all_actions(doc: Any, catalog: Catalog) -> bool:
    statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    for st in statements:
        for key in ("Action", "NotAction"):
            value = st.get(key, [])
            for action in [value] if isinstance(value, str) else value:
                if action != "*" and not catalog.expand(action):
                    return False
    return True


def test_aws_managed_policies_have_no_false_errors(tmp_path: Path) -> None:
    documents = _documents()
    assert len(documents) > 1000
    (tmp_path / "policies").mkdir()
    for name, doc in documents.items():
        (tmp_path / "policies" / f"{name}.json").write_text(json.dumps(doc, indent=2))
    catalog = Catalog()
    result = validate.check(tmp_path, catalog=catalog)
    errors: dict[str, set[str]] = {}
    for p in result.problems:
        if p.is_error:
            errors.setdefault(Path(p.file).stem, set()).add(p.code)

    oversized = {
        n for n, d in documents.items() if limits.policy_size(d) > limits.MANAGED_POLICY_SIZE
    }
    clean = {
        n
        for n, d in documents.items()
        if n not in oversized and _catalog_lists_all_actions(d, catalog)
    }
    assert oversized, "moto ships documents over the limit; the test must see some"
    assert len(clean) > 1000

    false_positives = {n: sorted(errors[n]) for n in clean if n in errors}
    assert false_positives == {}
    assert all("POLICY_TOO_LARGE" in errors.get(n, set()) for n in oversized)
    beyond_size = {
        n: sorted(errors[n] - {"POLICY_TOO_LARGE"})
        for n in oversized
        if errors[n] - {"POLICY_TOO_LARGE"} and _catalog_lists_all_actions(documents[n], catalog)
    }
    assert beyond_size == {}, "oversized documents whose actions are listed: size error only"
