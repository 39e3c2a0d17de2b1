"""iamsync: Git as the source of truth for AWS IAM."""

__version__ = "0.1.0"
