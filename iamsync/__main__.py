"""Run iamsync as `python -m iamsync`."""

import sys

from iamsync.cli import main

sys.exit(main())
