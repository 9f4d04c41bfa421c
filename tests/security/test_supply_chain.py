"""Supply chain (issue 9): no dependency below a release with a known advisory; bandit clean.

Each floor names the advisories it is there for. A package TrustID needs at run time
must be installed and at or above its floor; the others (pulled in by the test tools)
are checked when they are present. ``pyproject.toml`` must not allow a fresh install
below a floor either. ``pip-audit`` runs from ``scripts/test.sh``
(``scripts/pip_audit.py``) where its advisory source can be reached.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["vcore", "issuer", "verifier", "wallet_cli", "trustid_http"]

# (distribution, lowest acceptable release, needed at run time, advisories it is past)
FLOORS: list[tuple[str, str, bool, str]] = [
    (
        "pyjwt",
        "2.13",
        True,
        "DESIGN §4; CVE-2022-29217 (algorithm confusion with a public key as HMAC secret, "
        "fixed 2.4.0), CVE-2024-53861 (partial 'iss' match, fixed 2.10.1), GHSA-75c5-xw7c-p5pm",
    ),
    (
        "cryptography",
        "44.0.1",
        True,
        "CVE-2024-12797 (bundled OpenSSL: RPK server authentication, fixed 44.0.1), "
        "CVE-2024-26130 (PKCS#12 NULL dereference, fixed 42.0.4), "
        "CVE-2023-50782 (RSA decryption timing oracle, fixed 42.0.0)",
    ),
    (
        "pillow",
        "10.3.0",
        True,
        "CVE-2024-28219 (buffer overflow in _imagingcms, fixed 10.3.0), "
        "CVE-2023-50447 (code execution through ImageMath.eval, fixed 10.2.0)",
    ),
    (
        "starlette",
        "0.47.2",
        True,
        "CVE-2025-54121 (large multipart upload blocks the event loop, fixed 0.47.2), "
        "CVE-2024-47874 (multipart form fields without size limit, DoS, fixed 0.40.0)",
    ),
    (
        "python-multipart",
        "0.0.18",
        True,
        "CVE-2024-53981 (CPU exhaustion on data before the boundary, fixed 0.0.18), "
        "CVE-2024-24762 (Content-Type ReDoS, fixed 0.0.7)",
    ),
    (
        "fastapi",
        "0.109.1",
        True,
        "CVE-2024-24762 (form-data ReDoS, fixed 0.109.1)",
    ),
    (
        "h11",
        "0.16.0",
        True,
        "CVE-2025-43859 (lenient chunked-encoding parsing: request smuggling, fixed 0.16.0)",
    ),
    ("idna", "3.7", True, "CVE-2024-3651 (quadratic-time encode: DoS, fixed 3.7)"),
    ("certifi", "2024.7.4", False, "CVE-2024-39689 (GLOBALTRUST roots, removed 2024.7.4)"),
    (
        "requests",
        "2.32.4",
        False,
        "CVE-2024-47081 (.netrc credentials to the wrong host, fixed 2.32.4)",
    ),
    ("urllib3", "2.5.0", False, "CVE-2025-50181 (redirects not disabled per pool, fixed 2.5.0)"),
    ("werkzeug", "3.0.6", False, "CVE-2024-49767 (multipart resource exhaustion, fixed 3.0.6)"),
    ("jinja2", "3.1.6", False, "CVE-2025-27516 (sandbox escape through |attr, fixed 3.1.6)"),
    ("zipp", "3.19.1", False, "CVE-2024-5569 (infinite loop on crafted zip names, fixed 3.19.1)"),
]


def _installed(name: str) -> Version | None:
    try:
        return Version(version(name))
    except PackageNotFoundError:
        return None


@pytest.mark.parametrize(
    ("name", "floor", "required", "advisories"), FLOORS, ids=[f[0] for f in FLOORS]
)
def test_dependency_is_past_its_known_advisories(
    name: str, floor: str, required: bool, advisories: str
) -> None:
    installed = _installed(name)
    if installed is None:
        assert not required, f"{name} is needed at run time but not installed"
        pytest.skip(f"{name} is not installed here")
    assert installed >= Version(floor), f"{name} {installed} < {floor}: {advisories}"


def test_pyproject_cannot_install_a_release_below_a_floor() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors = {name: Version(floor) for name, floor, _, _ in FLOORS}
    declared = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        declared += [Requirement(r) for r in extra if not r.startswith("trustid")]
    checked = 0
    for requirement in declared:
        name = requirement.name.lower()
        if name not in floors:
            continue
        lowest = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
        assert lowest, f"{requirement} has no lower bound"
        assert max(lowest) >= floors[name], f"{requirement} allows a release below {floors[name]}"
        checked += 1
    assert checked >= 4


def test_bandit_finds_nothing_in_the_packages() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-q",
            "-c",
            "pyproject.toml",
            "-f",
            "json",
            "-r",
            *PACKAGES,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert findings == []
    assert report["errors"] == []


def test_every_assert_in_the_packages_is_a_documented_narrowing() -> None:
    """The bandit exception B101 holds only while each assert says why it cannot fail."""
    undocumented = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for node in ast.walk(ast.parse("\n".join(lines))):
                if isinstance(node, ast.Assert):
                    line = lines[node.lineno - 1]
                    if not re.search(r"# noqa: S101 - \S", line):
                        undocumented.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert undocumented == []


def test_pip_audit_reports_plainly_when_its_source_is_unreachable() -> None:
    """scripts/pip_audit.py: offline is a plain skip line and exit 0, never a failure."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "pip_audit.py"), "--timeout", "0.001"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("pip-audit: advisory source unreachable, skipped")
