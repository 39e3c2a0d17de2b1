"""Pure stages: the diff's decisions and the exact order of the calls it turns into."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import pytest

from iamsync import kinds
from iamsync.core.model import Credentials, Live, PolicyVersion
from iamsync.core.ownership import PlanConflict
from iamsync.engine import calls
from iamsync.engine.desired import build
from iamsync.engine.plan import Action, Plan, diff
from iamsync.iam import normalize
from iamsync.kinds.group import LiveGroup
from iamsync.kinds.managed_policy import LivePolicy, PolicyChange
from iamsync.kinds.user import LiveUser, UserChange
from iamsync.render import planfile

ACCOUNT = "123456789012"
P = f"arn:aws:iam::{ACCOUNT}:policy/iamsync/"
AWS_RO = "arn:aws:iam::aws:policy/ReadOnlyAccess"
T0 = datetime(2026, 1, 1)


def doc(*actions: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }


def live_policy(
    name: str,
    *docs: dict[str, Any],
    default: int | None = None,
    path: str = "/iamsync/",
    attachments: int = 0,
) -> LivePolicy:
    default = default or len(docs)
    versions = tuple(
        PolicyVersion(f"v{i}", i == default, T0 + timedelta(minutes=i), d)
        for i, d in enumerate(docs, 1)
    )
    return LivePolicy(
        name, f"arn:aws:iam::{ACCOUNT}:policy{path}{name}", path, versions, attachments
    )


def live_user(name: str, *attached: str, path: str = "/iamsync/", **extra: Any) -> LiveUser:
    tags = MappingProxyType(extra.pop("tags", {"managed-by": "iamsync"}))
    inline = extra.pop("inline_policies", ())
    return LiveUser(
        name,
        f"arn:aws:iam::{ACCOUNT}:user{path}{name}",
        path,
        frozenset(attached),
        MappingProxyType({n: doc("s3:GetObject") for n in inline}),
        tags,
        **extra,
    )


def live(*resources: Any, groups: frozenset[str] = frozenset()) -> Live:
    """Live state of the given records (policies, users, groups, roles), by their kind."""
    by_kind: dict[str, dict[str, Any]] = {"policy": {}, "user": {}, "group": {}, "role": {}}
    for r in resources:
        kind = type(r).__name__.removeprefix("Live").lower()
        by_kind[kind][r.name] = r
    for g in groups:
        by_kind["group"][g] = LiveGroup(g, f"arn:aws:iam::{ACCOUNT}:group/{g}", "/")
    return Live(
        ACCOUNT, "aws", MappingProxyType({k: MappingProxyType(v) for k, v in by_kind.items()})
    )


def plan_of(
    policies: dict[str, Any],
    users: dict[str, Any],
    state: Live,
    credentials: dict[str, Credentials] | None = None,
    required_boundary: str | None = None,
    *,
    reviewed: bool = False,
    quota: int = 10,
) -> Plan:
    """The plan of these files against `state`; `reviewed` adds the access review."""
    wanted = build(
        {"policy": policies, "user": users},
        account_id=ACCOUNT,
        partition="aws",
        path_prefix="/iamsync/",
        required_boundary=required_boundary,
        policy_quota=quota,
    )
    if credentials:  # what the user kind's reads fold in for users a plan deletes
        users = {n: replace(u, credentials=credentials.get(n)) for n, u in state.of("user").items()}
        state = replace(state, resources=MappingProxyType({**state.resources, "user": users}))
    plan = diff(wanted, state)
    if not reviewed:
        return plan

    from iamsync.engine.validate import default_catalog
    from tests.reviewing import review

    changed = [c.name for c in plan.changes if c.type == "policy"]
    return replace(plan, review=review(wanted, state, {}, default_catalog(), changed))


def ops(plan: Plan) -> list[str]:
    """Each call as operation:target, in the order apply runs them."""
    out = []
    for call in calls.flat(calls.to_calls(plan, "c0ffee")):
        p = call.params
        target = (
            p.get("VersionId")
            or p.get("PolicyArn", "").rsplit("/", 1)[-1]
            or p.get("PolicyName")
            or p.get("AccessKeyId")
            or p.get("GroupName")
            or p.get("UserName")
        )
        out.append(f"{call.operation}:{target}")
    return out


def chain_ops(plan: Plan) -> list[list[list[str]]]:
    """Stage -> chain -> operations: what runs in sequence and what runs side by side."""
    return [
        [[c.operation for c in chain] for chain in stage] for stage in calls.to_calls(plan, "c")
    ]


# -- the diff -----------------------------------------------------------------------------


def test_no_change_when_live_matches() -> None:
    state = live(live_policy("p", doc("s3:GetObject")), live_user("u", P + "p"))
    assert plan_of({"p": doc("S3:getobject")}, {"u": {"policies": ["p"]}}, state).empty


def test_version_prune_picks_oldest_non_default_never_the_default() -> None:
    state = live(live_policy("p", *(doc(f"s3:A{i}") for i in range(5)), default=1))
    change = plan_of({"p": doc("s3:New")}, {}, state).changes[0]
    assert isinstance(change, PolicyChange)
    assert change.prune == ("v2",)
    assert change.reactivate is None


def test_prune_only_what_is_needed_below_the_limit() -> None:
    state = live(live_policy("p", doc("s3:A"), doc("s3:B"), doc("s3:C")))
    change = plan_of({"p": doc("s3:New")}, {}, state).changes[0]
    assert isinstance(change, PolicyChange) and change.prune == ()


def test_same_second_versions_break_ties_by_number() -> None:
    versions = tuple(PolicyVersion(f"v{i}", i == 5, T0, doc(f"s3:A{i}")) for i in (5, 3, 4, 2, 1))
    state = live(LivePolicy("p", P + "p", "/iamsync/", versions, 0))
    change = plan_of({"p": doc("s3:New")}, {}, state).changes[0]
    assert isinstance(change, PolicyChange) and change.prune == ("v1",)


def test_kept_version_is_reactivated_instead_of_a_new_one() -> None:
    state = live(live_policy("p", doc("s3:Old"), doc("s3:Mid"), doc("s3:Now")))
    change = plan_of({"p": doc("s3:Mid")}, {}, state).changes[0]
    assert isinstance(change, PolicyChange)
    assert change.reactivate == "v2" and change.prune == ()


def test_user_tags_compare_case_insensitively_and_ignore_the_commit_tag() -> None:
    state = live(
        live_user(
            "u", tags={"managed-by": "iamsync", "iamsync-commit": "old", "team": "a", "stale": "x"}
        )
    )
    change = plan_of({}, {"u": {"tags": {"Team": "a"}}}, state).changes[0]
    assert isinstance(change, UserChange)
    assert dict(change.tags) == {"Team": "a"}  # re-cased in place: no untag of "team"
    assert change.untag == ("stale",)


def test_collision_with_unowned_user_is_a_conflict() -> None:
    state = live(live_user("ci", path="/"))
    with pytest.raises(PlanConflict, match='user "ci" already exists at path /'):
        plan_of({}, {"ci": {}}, state)


def test_policy_attached_outside_the_prefix_cannot_be_deleted() -> None:
    state = live(live_policy("p", doc("s3:A"), attachments=2), live_user("u", P + "p"))
    with pytest.raises(PlanConflict, match="attached to 1 other principal"):
        plan_of({}, {"u": {}}, state)


def test_policy_bounding_an_unowned_user_cannot_be_deleted() -> None:
    policy = live_policy("p", doc("s3:A"))
    bounded = LivePolicy(policy.name, policy.arn, policy.path, policy.versions, 0, 1)
    with pytest.raises(PlanConflict, match="the permissions boundary of 1 other principal"):
        plan_of({}, {}, live(bounded))
    owned_bound = live(bounded, live_user("u", permissions_boundary=bounded.arn))
    assert [c.name for c in plan_of({}, {}, owned_bound).changes] == ["u", "p"]


def test_unknown_group_is_a_conflict() -> None:
    with pytest.raises(PlanConflict, match='group "ops" does not exist'):
        plan_of({}, {"u": {"groups": ["ops"]}}, live(groups=frozenset({"dev"})))


def test_unowned_resources_are_never_in_the_plan() -> None:
    state = live(live_policy("theirs", doc("s3:A"), path="/tf/"), live_user("human", path="/"))
    assert plan_of({}, {}, state).empty


# -- the calls, in order ----------------------------------------------------------------------


def test_create_policies_before_users_before_attachments() -> None:
    plan = plan_of({"p": doc("s3:A")}, {"u": {"policies": ["p", AWS_RO]}}, live())
    assert ops(plan) == [
        "create_policy:p",
        "create_user:u",
        "attach_user_policy:p",
        "attach_user_policy:ReadOnlyAccess",
    ]


def test_tags_and_path_are_passed_inline_on_create() -> None:
    plan = plan_of({"p": doc("s3:A")}, {"u": {"tags": {"team": "x"}}}, live())
    create_policy, create_user = calls.flat(calls.to_calls(plan, "abc"))
    assert create_policy.params["Path"] == create_user.params["Path"] == "/iamsync/"
    assert create_user.params["Tags"] == [
        {"Key": "iamsync-commit", "Value": "abc"},
        {"Key": "managed-by", "Value": "iamsync"},
        {"Key": "team", "Value": "x"},
    ]
    assert create_policy.params["Tags"] == [
        {"Key": "iamsync-commit", "Value": "abc"},
        {"Key": "managed-by", "Value": "iamsync"},
    ]


def test_update_attaches_new_before_detaching_old() -> None:
    state = live(live_policy("old", doc("s3:A")), live_user("u", P + "old"))
    plan = plan_of({"old": doc("s3:A"), "new": doc("s3:B")}, {"u": {"policies": ["new"]}}, state)
    assert ops(plan) == [
        "create_policy:new",
        "tag_user:u",
        "attach_user_policy:new",
        "detach_user_policy:old",
    ]


def test_at_the_quota_old_attachments_go_first_in_one_chain() -> None:
    old = [f"old{i}" for i in range(10)]
    state = live(*(live_policy(n, doc("s3:A")) for n in old), live_user("u", *(P + n for n in old)))
    files = {n: doc("s3:A") for n in (*old[1:], "new")}
    plan = plan_of(files, {"u": {"policies": [*old[1:], "new"]}}, state)
    stages = chain_ops(plan)
    chains = [chain for stage in stages for chain in stage]
    # one chain, so "new" is attached only after "old0" is gone: 10 + 1 would fail
    assert ["detach_user_policy", "attach_user_policy"] in chains
    assert sum(chain.count("detach_user_policy") for chain in chains) == 1
    assert ops(plan).index("detach_user_policy:old0") < ops(plan).index("delete_policy:old0")
    assert "detaches first" in " ".join(
        str(line)
        for line in kinds.by_type("user").details(  # type: ignore[union-attr]
            plan.changes[1]
        )
    )
    # Below the quota, the usual order: attach new before the old one goes.
    roomy = plan_of(files, {"u": {"policies": [*old[1:], "new"]}}, state, quota=20)
    assert ops(roomy).index("attach_user_policy:new") < ops(roomy).index("detach_user_policy:old0")


def test_at_ten_groups_the_old_group_is_left_before_joining() -> None:
    old = frozenset(f"g{i}" for i in range(10))
    state = live(live_user("u", groups=old), groups=old | {"new"})
    keep = sorted(old - {"g0"})
    plan = plan_of({}, {"u": {"groups": [*keep, "new"]}}, state)
    stages = chain_ops(plan)
    assert stages[1] == [["remove_user_from_group", "add_user_to_group"]]
    assert len(stages) == 2  # nothing left for the revoke stage


def test_at_fifty_tags_the_old_tag_goes_before_the_new_ones_are_set() -> None:
    # 48 own tags + managed-by + iamsync-commit = IAM's 50: a new key fits only after one goes
    tags = {f"k{i}": "v" for i in range(48)}
    state = live(live_user("u", tags={**tags, "managed-by": "iamsync"}))
    wanted = {k: v for k, v in tags.items() if k != "k0"} | {"new": "v"}
    assert ops(plan_of({}, {"u": {"tags": wanted}}, state)) == ["untag_user:u", "tag_user:u"]
    # With room, the old tag goes last, after what grants.
    roomy = {k: v for k, v in list(tags.items())[:10]}
    state = live(live_user("u", tags={**roomy, "managed-by": "iamsync"}))
    wanted = {k: v for k, v in roomy.items() if k != "k0"} | {"new": "v"}
    assert ops(plan_of({}, {"u": {"tags": wanted}}, state)) == ["tag_user:u", "untag_user:u"]


def test_deleting_a_policy_a_file_still_names_by_arn_is_a_conflict() -> None:
    state = live(live_policy("p", doc("s3:A")), live_user("u", P + "p"))
    with pytest.raises(PlanConflict, match="still names it") as raised:
        plan_of({}, {"u": {"policies": [P + "p"]}}, state)
    assert raised.value.conflicts[0].code == "POLICY_IN_USE"
    with pytest.raises(PlanConflict, match="still names it"):
        plan_of({}, {"u": {"permissions_boundary": P + "p"}}, state)


def test_prune_comes_before_the_new_default_version() -> None:
    state = live(live_policy("p", *(doc(f"s3:A{i}") for i in range(5))))
    assert ops(plan_of({"p": doc("s3:New")}, {}, state)) == [
        "delete_policy_version:v1",
        "create_policy_version:p",
        "tag_policy:p",
    ]
    create = calls.flat(calls.to_calls(plan_of({"p": doc("s3:New")}, {}, state), "c"))[1]
    assert create.params["SetAsDefault"] is True
    assert normalize.equal(create.params["PolicyDocument"], doc("s3:New"))


def test_reactivation_sets_the_default_and_creates_nothing() -> None:
    state = live(live_policy("p", doc("s3:Old"), doc("s3:Now")))
    assert ops(plan_of({"p": doc("s3:Old")}, {}, state)) == [
        "set_default_policy_version:v1",
        "tag_policy:p",
    ]


def test_detach_everywhere_before_deleting_a_policy_and_versions_before_policy() -> None:
    state = live(
        live_policy("gone", doc("s3:A"), doc("s3:B"), doc("s3:C"), default=2),
        live_user("u", P + "gone", AWS_RO),
    )
    assert ops(plan_of({}, {"u": {"policies": [AWS_RO]}}, state)) == [
        "tag_user:u",
        "detach_user_policy:gone",
        "delete_policy_version:v1",
        "delete_policy_version:v3",
        "delete_policy:gone",
    ]


def test_user_deletion_removes_what_blocks_it_first() -> None:
    state = live(
        live_policy("p", doc("s3:A")),
        live_user(
            "u",
            P + "p",
            groups=frozenset({"ops"}),
            inline_policies=("inl",),
            permissions_boundary=AWS_RO,
        ),
    )
    creds = {
        "u": Credentials(
            access_keys=("AKIA1", "AKIA2"),
            login_profile=True,
            mfa_devices=(f"arn:aws:iam::{ACCOUNT}:mfa/u",),
            signing_certificates=("cert",),
            ssh_public_keys=("ssh",),
            service_credentials=("svc",),
        )
    }
    assert ops(plan_of({"p": doc("s3:A")}, {}, state, creds)) == [
        "delete_access_key:AKIA1",
        "delete_access_key:AKIA2",
        "delete_login_profile:u",
        "deactivate_mfa_device:u",
        "delete_virtual_mfa_device:None",
        "delete_signing_certificate:u",
        "delete_ssh_public_key:u",
        "delete_service_specific_credential:u",
        "remove_user_from_group:ops",
        "delete_user_policy:inl",
        "detach_user_policy:p",
        "delete_user:u",  # a boundary does not block DeleteUser: it is never removed
    ]


def test_under_a_required_boundary_a_user_without_it_gets_it_before_anything_else() -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/iamsync-boundary"
    state = live(live_policy("p", doc("s3:A")), live_user("old", P + "p"), live_user("new"))
    plan = plan_of({"p": doc("s3:A")}, {"new": {}}, state, required_boundary=boundary)
    assert ops(plan) == [
        "tag_user:new",
        "put_user_permissions_boundary:new",
        "put_user_permissions_boundary:old",
        "detach_user_policy:p",
        "delete_user:old",
    ]


def test_deleted_users_go_before_deleted_policies() -> None:
    state = live(live_policy("p", doc("s3:A")), live_user("u", P + "p"))
    assert ops(plan_of({}, {}, state)) == [
        "detach_user_policy:p",
        "delete_user:u",
        "delete_policy:p",
    ]


def test_joining_a_group_is_a_grant_and_leaving_one_comes_after() -> None:
    state = live(live_user("u", groups=frozenset({"old"})), groups=frozenset({"old", "new"}))
    plan = plan_of({}, {"u": {"groups": ["new"], "policies": [AWS_RO]}}, state)
    stages = [
        [c.operation for chain in stage for c in chain] for stage in calls.to_calls(plan, "c")
    ]
    assert stages == [
        ["tag_user"],
        ["attach_user_policy", "add_user_to_group"],  # grants: new before old goes
        ["remove_user_from_group"],
    ]


def test_stages_are_independent_chains() -> None:
    plan = plan_of({"a": doc("s3:A"), "b": doc("s3:B")}, {"u": {"policies": ["a", "b"]}}, live())
    stages = calls.to_calls(plan, "c")
    assert [len(stage) for stage in stages] == [2, 1, 2]
    assert all(len(chain) == 1 for stage in stages for chain in stage)


def test_destructive_calls_are_marked() -> None:
    state = live(live_policy("p", doc("s3:A")), live_user("u", P + "p"))
    flagged = {
        c.operation: c.is_destructive
        for c in calls.flat(calls.to_calls(plan_of({}, {}, state), "c"))
    }
    assert flagged == {"detach_user_policy": True, "delete_user": True, "delete_policy": True}


def test_saved_plan_round_trips() -> None:
    state = live(
        live_policy("p", *(doc(f"s3:A{i}") for i in range(5))),
        live_user("gone", P + "p", groups=frozenset({"g"})),
    )
    plan = plan_of(
        {"p": doc("s3:New"), "q": doc("s3:Q")},
        {"u": {"policies": ["q"], "tags": {"t": "v"}}},
        state,
        {"gone": Credentials(access_keys=("AK",))},
    )
    again = planfile.loads(planfile.dumps(plan))
    assert again == plan
    assert calls.to_calls(again, "c") == calls.to_calls(plan, "c")
    assert {c.action for c in plan.changes} == {Action.CREATE, Action.UPDATE, Action.DELETE}


def test_what_a_create_sets_reads_as_new() -> None:
    """A new user or role: "+" for its boundary, tags, description and session length,
    as Terraform users expect (never "~", never a bare "tags:" line)."""
    from iamsync.render import describe

    boundary = f"arn:aws:iam::{ACCOUNT}:policy/guard"
    plan = plan_of(
        {},
        {"ci": {"tags": {"team": "x"}}},
        live(live_policy("guard", doc("s3:GetObject"), path="/")),
        required_boundary=boundary,
    )
    lines = [str(line) for line in describe.details(plan.changes[0])]
    assert f"+ permissions boundary {boundary}" in lines
    assert "+ tag team = 'x'" in lines
    assert not [line for line in lines if line.startswith(("~", "tags:"))]
