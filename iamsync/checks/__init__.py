"""Semantic checks: each module yields Problems for one aspect of a file; none stops early."""
