"""Architecture rules: vcore stays pure, apps stay independent, issuer layers hold."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_jose_imports_pyjwt() -> None:
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] not in {
            "vcore",
            "trustid_http",
            "issuer",
            "verifier",
            "wallet_cli",
        }:
            continue
        text = path.read_text(encoding="utf-8")
        if path != ROOT / "vcore" / "jose.py" and ("import jwt" in text or "from jwt" in text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
