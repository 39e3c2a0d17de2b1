"""The one exception root: anything that means "iamsync cannot continue"."""

from __future__ import annotations


class IamsyncError(Exception):
    """Raised when a run cannot continue; cli.main prints it as one line and exits 1."""


class ConfigError(IamsyncError):
    """The command line or the environment asks for something impossible."""


class LocatedError(IamsyncError):
    """An error in an input file, already a whole `FILE:LINE:COL: error: …` line: printed
    as it is, not after "iamsync: error:"."""
