"""The deployment check (scripts/deploy_check.py) in CI, bounded, plus its judgement.

The check itself starts nginx, two issuers, two verifiers, PostgreSQL and Redis; here
it runs as a newcomer runs it (a child process) with 2 s header and body timeouts, so it
takes about 25 s on a quiet 2-core machine (bounded at 150 s for a loaded one), and must
print a table with no FAIL and exit 0. Its table logic is tested apart on rows that
disagree, so a check that could never fail would show here.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from scripts.deploycheck.checks import check_fetched_through_nginx
from scripts.deploycheck.report import Results
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "deploy_check.py"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(180)
def test_deployment_check_passes(postgres_url: str) -> None:
    if not Path(NGINX).is_file():
        pytest.skip("nginx is not installed (scripts/test.sh installs Debian's nginx as root)")
    # Its own process group: on a timeout, SIGTERM lets the check stop what it started.
    proc = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPT),
            "--postgres",
            PG_ADMIN_URL,
            "--nginx",
            NGINX,
            "--header-timeout",
            "2",
            "--body-timeout",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=15)
        pytest.fail(f"the deployment check took over 150 s:\n{stdout}\n{stderr}")
    result = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "0 failed: the deployment is consistent" in out
    assert "FAIL" not in out
    for row in (
        "A1 after republish on verifier_b",
        "removed API key refused on verifier_b",
        "rate limit 4/min shared",
        "status lists as nginx static files",
        "nginx drops a half-sent header",
        "nginx drops a half-sent body",
        "a batch counts its size",
    ):
        assert row in out, row


def test_results_fail_on_any_disagreement() -> None:
    results = Results()
    results.add("revoked on verifier_a", "revoked", "revoked")
    assert results.passed
    results.add("revoked on verifier_b", "revoked", "valid")
    assert not results.passed
    table = results.table()
    assert "FAIL" in table
    assert "1 passed, 1 failed" in table
    assert Results().passed is False  # no rows: nothing was checked


def test_missing_nginx_is_a_setup_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--nginx", str(tmp_path / "no-nginx")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "nginx not found" in result.stderr


def test_status_lists_proxied_to_an_issuer_fail_the_static_row(tmp_path: Path) -> None:
    # nginx's access log of the check: port "request" status "user agent" "upstream".
    layout: Any = SimpleNamespace(work=tmp_path, ports={"issuers": 8443})
    log = tmp_path / "nginx-access.log"
    ua = '"TrustID-Verifier/0.1"'
    log.write_text(
        f'8443 "GET /status-lists/1 HTTP/1.1" 200 {ua} "-"\n'
        f'8443 "GET /.well-known/did.json HTTP/1.1" 200 {ua} "-"\n'
        f'8444 "GET /status-lists/1 HTTP/1.1" 200 {ua} "127.0.0.1:9000"\n'  # pinned: ignored
    )
    results = Results()
    check_fetched_through_nginx(results, layout)
    assert results.passed
    assert results.rows[0].observed == "1 x 200 static"
    with log.open("a") as handle:
        handle.write(f'8443 "GET /status-lists/2 HTTP/1.1" 200 {ua} "127.0.0.1:9000"\n')
    results = Results()
    check_fetched_through_nginx(results, layout)
    assert not results.passed  # one list reached an issuer: not served from the files
    assert results.rows[0].observed == "1 x 200 proxied, 1 x 200 static"
