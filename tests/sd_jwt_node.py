"""Calling the independent SD-JWT implementation (tests/node/sd_jwt.mjs, npm @sd-jwt/*)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.independent_jose import NODE_DIR


def require_sd_jwt_node() -> None:
    modules = NODE_DIR / "node_modules" / "@sd-jwt"
    if shutil.which("node") is None or not (modules / "sd-jwt-vc").is_dir():
        pytest.skip("node or tests/node/node_modules/@sd-jwt is absent: run `npm ci` in tests/node")


def sd_jwt_node(request: dict[str, Any]) -> dict[str, Any]:
    """Run one operation of tests/node/sd_jwt.mjs (see its header) and return its answer."""
    result = subprocess.run(
        ["node", str(NODE_DIR / "sd_jwt.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=NODE_DIR,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer
