"""Copy bootstrap/policies/*.json into the CloudFormation template (the files are reviewed;
the template must carry exactly them). Run after editing a policy file:

    python tools/bootstrap_template.py

tests/test_bootstrap.py fails while the two differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BOOTSTRAP = Path(__file__).resolve().parent.parent / "bootstrap"
TEMPLATE = BOOTSTRAP / "iamsync-roles.template.json"
# The same roles and boundary for every member account of an organization, deployed as a
# service-managed StackSet to OUs: the single-account template, whose roles also trust the
# orchestrator's roles (the accounts CI signs in to, which then assume these per target).
STACKSET = BOOTSTRAP / "iamsync-member-roles.stackset.json"


def to_cfn(value: Any) -> Any:
    """{{Partition}} and {{AccountId}} become CloudFormation's Fn::Sub variables."""
    if isinstance(value, str) and "{{" in value:
        text = value.replace("{{Partition}}", "${AWS::Partition}")
        return {"Fn::Sub": text.replace("{{AccountId}}", "${AWS::AccountId}")}
    if isinstance(value, dict):
        return {k: to_cfn(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_cfn(v) for v in value]
    return value


def policy(name: str) -> Any:
    return to_cfn(json.loads((BOOTSTRAP / "policies" / f"{name}.json").read_text()))


def main() -> None:
    template = json.loads(TEMPLATE.read_text())
    resources = template["Resources"]
    for role in ("PlanRole", "ApplyRole"):
        for entry in resources[role]["Properties"]["Policies"]:
            entry["PolicyDocument"] = policy(entry["PolicyName"])
    resources["PermissionsBoundary"]["Properties"]["PolicyDocument"] = policy("iamsync-boundary")
    TEMPLATE.write_text(json.dumps(template, indent=2) + "\n")
    STACKSET.write_text(json.dumps(stackset(template), indent=2) + "\n")


def stackset(single: dict[str, Any]) -> dict[str, Any]:
    """The member-account template: the single-account one, plus a trust of the
    orchestrator's roles (sts:AssumeRole) when OrchestratorRoleArns names them."""
    template = json.loads(json.dumps(single))
    template["Description"] = (
        "iamsync member accounts (a service-managed StackSet, deployed to OUs): the same "
        "plan and apply roles and permissions boundary as the single-account stack, "
        "trusting the repository's OIDC identity, and the orchestrator's roles that plan "
        "and apply every target"
    )
    template["Parameters"]["OrchestratorRoleArns"] = {
        "Type": "CommaDelimitedList",
        "Default": "",
        "Description": "The roles in the account CI signs in to (its iamsync-plan and "
        "iamsync-apply) that assume these roles in each target; empty: OIDC only",
    }
    template.setdefault("Conditions", {})["HasOrchestrator"] = {
        "Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "OrchestratorRoleArns"}]}, ""]}]
    }
    for role in ("PlanRole", "ApplyRole"):
        trust = template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]
        trust["Statement"].append(
            {
                "Fn::If": [
                    "HasOrchestrator",
                    {
                        "Sid": "TheOrchestratorsRolesOnly",
                        "Effect": "Allow",
                        "Principal": {"AWS": {"Ref": "OrchestratorRoleArns"}},
                        "Action": "sts:AssumeRole",
                    },
                    {"Ref": "AWS::NoValue"},
                ]
            }
        )
    return template


if __name__ == "__main__":
    main()
