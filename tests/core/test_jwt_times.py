"""The one ``exp`` / ``nbf`` / ``iat`` check every JWT-secured format uses (vcore.formats.jwt_times)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.core.test_sd_jwt_vc import _issue
from vcore.errors import ExpiredError, MalformedError, NotYetValidError
from vcore.formats import lookup, parse_credential_unverified
from vcore.formats.jwt_times import check_jwt_times
from vcore.keys import generate_key

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
T = int(NOW.timestamp())


@pytest.mark.parametrize(
    "claims",
    [{}, {"exp": T + 1}, {"exp": T - 60}, {"nbf": T + 60}, {"iat": T + 10**6}, {"iat": 0}],
    ids=repr,
)
def test_valid_times_pass_within_the_leeway(claims: dict[str, Any]) -> None:
    check_jwt_times(claims, NOW)


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"exp": T - 61}, ExpiredError),
        ({"nbf": T + 61}, NotYetValidError),
        ({"exp": "tomorrow"}, MalformedError),
        ({"nbf": None}, MalformedError),
        ({"iat": "yesterday"}, MalformedError),
        ({"iat": 10**20}, MalformedError),
        ({"iat": True}, MalformedError),
    ],
    ids=repr,
)
def test_invalid_times_are_refused(claims: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        check_jwt_times(claims, NOW)


def test_both_format_families_use_it() -> None:
    """An SD-JWT VC with a malformed iat is refused like a vc+jwt one (it was ignored)."""
    credential = parse_credential_unverified(_issue(generate_key("ES256"), generate_key("ES256")))
    fmt = lookup(credential.format)
    fmt.check_times(credential, NOW)
    broken = type(credential)(
        **{**credential.__dict__, "claims": {**credential.claims, "iat": "x"}}
    )
    with pytest.raises(MalformedError):
        fmt.check_times(broken, NOW)
    jwt = lookup("vc+jwt")
    with pytest.raises(MalformedError):
        jwt.check_times(broken, NOW)
