"""The test suite's IAM endpoint: moto's server, with the gaps local mode fills filled.

Run as `python -m tests.moto_server -H 127.0.0.1 -p PORT` (conftest starts it).
"""

from __future__ import annotations

import sys

from moto.server import main

from iamsync.aws.local import fill_moto_gaps

if __name__ == "__main__":
    fill_moto_gaps()
    sys.exit(main())
