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


if __name__ == "__main__":
    main()
