"""Shared vocabulary: errors, problems and codes, the state model, ownership, safe text."""
