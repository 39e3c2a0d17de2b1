"""What every IAM kind provides, and the shared vocabulary of changes and ordering stages.

A kind (managed policy, user, group, role) is one module with one `Kind` object: its
folder and schema, its checks, how a file becomes a desired record, how a GAAD page
becomes live records, its diff, its calls per stage, its words in a plan, and its file
when imported. The stages loop over the registered kinds; none names one.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from iamsync.core.lines import Line
from iamsync.core.model import Desired, Live

if TYPE_CHECKING:
    from iamsync.core.ownership import Conflict
    from iamsync.core.problems import Problem
    from iamsync.files.source import Source
    from iamsync.iam.catalog import Catalog


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"

    @property
    def is_destructive(self) -> bool:
        return self is Action.DELETE

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-"}[self.value]


@dataclass(frozen=True)
class Change:
    """One resource's change. Each kind extends it with what its calls and words need."""

    action: Action
    name: str
    arn: str
    type: str = field(default="", init=False)  # the kind's type; set by each subclass


def renamed_pairs(
    changes: Iterable[Any], document_of: Callable[[Any], Any]
) -> list[tuple[Any, Any]]:
    """(created, deleted) pairs with the same document: a file renamed where IAM cannot
    rename (a policy, a role). `document_of(change)` is what identifies it (canonical)."""
    from iamsync.iam import normalize

    def key(change: Any) -> str:
        return normalize.dumps(normalize.canonical(document_of(change)))

    changes = list(changes)
    deleted = {key(c): c for c in changes if c.action is Action.DELETE}
    pairs = []
    for c in changes:
        if c.action is Action.CREATE:
            old = deleted.pop(key(c), None)
            if old is not None:
                pairs.append((c, old))
    return pairs


@dataclass(frozen=True)
class DocumentRef:
    """One document a change edits. `form` is what kind of policy it is ("identity":
    what its holder may do; "trust": who may assume a role), so a checker picks the
    rules; `repeated`: the same document another change shows (a renamed file), so a
    plan prints it once. `after` None: the document goes."""

    label: str  # "" for the resource's own document; "inline policy x", "trust policy"
    before: Any
    after: Any
    form: str = "identity"
    repeated: bool = False


class Access(StrEnum):
    """What a kind's records are to the access review (a kind without `access`: NONE).

    The review reads records by these roles, never by kind: a PRINCIPAL holds managed
    documents (`attached` live, `policies` desired), `inline` ones, a `permissions_boundary`,
    maybe `groups` (names of GROUP records) and, when others may assume it, a `trust`
    policy; a GROUP holds documents the same way and passes them to its members; a
    DOCUMENT is a managed policy that principals and groups hold by ARN (the kind's
    `managed_document(record)` is its content on that side)."""

    NONE = "none"
    DOCUMENT = "document"
    GROUP = "group"
    PRINCIPAL = "principal"


class Stage(IntEnum):
    """The ordering rules, as data: stages run one after another, in this order."""

    POLICIES = 1  # managed policies: create, new default version (before anything attaches)
    PRINCIPALS = 2  # create, rename or update users, groups, roles (trust, boundary, tags)
    GRANT = 3  # attach managed policies, put inline policies, join groups (new before old)
    REVOKE = 4  # detach, delete inline policies, leave groups, untag, remove a boundary
    DELETE_PRINCIPALS = 5  # delete users and roles, what blocks their deletion first
    DELETE_GROUPS = 6  # delete groups, after users left them
    DELETE_POLICIES = 7  # delete managed policies, after every detach


@dataclass(frozen=True)
class Call:
    operation: str  # the boto3 client method, e.g. "create_policy"
    params: Mapping[str, Any]
    resource: str  # display only: "policy deploy", "user ci"
    service: str = "iam"  # whose client makes it (the kind's service)

    @property
    def is_destructive(self) -> bool:
        return self.operation.startswith(("delete_", "detach_", "remove_", "deactivate_", "untag_"))

    def describe(self) -> str:
        shown = {
            k: v
            for k, v in self.params.items()
            if k not in ("PolicyDocument", "Tags", "AssumeRolePolicyDocument")
        }
        args = ", ".join(f"{k}={v}" for k, v in shown.items())
        return f"{self.operation}({args})"


Chain = tuple[Call, ...]


@dataclass(frozen=True)
class CallContext:
    prefix: str
    commit: str


@dataclass(frozen=True)
class CheckContext:
    """What a kind's checks may consult besides its own file."""

    catalog: Catalog
    names: Mapping[str, Mapping[str, str]]  # kind -> lower-case name -> name, of its files
    quota: int  # managed policies per principal
    required_boundary: str | None  # iamsync.json's permissions_boundary, rendered


@dataclass(frozen=True)
class BuildContext:
    account_id: str
    partition: str
    path_prefix: str
    required_boundary: str | None

    def policy_arn(self, ref: str) -> str:
        """A policy reference of a file (a name from policies/, or an ARN) as an ARN."""
        if ref.startswith("arn:"):
            return ref
        return f"arn:{self.partition}:iam::{self.account_id}:policy{self.path_prefix}{ref}"

    def arn(self, noun: str, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:{noun}{self.path_prefix}{name}"


@dataclass(frozen=True)
class DiffContext:
    """Facts that cross kinds, computed once per plan."""

    desired: Desired
    live: Live
    # policy ARN -> owned principals ("user ci") that hold it now / will hold it
    attached_by: Mapping[str, frozenset[str]]
    wanted_by: Mapping[str, frozenset[str]]
    # kind -> old name -> new name, for the renames the plan makes (users, groups)
    renames: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class AdoptContext:
    live: Live
    prefix: str
    policy_names: Mapping[str, str]  # owned policy ARN -> its name (written as a name)
    required_boundary: str | None = None  # iamsync.json's, rendered: a file never repeats it

    def reference(self, arn: str) -> str:
        return self.policy_names.get(arn) or self.template(arn)

    def template(self, value: Any) -> Any:
        """The account's id and partition inside ARNs become {{AccountId}}, {{Partition}}."""
        if isinstance(value, str):
            return value.replace(f"arn:{self.live.partition}:", "arn:{{Partition}}:").replace(
                f":{self.live.account_id}:", ":{{AccountId}}:"
            )
        if isinstance(value, list):
            return [self.template(v) for v in value]
        if isinstance(value, dict):
            return {k: self.template(v) for k, v in value.items()}
        return value


@dataclass(frozen=True)
class LiveSource:
    """What a kind reads its live records from: the bulk read's pages (IAM kinds), or its
    service's client (any other kind lists its own)."""

    pages: list[Mapping[str, Any]]  # GetAccountAuthorizationDetails
    client: Callable[[str], Any]  # service -> boto3 client


@dataclass(frozen=True)
class Need:
    """Why a run reads beyond the bulk read: a plan of `desired`, or (desired None) an
    import that writes files for owned records `present` (kind -> names with a file) lacks."""

    prefix: str
    desired: Desired | None = None
    present: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class Unanswered(StrEnum):
    """What an optional read's fold gets instead of a reply."""

    ABSENT = "absent"  # IAM says there is none (NoSuchEntity)
    UNREAD = "unread"  # the endpoint could not answer (no such call, a garbled reply)


@dataclass(frozen=True)
class Read:
    """A read beyond the bulk one that a kind asks for to complete one of its live records
    (optional hook `reads(live, need)`). The aws layer makes the call and says what
    failed; the kind folds the answer (the reply, or its pages) into the record. An
    `optional` read that IAM answers with NoSuchEntity, or that the endpoint cannot answer,
    folds an Unanswered instead of stopping the run (refused access still stops it)."""

    name: str  # the record it completes
    operation: str  # the client's method, e.g. "get_role"
    params: Mapping[str, Any]
    fold: Callable[[Any, Any], Any]  # (record, answer) -> the completed record
    purpose: str  # what is read, for the error line: "the roles' descriptions"
    paginated: bool = False  # the answer is the list of pages
    optional: bool = False


class Kind(Protocol):
    """One IAM resource kind, everything about it behind one small interface."""

    @property
    def type(self) -> str:
        """ "policy" | "user" | "group" | "role": the plan's `type`."""
        ...

    @property
    def folder(self) -> str:
        """Its repository folder, e.g. "policies"."""
        ...

    @property
    def schema(self) -> str | Mapping[str, Any]:
        """Its JSON Schema: schema/<schema>.schema.json, or the schema itself."""
        ...

    @property
    def name_rule(self) -> re.Pattern[str]: ...

    @property
    def name_limit(self) -> str:
        """ "1-64", for messages."""
        ...

    @property
    def change_class(self) -> builtins.type[Change]:
        """Its Change subclass ("type" above is the kind's name)."""
        ...

    def check(self, source: Source, name: str, value: Any, ctx: CheckContext) -> Iterable[Problem]:
        """Semantic checks of one schema-valid, rendered file."""
        ...

    def build(self, name: str, value: Any, ctx: BuildContext) -> Any:
        """The desired record of one valid, rendered file."""
        ...

    @property
    def service(self) -> str:
        """The AWS service whose client reads and writes it ("iam")."""
        ...

    def read(self, source: LiveSource) -> dict[str, Any]:
        """Live records, by name: from the bulk read's pages, or its own list calls."""
        ...

    def conflicts(self, desired: Desired, live: Live) -> Iterable[Conflict]:
        """What this kind's files ask that must not be done (beyond name collisions)."""
        ...

    def diff(self, ctx: DiffContext) -> Iterable[Change]: ...

    def calls(self, change: Any, stage: Stage, ctx: CallContext) -> Iterable[Chain]: ...

    def details(self, change: Any) -> list[Line]:
        """One line per effect, most important first (core/lines: a line says whether it
        adds, removes, changes or notes, and whether it belongs to the one above)."""
        ...

    def documents(self, change: Any) -> list[DocumentRef]:
        """Each document the change edits: shown as a diff, checked by Access Analyzer."""
        ...

    def fingerprint(self, record: Any) -> list[Any]:
        """What of a live record a saved plan depends on (JSON-able)."""
        ...

    def adopt(self, record: Any, ctx: AdoptContext) -> dict[str, Any]:
        """The repository file that reproduces an owned live record exactly."""
        ...
