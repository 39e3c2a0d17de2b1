"""Generate a large, valid policy repository for benchmarks (deterministic)."""

from __future__ import annotations

import json
import random
from pathlib import Path

_ACTIONS = {
    "s3": ["GetObject", "PutObject", "DeleteObject"],
    "s3-bucket": ["ListBucket", "GetBucketLocation"],  # a bucket's actions take its own ARN
    "ecr": [
        "BatchGetImage",
        "PutImage",
        "InitiateLayerUpload",
        "UploadLayerPart",
        "CompleteLayerUpload",
        "BatchCheckLayerAvailability",
    ],
    "ecs": ["UpdateService", "DescribeServices"],
    "logs": ["CreateLogStream", "PutLogEvents"],
    "dynamodb": ["GetItem", "PutItem", "Query", "Scan", "UpdateItem"],
    "sqs": ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"],
}
_RESOURCES = {
    "s3": "arn:{{Partition}}:s3:::bucket-{n}/*",
    "s3-bucket": "arn:{{Partition}}:s3:::bucket-{n}",
    "ecr": "arn:{{Partition}}:ecr:{{Region}}:{{AccountId}}:repository/repo-{n}",
    "ecs": "arn:{{Partition}}:ecs:{{Region}}:{{AccountId}}:service/cluster-{n}/svc-{n}",
    "logs": "arn:{{Partition}}:logs:{{Region}}:{{AccountId}}:log-group:/app/{n}:*",
    "dynamodb": "arn:{{Partition}}:dynamodb:{{Region}}:{{AccountId}}:table/table-{n}",
    "sqs": "arn:{{Partition}}:sqs:{{Region}}:{{AccountId}}:queue-{n}",
}


def policy(rng: random.Random, n: int) -> dict[str, object]:
    statements = []
    for i, service in enumerate(rng.sample(sorted(_ACTIONS), rng.randint(1, 3))):
        actions = rng.sample(_ACTIONS[service], rng.randint(1, len(_ACTIONS[service])))
        statement: dict[str, object] = {
            "Sid": f"Statement{i}",
            "Effect": "Allow",
            "Action": [f"{service.partition('-')[0]}:{a}" for a in actions],
            "Resource": _RESOURCES[service].replace("{n}", str(n)),
        }
        if rng.random() < 0.3:
            statement["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def write(root: Path, policies: int, users: int, attachments: int = 3, seed: int = 7) -> None:
    """Write `policies` policy files and `users` user files under `root`."""
    rng = random.Random(seed)
    (root / "policies").mkdir(parents=True, exist_ok=True)
    (root / "users").mkdir(parents=True, exist_ok=True)
    for n in range(policies):
        text = json.dumps(policy(rng, n), indent=2)
        (root / "policies" / f"policy-{n:04d}.json").write_text(text + "\n")
    for n in range(users):
        chosen = sorted(rng.sample(range(policies), min(attachments, policies)))
        user = {
            "policies": [f"policy-{k:04d}" for k in chosen],
            "tags": {"team": f"team-{n % 17}", "owner": f"owner{n}@example.com"},
        }
        (root / "users" / f"user-{n:04d}.json").write_text(json.dumps(user, indent=2) + "\n")
