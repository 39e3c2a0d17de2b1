"""Every problem code iamsync reports: its fixed severity and one line of help (pure data).

A code's severity never depends on where it is raised; iamsync.json's validation.ignore
may silence warnings by code, and only codes listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Code:
    severity: Severity
    help: str


E, W = Severity.ERROR, Severity.WARNING

CODES: dict[str, Code] = {
    # -- reading files
    "UNREADABLE": Code(E, "a file that cannot or must not be read (a link, a pipe, too large)"),
    "NOT_READ": Code(W, "a file in a kind's folder that is not .json: not read"),
    "IGNORED_BY_GIT": Code(W, "a file Git ignores: iamsync reads only what Git would commit"),
    "ENCODING": Code(E, "the file is not UTF-8"),
    "EMPTY_FILE": Code(E, "the file is empty"),
    "JSON_SYNTAX": Code(E, "the file is not valid JSON"),
    "DUPLICATE_KEY": Code(E, "a key appears twice in one object"),
    "TOO_DEEP": Code(E, "nesting deeper than any IAM document"),
    "INVALID_NAME": Code(E, "a file or group name that is not a valid IAM name"),
    "DUPLICATE_NAME": Code(E, "two files define the same IAM name (case-insensitively)"),
    "UNKNOWN_TARGET": Code(E, "a folder under targets/ that names no target of iamsync.json"),
    "TARGET_NOT_LISTED": Code(W, "a folder under targets/ for an account Organizations may find"),
    # -- schema
    "UNKNOWN_KEY": Code(E, "a key the file's schema does not have (a typo?)"),
    "MISSING_KEY": Code(E, "a required key is missing"),
    "NOT_ALLOWED": Code(E, "a key that is not allowed in this kind of document"),
    "INVALID_VALUE": Code(E, "a value outside what the schema allows"),
    "WRONG_TYPE": Code(E, "a value of the wrong JSON type"),
    "EMPTY_VALUE": Code(E, "an empty value where one is required"),
    "SCHEMA": Code(E, "another schema violation"),
    "UNKNOWN_CODE": Code(E, "validation.ignore names a code iamsync does not have"),
    "CANNOT_IGNORE": Code(E, "validation.ignore names an error; only warnings can be silenced"),
    # -- templating
    "UNKNOWN_VARIABLE": Code(E, "a {{Variable}} with no value"),
    # -- policy documents
    "MISSING_ACTION": Code(E, "a statement without Action or NotAction"),
    "MISSING_RESOURCE": Code(E, "an identity-policy statement without Resource or NotResource"),
    "MISSING_PRINCIPAL": Code(E, "a trust-policy statement without Principal"),
    "UNSUPPORTED_ELEMENT_COMBINATION": Code(E, "both Action and NotAction, or both forms"),
    "UNSUPPORTED_SID": Code(E, "a Sid with characters other than letters and digits"),
    "DUPLICATE_SID": Code(E, "two statements with one Sid"),
    "VARIABLES_NEED_2012_VERSION": Code(W, "policy variables under Version 2008-10-17"),
    "INVALID_ACTION_FORMAT": Code(E, "an action that is not service:Action"),
    "INVALID_SERVICE": Code(E, "a misspelled service"),
    "UNKNOWN_SERVICE": Code(W, "a service the catalog does not know (newer, or retired)"),
    "INVALID_ACTION": Code(E, "a misspelled action, or a wildcard that matches none"),
    "UNKNOWN_ACTION": Code(W, "an action the catalog does not know (newer, or retired)"),
    "INVALID_ARN": Code(E, 'a Resource that is not "*" or a well-formed ARN'),
    "EMPTY_RESOURCE": Code(W, "an ARN with an empty resource part"),
    "RESOURCE_MISMATCH": Code(W, "an ARN or an action the statement grants nothing with"),
    "MISSING_REQUIRED_RESOURCE": Code(W, "an action allowed on some of the resources it needs"),
    "INVALID_CONDITION_OPERATOR": Code(E, "an unknown or misspelled condition operator"),
    "NULL_WITH_IF_EXISTS": Code(E, "Null with IfExists or a set qualifier"),
    "INVALID_CONDITION_KEY_FORMAT": Code(E, "a condition key that is not service:name"),
    "UNKNOWN_CONDITION_KEY": Code(W, "a condition key the catalog does not know"),
    "INVALID_CONDITION_VALUE": Code(E, "a condition value of the wrong type"),
    "CONDITION_TYPE_MISMATCH": Code(W, "an operator for another type than the key's"),
    "CONDITION_KEY_NOT_APPLICABLE": Code(W, "a condition key some of the actions never carry"),
    "FORALLVALUES_WITH_SINGLE_VALUED_KEY": Code(W, "ForAllValues on a single-valued key"),
    "INVALID_CHARACTER": Code(E, "a character IAM does not accept in a policy"),
    "POLICY_TOO_LARGE": Code(E, "over IAM's size limit for this kind of policy"),
    "PASS_ROLE_WITH_STAR_IN_RESOURCE": Code(
        W, "iam:PassRole of any role to a service that acts with it"
    ),
    # -- trust policies
    "INVALID_PRINCIPAL": Code(E, "a Principal IAM does not accept"),
    "OIDC_WITHOUT_SUBJECT": Code(E, "an OIDC trust without a subject condition: anyone may assume"),
    "OIDC_WITHOUT_AUDIENCE": Code(W, "an OIDC trust without an audience condition"),
    "FEDERATED_WITHOUT_AUDIENCE": Code(
        E, "a public identity provider's trust without its application: anyone may assume"
    ),
    "TRUST_ANYONE": Code(E, "Principal * (or NotPrincipal) with nothing pinning the caller"),
    # -- users, groups, roles
    "UNKNOWN_POLICY": Code(E, "a policy name with no file in policies/"),
    "INVALID_POLICY_ARN": Code(E, "a policy reference that is not a managed policy ARN"),
    "DUPLICATE_POLICY": Code(E, "a policy listed twice"),
    "TOO_MANY_POLICIES": Code(E, "more managed policies than IAM's quota"),
    "DUPLICATE_GROUP": Code(E, "a group listed twice"),
    "TOO_MANY_GROUPS": Code(E, "more groups than IAM allows per user"),
    "INVALID_TAG": Code(E, "a tag IAM does not accept"),
    "DUPLICATE_TAG": Code(E, "two tag keys equal but for case"),
    "TOO_MANY_TAGS": Code(E, "more tags than IAM allows"),
    "BOUNDARY_NOT_ALLOWED": Code(E, "a boundary other than the one iamsync.json requires"),
    "INLINE_POLICIES_TOO_LARGE": Code(E, "a principal's inline policies over IAM's total"),
    "INVALID_RENAME": Code(E, "renamed_from names no other file's old name, or itself"),
    # -- planning against live IAM
    "NAME_TAKEN": Code(E, "the name exists outside the ownership prefix"),
    "NAME_CASE_DIFFERS": Code(E, "the name exists with another case"),
    "UNKNOWN_GROUP": Code(E, "a group that does not exist"),
    "GROUP_OUTSIDE_PREFIX": Code(E, "a group outside the prefix under a required boundary"),
    "POLICY_IN_USE": Code(E, "a policy to delete that something unowned still uses"),
    "UNKNOWN_POLICY_ARN": Code(E, "a policy ARN that does not exist in the account"),
    "RENAME_CONFLICT": Code(E, "a rename whose old and new names both exist"),
    "BOUNDARY_MISSING": Code(E, "the required permissions boundary is not in the account"),
}


class Risk(StrEnum):
    """A finding's severity in an access review (--fail-on LEVEL)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1}[self.value]


@dataclass(frozen=True)
class Finding:
    risk: Risk
    help: str


H, M = Risk.HIGH, Risk.MEDIUM

# Risk findings of the access review: on a principal's effective access after the change.
FINDINGS: dict[str, Finding] = {
    "ADMIN_EQUIVALENT": Finding(H, "every action (*:* or iam:*) on every resource"),
    "IAM_PRIVILEGE_ESCALATION": Finding(
        H,
        "an IAM write that grants more access: policies, versions, boundaries, groups, "
        "credentials of other users, on any resource or on the principal itself",
    ),
    "PASSROLE_TO_LAUNCHER": Finding(
        H, "iam:PassRole on any role with a service that runs code under it"
    ),
    "CREATE_ROLE_WITHOUT_BOUNDARY": Finding(
        H, "create a role or user, give it any policy: no boundary condition on the create"
    ),
    "COMPUTE_TAKEOVER": Finding(
        H, "change code that already runs with a role (functions, stacks, instances, notebooks)"
    ),
    "ASSUMES_BEYOND_BOUNDARY": Finding(
        H, "may assume a role of the account that does not have its permissions boundary"
    ),
    "POWERFUL_ROLE_ASSUMABLE": Finding(
        H, "a role with a high finding of its own that AWS principals may assume"
    ),
    "ANYONE_MAY_ASSUME": Finding(H, "a role anyone (any AWS account) may assume"),
    "REACHES_IAMSYNC": Finding(H, "access to iamsync's own roles, boundary or stack"),
    "RESOURCE_EXPOSURE": Finding(
        H, "permissions management (resource policies, grants) on every resource"
    ),
    "PASSROLE_TO_SERVICE": Finding(
        M, "iam:PassRole on any role with a service that then acts with it"
    ),
    "ASSUME_ANY_ROLE": Finding(M, "sts:AssumeRole on every role"),
    "SERVICE_WILDCARD": Finding(M, "every action of a service (svc:*) on every resource"),
    "ALLOW_NOT_ACTION": Finding(M, "an Allow with NotAction: everything but a list"),
    "CREDENTIAL_EXPOSURE": Finding(M, "secrets, parameters or decryption on every resource"),
    "CROSS_ACCOUNT_TRUST": Finding(M, "a role another account (or anyone) may assume"),
}


def severity(code: str) -> Severity:
    """The code's fixed severity; an unregistered code is a bug of iamsync (KeyError)."""
    return CODES[code].severity
