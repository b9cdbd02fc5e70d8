#!/usr/bin/env python
"""Soak-test incremental sync against the Redmine in REDMINE_BASE_URL / REDMINE_API_KEY.

Same as ``rrag ops soak`` (see ``--help``), e.g.::

    python scripts/ops/soak_sync.py --iterations 3 --project-id 1
    python scripts/ops/soak_sync.py --iterations 20 --project-id 1 --inject-changes 3 \\
        --report runbooks/runs/soak.json

Exit code 0 when the verdict passes, 1 when it fails, 2 on bad input.
"""

from __future__ import annotations

import sys

from rrag.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["ops", "soak", *sys.argv[1:]]))
