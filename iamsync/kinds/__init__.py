"""The registered IAM kinds, in the order their changes are shown and created.

Adding a kind is one module here (its Kind object), its schema and its tests; the stages
(validate, desired, live, plan, calls, plan file, renderers, import) loop over KINDS.
"""

from __future__ import annotations

from iamsync.kinds import group, managed_policy, role, user
from iamsync.kinds.base import Kind

KINDS: tuple[Kind, ...] = (managed_policy.KIND, user.KIND, group.KIND, role.KIND)
BY_TYPE: dict[str, Kind] = {k.type: k for k in KINDS}
