#!/usr/bin/env python3
"""The repository's entry point: `python sync.py --validate | --plan | --apply | --import`."""

import sys
from pathlib import Path

# Running from a checkout without `pip install -e .` still finds the package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from iamsync.cli import main

if __name__ == "__main__":
    sys.exit(main())
