"""Pure helpers: edit distance, ARN parsing and matching, the loader's positions."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from iamsync.core.problems import Problem
from iamsync.engine import validate
from iamsync.files import source
from iamsync.iam import arn, names
from iamsync.iam.catalog import Catalog


@pytest.mark.parametrize(
    "a, b, d",
    [
        ("GetObject", "GetObject", 0),
        ("GetObjcet", "GetObject", 1),
        ("s4", "s3", 1),
        ("Descrbe", "Describe", 1),
        ("", "abc", 3),
        ("abc", "", 3),
        ("ca", "ac", 1),
    ],
)
def test_distance(a: str, b: str, d: int) -> None:
    assert names.distance(a, b) == d


@pytest.mark.parametrize(
    "word, candidates, hint",
    [
        ("GetObjcet", ["GetObject", "PutObject"], "GetObject"),
        ("x", ["q", "y"], None),  # one letter: too short to guess
        ("ListUesrs", ["ListUsers"], "ListUsers"),
        ("CreateQuantumLink", ["CreateBucket"], None),
    ],
)
def test_near_miss(word: str, candidates: list[str], hint: str | None) -> None:
    assert names.near_miss(word, candidates) == hint


@pytest.mark.parametrize(
    "text, ok",
    [
        ("arn:aws:s3:::bucket", True),
        ("arn:aws:iam::123456789012:user/a:b", True),
        ("arn:*:ecs:*:*:service/*", True),
        ("arn:${aws:partition}:s3:::b", True),
        ("bucket", False),
        ("arn:aws:s3", False),
        ("arn::s3:::b", False),
        ("arn:aws::eu-west-1:123456789012:x", False),
        ("arn:aws:ecs:x:12:service/a", False),
    ],
)
def test_arn_parse(text: str, ok: bool) -> None:
    assert isinstance(arn.parse(text), arn.Arn) is ok


@pytest.mark.parametrize(
    "policy_arn, template, fits",
    [
        ("arn:aws:s3:::bucket/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", True),
        ("arn:aws:s3:::bucket", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", False),
        ("arn:aws:s3:::*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", True),
        ("arn:aws:s3:us-east-1::b", "arn:${Partition}:s3:::${BucketName}", False),
        (
            "arn:aws:ecs:*:123456789012:service/c-*/s-*",
            "arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}",
            True,
        ),
        (
            "arn:aws:ecs:*:123456789012:cluster/prod",
            "arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}",
            False,
        ),
        (
            "arn:aws:s3:::b/${aws:username}/*",
            "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
            True,
        ),
        (
            "arn:aws:ecs:*:1:s?rvice/x/y",
            "arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}",
            True,
        ),
    ],
)
def test_arn_fits_template(policy_arn: str, template: str, fits: bool) -> None:
    assert arn.fits(policy_arn, template) is fits


def test_a_literal_arn_fits_a_template_as_the_general_matcher_says() -> None:
    """The fast path for a literal ARN (runs found in order) against the general
    intersection of two patterns, on every small case of a tiny alphabet, so the fast path
    neither over- nor under-matches (a template variable takes any run)."""
    import itertools

    alphabet = "ab/"
    texts = ["".join(p) for n in range(6) for p in itertools.product(alphabet, repeat=n)]
    runs = ["", "a", "b", "/", "ab", "b/a"]
    templates = {
        "${V}".join(parts) for n in range(1, 4) for parts in itertools.product(runs, repeat=n)
    }
    agreed = matched = 0
    for text in texts:
        for template in templates:
            fast = arn._literal_fits(text, template)
            general = arn._intersects(
                arn._tokens(text, policy=True), arn._tokens(template, policy=False)
            )
            assert fast is general, (text, template)
            agreed += 1
            matched += fast
    assert agreed > 50_000 and 0 < matched < agreed


def test_two_patterns_intersect_exactly_when_some_text_matches_both() -> None:
    """The walk (which first drops the characters both patterns begin and end with)
    against the truth by enumeration: every pattern of up to three tokens of a, /, any
    run, any run without "/", one character, and every text of up to six characters of
    a, / and z (a shortest common match has one character per non-run token, and z stands
    for every character neither pattern names)."""
    import itertools
    import re

    tokens: dict[str, object] = {
        "a": "a",
        "/": "/",
        "*": arn._STAR,
        "N": arn._NAME,
        "?": arn._ONE,
    }
    as_regex = {"a": "a", "/": "/", "*": ".*", "N": "[^/]*", "?": "."}
    texts = ["".join(t) for n in range(7) for t in itertools.product("a/z", repeat=n)]
    patterns = ["".join(p) for n in range(4) for p in itertools.product(tokens, repeat=n)]
    matches = {}
    for pattern in patterns:
        regex = re.compile("".join(as_regex[c] for c in pattern), re.DOTALL)
        matches[pattern] = {t for t in texts if regex.fullmatch(t)}
    met = 0
    for a, b in itertools.product(patterns, repeat=2):
        truth = bool(matches[a] & matches[b])
        walked = arn._intersects(tuple(tokens[c] for c in a), tuple(tokens[c] for c in b))
        assert walked is truth, (a, b)
        met += truth
    assert 0 < met < len(patterns) ** 2


def test_rendering_without_pointers_gives_what_rendering_with_them_gives() -> None:
    """template.render takes a quick walk that keeps no pointers while every name has a
    value, and walks again, keeping them, at the first that has none: the same document
    either way, holders of no {{Name}} given back uncopied, and every unknown name placed."""
    import random

    from iamsync.files import template

    values = {"AccountId": "123456789012", "Partition": "aws", "B": "{{AccountId}}"}
    pieces = ["x", "{{AccountId}}", "{{ Partition }}", "{{B}}", "{{Nope}}", "{{", "}}", "${a}"]
    rng = random.Random(19)

    def text() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randrange(4)))

    def value(depth: int) -> object:
        roll = rng.randrange(6 if depth < 4 else 3)
        if roll < 2:
            return text()
        if roll == 2:
            return rng.choice([1, True, None, 2.5])
        if roll < 5:
            return {text(): value(depth + 1) for _ in range(rng.randrange(4))}
        return [value(depth + 1) for _ in range(rng.randrange(4))]

    quick = 0
    for _ in range(3000):
        doc = value(0)
        slow_unknown: list[template.Unknown] = []
        slow = template._render(doc, values, (), slow_unknown)
        rendered, unknown = template.render(doc, values)
        assert rendered == slow and unknown == slow_unknown, doc
        assert "{{B}}" not in repr(doc) or "{{AccountId}}" in repr(rendered)  # once, not twice
        if not unknown:
            quick += 1
            if "{{" not in repr(doc):
                assert rendered is doc
    assert 300 < quick < 3000
    _, unknown = template.render({"Statement": [{"k{{Nope}}": "{{Nope}}"}]}, values)
    assert unknown == [
        template.Unknown(("Statement", 0, "k{{Nope}}"), True, "Nope"),
        template.Unknown(("Statement", 0, "k{{Nope}}"), False, "Nope"),
    ]


def test_positions_of_keys_and_values() -> None:
    text = '{\n  "a": [1,\n    {"b": "c"}],\n\t"d": true\n}'
    src = source.parse("f.json", text)
    assert not isinstance(src, Problem)
    assert src.where(("a",), key=True) == (2, 3)
    assert src.where(("a", 1, "b")) == (3, 11)
    assert src.where(("d",)) == (4, 7)
    assert src.where(("missing", "deeper")) == (1, 1)  # falls back to the nearest ancestor
    assert src.where(("a", 1, "nope")) == (3, 5)


def test_positions_with_escaped_quotes_and_crlf() -> None:
    src = source.parse("f.json", '{"x\\"y": "a\\\\",\r\n "z": "}"}')
    assert not isinstance(src, Problem)
    assert src.where(("z",)) == (2, 7)


def test_catalog_expand_is_case_insensitive() -> None:
    catalog = Catalog()
    assert [a.full for a in catalog.expand("IAM:*accesskey*")] == [
        "iam:CreateAccessKey",
        "iam:DeleteAccessKey",
        "iam:GetAccessKeyLastUsed",
        "iam:ListAccessKeys",
        "iam:UpdateAccessKey",
    ]
    assert catalog.expand("s3:NoSuchThing*") == []


def test_catalog_age_warning() -> None:
    catalog = Catalog()
    fresh = catalog.updated_at() + timedelta(days=10)
    stale = catalog.updated_at() + timedelta(days=61)
    assert validate.catalog_age_warning(catalog, fresh, 60) is None
    warning = validate.catalog_age_warning(catalog, stale, 60)
    assert warning is not None and "61 days old" in warning
    assert isinstance(catalog.updated_at(), datetime)


def test_a_run_reads_each_file_once(tmp_path: Path) -> None:
    """iamsync.json is needed before the full check (to pick the target) and again in it:
    one read, one snapshot."""
    from iamsync.files.tree import FolderTree

    (tmp_path / "iamsync.json").write_text("{}")
    tree = FolderTree(tmp_path)
    assert tree.read("iamsync.json") == b"{}"
    (tmp_path / "iamsync.json").write_text('{"changed": true}')
    assert tree.read("iamsync.json") == b"{}"
