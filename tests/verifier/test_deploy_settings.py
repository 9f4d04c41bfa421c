"""Deployment settings of both services: the PostgreSQL pool, the extra CA, private hosts.

``TRUSTID_DB_POOL_SIZE`` / ``TRUSTID_DB_MAX_OVERFLOW`` / ``TRUSTID_DB_POOL_TIMEOUT``
reach the engines of the verifier and the issuer (real PostgreSQL); a bad
``TRUSTID_CA_FILE`` stops the verifier at start with a one-line reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.pool import QueuePool

from issuer.settings import IssuerSettings
from issuer.storage.db import create_db_engine
from vcore.errors import OutboundURLError
from verifier.app import create_app
from verifier.settings import VerifierSettings
from verifier.storage import make_engine


def test_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTID_DB_POOL_SIZE", "7")
    monkeypatch.setenv("TRUSTID_DB_MAX_OVERFLOW", "3")
    monkeypatch.setenv("TRUSTID_DB_POOL_TIMEOUT", "2.5")
    monkeypatch.setenv("TRUSTID_ALLOW_PRIVATE_HOSTS", "issuer.internal:8443")
    monkeypatch.setenv("TRUSTID_CA_FILE", "")
    verifier = VerifierSettings()
    issuer = IssuerSettings()
    for settings in (verifier, issuer):
        assert (settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout) == (
            7,
            3,
            2.5,
        )
    assert verifier.ca_file is None
    assert "https://issuer.internal:8443" in verifier.allow_hosts
    monkeypatch.setenv("TRUSTID_DB_POOL_SIZE", "0")
    with pytest.raises(ValidationError):
        VerifierSettings()
    with pytest.raises(ValidationError):
        IssuerSettings()


def test_defaults_are_unchanged() -> None:
    assert (VerifierSettings().db_pool_size, VerifierSettings().db_max_overflow) == (5, 10)
    assert (IssuerSettings().db_pool_size, IssuerSettings().db_max_overflow) == (10, 20)


def test_pool_bounds_reach_both_engines(postgres_url: str, tmp_path: Path) -> None:
    verifier = make_engine(postgres_url, pool_size=3, max_overflow=2, pool_timeout=1.5)
    issuer = create_db_engine(postgres_url, pool_size=4, max_overflow=1, pool_timeout=2.0)
    try:
        for engine, (size, overflow, timeout) in ((verifier, (3, 2, 1.5)), (issuer, (4, 1, 2.0))):
            pool = engine.pool
            assert isinstance(pool, QueuePool)
            assert (pool.size(), pool._max_overflow, pool._timeout) == (size, overflow, timeout)
        # The verifier app builds its engine from the settings.
        app = create_app(
            VerifierSettings(
                data_dir=tmp_path,
                verifier_database_url=postgres_url,
                db_pool_size=2,
                db_max_overflow=0,
            )
        )
        pool = app.state.service.engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow) == (2, 0)
        app.state.service.engine.dispose()
    finally:
        verifier.dispose()
        issuer.dispose()


def test_unusable_ca_file_stops_the_verifier(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("no certificate here")
    with pytest.raises(OutboundURLError, match="TRUSTID_CA_FILE"):
        create_app(VerifierSettings(data_dir=tmp_path, ca_file=bad))
    with pytest.raises(OutboundURLError, match="TRUSTID_CA_FILE"):
        create_app(VerifierSettings(data_dir=tmp_path, ca_file=tmp_path / "missing.pem"))


def test_serve_refuses_an_unusable_ca_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("no certificate here")
    result = subprocess.run(
        [sys.executable, "-m", "verifier.cli", "serve", "--port", "1"],
        env={
            **os.environ,
            "TRUSTID_DATA_DIR": str(tmp_path),
            "TRUSTID_TRUST_LIST": "https://trust.example.gov/trust-list.json",
            "TRUSTID_CA_FILE": str(bad),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: TRUSTID_CA_FILE {bad}: no usable CA")
