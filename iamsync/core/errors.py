"""The one exception root: anything that means "iamsync cannot continue"."""

from __future__ import annotations


class IamsyncError(Exception):
    """Raised when a run cannot continue; cli.main prints it as one line and exits 1."""


class ConfigError(IamsyncError):
    """The command line or the environment asks for something impossible."""
