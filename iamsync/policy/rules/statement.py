"""Statement shape that the schema cannot say: element pairs, Sids, version and variables."""

from __future__ import annotations

import json
from collections.abc import Iterator

from iamsync.core.problems import Problem
from iamsync.files.source import Pointer
from iamsync.iam import names
from iamsync.policy.rules.context import DocKind, Document, statements

# The elements a statement needs one of, by kind of document.
_PAIRS = {
    DocKind.IDENTITY: (("Action", "NotAction"), ("Resource", "NotResource")),
    DocKind.TRUST: (("Action", "NotAction"), ("Principal", "NotPrincipal")),
}


def check(policy: Document) -> Iterator[Problem]:
    sids: dict[str, Pointer] = {}
    for st in statements(policy):
        for plain, negated in _PAIRS[policy.kind]:
            if plain in st.body and negated in st.body:
                yield policy.problem(
                    (*st.pointer, negated),
                    "UNSUPPORTED_ELEMENT_COMBINATION",
                    f'a statement has either "{plain}" or "{negated}", not both',
                    key=True,
                )
            elif plain not in st.body and negated not in st.body:
                yield policy.problem(
                    st.pointer,
                    f"MISSING_{plain.upper()}",
                    f'statement has no "{plain}" (or "{negated}")',
                )
        sid = st.body.get("Sid")
        if isinstance(sid, str):
            yield from _check_sid(policy, st.pointer, sid, sids)
    yield from _check_old_version(policy)


def _check_sid(
    policy: Document, pointer: Pointer, sid: str, seen: dict[str, Pointer]
) -> Iterator[Problem]:
    at = (*pointer, "Sid")
    if not names.SID.fullmatch(sid):
        yield policy.problem(
            at,
            "UNSUPPORTED_SID",
            f"Sid {json.dumps(sid)} may contain only letters and digits "
            "(IAM rejects the policy otherwise)",
        )
    elif sid and sid in seen:
        yield policy.problem(
            at,
            "DUPLICATE_SID",
            f'Sid "{sid}" is used by another statement '
            f"(line {policy.line(seen[sid])}); "
            "Sids must be unique in a policy",
        )
    elif sid:
        seen[sid] = at


def _check_old_version(policy: Document) -> Iterator[Problem]:
    if not isinstance(policy.doc, dict) or policy.doc.get("Version") != "2008-10-17":
        return
    if "${" in json.dumps(policy.doc.get("Statement")):
        yield policy.problem(
            ("Version",),
            "VARIABLES_NEED_2012_VERSION",
            "policy variables such as ${aws:username} are taken literally "
            'under Version "2008-10-17"; use "2012-10-17"',
        )
