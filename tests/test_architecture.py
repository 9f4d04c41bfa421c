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


def _private_attribute_uses(source: str) -> list[str]:
    """``obj._name`` where ``obj`` is not ``self``/``cls``/``super()`` (dunders excepted)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or (name.startswith("__") and name.endswith("__")):
            continue
        base = node.value
        if isinstance(base, ast.Name) and base.id in {"self", "cls"}:
            continue
        if isinstance(base, ast.Call) and getattr(base.func, "id", None) == "super":
            continue
        found.append(f"{ast.unparse(node)} (line {node.lineno})")
    return found


def test_private_attribute_check_catches_the_old_pool_swap() -> None:
    assert _private_attribute_uses("transport._pool = pool\nself._pool = pool\n") == [
        "transport._pool (line 1)"
    ]


def test_no_code_that_uses_httpx_touches_private_attributes() -> None:
    """httpx's internals (``_transport``, ``_pool``...) are not an API; use public ones."""
    offenders = []
    for package in ("vcore", "trustid_http", "issuer", "verifier", "wallet_cli"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "httpx" not in text and "httpcore" not in text:
                continue
            offenders += [f"{path.relative_to(ROOT)}: {u}" for u in _private_attribute_uses(text)]
    assert offenders == []


def test_verifier_service_code_raises_no_http_status() -> None:
    """Only the HTTP edge (routes, problems, middleware, app) speaks HTTP statuses."""
    edge = {"problems.py", "limits.py", "headers.py", "app.py"}
    offenders = []
    for path in (ROOT / "verifier").rglob("*.py"):
        relative = path.relative_to(ROOT / "verifier")
        if relative.parts[0] == "api" or str(relative) in edge:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{relative}: {n}" for n in ("RequestProblem", "HTTPException") if n in text]
    assert offenders == []


def _message_comparisons(source: str) -> list[str]:
    """Comparisons on an exception's text: ``... in str(exc)``, ``exc.args[0] == ...``."""
    import ast

    def is_message(node: ast.AST) -> bool:
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "str":
            return any(getattr(a, "id", "") in {"e", "exc", "err", "error"} for a in node.args)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            return node.value.attr == "args"
        return isinstance(node, ast.Attribute) and node.attr == "detail"

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(
            is_message(side) for side in [node.left, *node.comparators]
        ):
            found.append(f"{ast.unparse(node)} (line {node.lineno})")
    return found


def test_message_comparison_check_catches_matching_on_text() -> None:
    assert _message_comparisons('if "HTTP 404" not in str(exc): pass\n') != []
    assert _message_comparisons("if exc.args[0] == 'x': pass\n") != []
    assert _message_comparisons("if exc.status == 404: pass\n") == []


def test_verifier_and_outbound_code_never_branch_on_error_text() -> None:
    offenders = []
    for package in ("verifier", "trustid_http"):
        for path in (ROOT / package).rglob("*.py"):
            found = _message_comparisons(path.read_text(encoding="utf-8"))
            offenders += [f"{path.relative_to(ROOT)}: {f}" for f in found]
    assert offenders == []
