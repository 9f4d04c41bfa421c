"""Issuer fixtures: an issuer app on a fresh SQLite file, and on PostgreSQL too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.issuer.support import RESIDENT, Harness, MutableClock, make_settings, running_issuer


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock()


@pytest.fixture
def issuer(tmp_path: Path, clock: MutableClock) -> Iterator[Harness]:
    """An issuer on a fresh SQLite file, with one resident-registry agency."""
    with running_issuer(make_settings(tmp_path), clock) as harness:
        harness.agency("Resident Registry", [RESIDENT])
        yield harness


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_issuer(
    request: pytest.FixtureRequest, tmp_path: Path, clock: MutableClock
) -> Iterator[Harness]:
    """The same issuer on SQLite and on a fresh PostgreSQL database."""
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgres" else None
    with running_issuer(make_settings(tmp_path, url), clock) as harness:
        harness.agency("Resident Registry", [RESIDENT])
        yield harness
