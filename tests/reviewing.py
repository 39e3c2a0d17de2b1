"""The access review as the pipeline runs it: with the registered kinds' access roles."""

from __future__ import annotations

from functools import partial
from typing import Any

from iamsync import kinds
from iamsync.access import review as _review
from iamsync.core.model import Desired, Live

review = partial(_review.review, roles=kinds.access_roles())


def aws_managed(desired: Desired, live: Live) -> Any:
    return _review.aws_managed(desired, live, kinds.access_roles())
