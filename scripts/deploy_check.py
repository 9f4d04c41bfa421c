#!/usr/bin/env python3
"""The deployment check of docs/deploy.md (the code: ``scripts/deploycheck/``).

Usage: scripts/deploy_check.sh [--keep] [--postgres URL] [--redis URL] [--nginx PATH]
[--header-timeout S] [--body-timeout S] [--conn-limit N]; exits 0 when every row of the
table passed, 1 on any inconsistency, 2 when the layout could not be started.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.deploycheck.cli import main

if __name__ == "__main__":
    sys.exit(main())
