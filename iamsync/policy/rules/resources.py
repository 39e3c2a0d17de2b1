"""Resource/NotResource entries are "*" or well-formed ARNs that fit the statement's actions."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from iamsync.core.problems import Problem
from iamsync.iam import arn, names
from iamsync.iam.catalog import Action
from iamsync.policy.rules.context import Document, Statement, entries, statements


def check(policy: Document) -> Iterator[Problem]:
    yield from _each_statement(policy)
    yield from _required_types(policy)


def _each_statement(policy: Document) -> Iterator[Problem]:
    for st in statements(policy):
        templates: frozenset[str] | None = None
        fitted: set[str] = set()  # the templates some Resource ARN of the statement fits
        for key in ("Resource", "NotResource"):
            for pointer, text in entries(st, key):
                if text == "*":
                    continue
                parsed = arn.parse(text)
                if isinstance(parsed, str):
                    yield policy.problem(pointer, "INVALID_ARN", f'"{text}": {parsed}')
                    continue
                if not parsed.resource:
                    yield policy.problem(
                        pointer, "EMPTY_RESOURCE", f'"{text}" has an empty resource part'
                    )
                if key == "NotResource":
                    continue
                if templates is None:
                    templates = _templates(policy, st)
                fits = {t for t in templates if t != "*" and arn.fits(text, t)}
                fitted |= fits
                if templates and not fits:
                    yield policy.problem(
                        pointer,
                        "RESOURCE_MISMATCH",
                        f'"{text}" matches no resource type of this '
                        f"statement's actions{_example(templates, near=text)}, so it "
                        f"{_verb(st)} nothing",
                    )
        star = any(text == "*" for _, text in entries(st, "Resource"))
        if fitted and not star:
            yield from _actions_without_resource(policy, st, fitted)


def _actions_without_resource(
    policy: Document, st: Statement, fitted: set[str]
) -> Iterator[Problem]:
    """Actions whose resource types none of the statement's resources fit (`fitted`)."""
    near = next((r for _, r in entries(st, "Resource")), "")
    for pointer, action in entries(st, "Action"):
        templates = policy.catalog.accepted_arns((action,))
        if not templates or templates & fitted:
            continue
        yield policy.problem(
            pointer,
            "RESOURCE_MISMATCH",
            f'"{action}" applies to none of this statement\'s resources'
            f"{_example(templates, 'it accepts', near)}, so the statement {_verb(st)} it nothing; "
            "move it to a statement with its resource",
        )


def _verb(st: Statement) -> str:
    return "denies" if st.body.get("Effect") == "Deny" else "grants"


def _required_types(policy: Document) -> Iterator[Problem]:
    """An action named in an Allow whose required resource types (those every call of it
    names: RunInstances' image, subnet, security group, ...) some resource of the Allows
    that grant it covers, but not all: the call is refused unless another policy allows
    the rest."""
    allows = [st for st in statements(policy) if st.body.get("Effect") == "Allow"]
    seen: set[str] = set()
    for st in allows:
        for pointer, name in entries(st, "Action"):
            service, _, action_name = name.partition(":")
            if names.has_wildcard(name) or not action_name:
                continue
            found = policy.catalog.action(service, action_name)
            if found is None or found.service not in _JOINT or len(found.required) < 2:
                continue
            if found.full.lower() in seen:
                continue
            seen.add(found.full.lower())
            resources = _granting_resources(policy, allows, found)
            if resources is None or not any(
                arn.fits(r, t) for r in resources for t in found.resource_arns or ()
            ):
                continue  # on every resource, or on none it takes (RESOURCE_MISMATCH says so)
            missing = [
                kind
                for kind, templates in found.required
                if not any(arn.fits(r, t) for r in resources for t in templates)
            ]
            if missing:
                yield policy.problem(
                    pointer,
                    "MISSING_REQUIRED_RESOURCE",
                    f'every "{found.full}" call also names {_and(missing)}, and no statement '
                    "of this policy allows it on "
                    f"{'that' if len(missing) == 1 else 'those'}: unless another policy "
                    "does, the call is refused",
                )


# Services whose catalog marks as required only resource types a call names together
# (RunInstances names its image, subnet, security group, network interface and instance).
# Elsewhere "required" often marks alternatives (bedrock:InvokeModel takes one model of
# several kinds; elasticloadbalancing an application or a network listener), so the
# check would claim calls fail that do not.
_JOINT = frozenset({"ec2"})


def _granting_resources(
    policy: Document, allows: list[Statement], action: Action
) -> list[str] | None:
    """The Resource ARNs of the Allows that grant `action`; None when one grants it on
    every resource ("*" or NotResource)."""
    found: list[str] = []
    for st in allows:
        if "Action" in st.body:
            named = any(
                action.full in policy.catalog.action_names(a) or a == "*"
                for _, a in entries(st, "Action")
            )
        else:
            named = not any(
                action.full in policy.catalog.action_names(a) or a == "*"
                for _, a in entries(st, "NotAction")
            )
        if not named:
            continue
        resources = [r for _, r in entries(st, "Resource")]
        if "NotResource" in st.body or "*" in resources:
            return None
        found += resources
    return found


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _templates(policy: Document, st: Statement) -> frozenset[str]:
    """ARN templates the statement's actions accept; empty when the check can't apply."""
    actions = tuple(a for _, a in entries(st, "Action"))
    if not actions:
        return frozenset()
    return policy.catalog.accepted_arns(actions) or frozenset()


def _example(templates: frozenset[str], accepts: str = "they accept", near: str = "") -> str:
    """One template as an example: the one most like `near` (what the file wrote), so a
    bucket grant is shown a bucket's ARN, not an access point's."""
    real = sorted(t for t in templates if t != "*")
    if not real:
        return f' ({accepts} only "*")'
    if near:
        near = near[:256]  # templates are short: a long entry costs no more than this
        real.sort(key=lambda t: -difflib.SequenceMatcher(None, near, t, autojunk=False).ratio())
    shown = real[0].replace("${Partition}", "aws")
    more = f" and {len(real) - 1} more" if len(real) > 1 else ""
    return f" (e.g. {shown}{more})"
