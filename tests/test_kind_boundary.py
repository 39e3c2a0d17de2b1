"""The kind boundary: outside kinds/, no stage names a kind.

A stage that calls `live.of("user")`, compares `change.type == "policy"` or imports a kind's
module couples itself to that kind; a new kind would have to edit it. This scan finds
those (kinds/ itself is where kinds are named): there are none. The access review reads
records by their access role (kinds.Access), the live read completes records with the reads
kinds ask for (kinds.base.Read), and IAM's own rules read ARNs, not kinds.
"""

from __future__ import annotations

import ast
from collections import Counter

from iamsync import kinds
from tests.conftest import REPO_ROOT

KIND_MODULES = {
    "iamsync.kinds.user",
    "iamsync.kinds.group",
    "iamsync.kinds.role",
    "iamsync.kinds.managed_policy",
    "iamsync.kinds.principal",
    "iamsync.kinds.principal_files",
}


def _named(tree: ast.AST, types: set[str]) -> int:
    found = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            args = node.args
            literal = bool(args) and isinstance(args[0], ast.Constant) and args[0].value in types
            found += node.func.attr in ("of", "by_type") and literal
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            typed = any(isinstance(s, ast.Attribute) and s.attr in ("type", "kind") for s in sides)
            literal = any(isinstance(s, ast.Constant) and s.value in types for s in sides)
            found += typed and literal
        elif isinstance(node, ast.ImportFrom):
            found += node.module in KIND_MODULES
    return found


def test_no_stage_outside_kinds_names_a_kind() -> None:
    types = {k.type for k in kinds.registered()}
    counts: Counter[str] = Counter()
    for path in sorted((REPO_ROOT / "iamsync").rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        if not rel.startswith("iamsync/kinds/"):
            counts[rel] = _named(ast.parse(path.read_text()), types)
    named = {f: n for f, n in counts.items() if n}
    assert named == {}, f"names a kind outside kinds/ (use a kind hook): {named}"


def test_the_scan_finds_what_it_looks_for() -> None:
    source = 'from iamsync.kinds.user import LiveUser\nlive.of("user")\nc.type == "policy"\n'
    assert _named(ast.parse(source), {"user", "policy"}) == 3


# IAM's own facts, keyed by IAM's resource types (which happen to share the kinds' names):
# which type an action writes, the inline-policy size per principal type, aws:username.
IAM_FACTS = {"iamsync/access/findings.py", "iamsync/access/effective.py", "iamsync/iam/limits.py"}


def test_no_module_outside_kinds_spells_a_kind_type_at_all() -> None:
    """Stricter than the scan above: no string literal equal to a kind's type (as in
    `renames(...).get("user")` or `_file("policy", …)`) outside kinds/ and IAM's facts."""
    types = {k.type for k in kinds.registered()}
    found = []
    for path in sorted((REPO_ROOT / "iamsync").rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        if rel.startswith("iamsync/kinds/") or rel in IAM_FACTS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in types:
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert found == []
