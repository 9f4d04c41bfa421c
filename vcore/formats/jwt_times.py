"""The time claims of a JWT-secured credential (``exp``, ``nbf``, ``iat``), read strictly.

Shared by the JWT formats (``vc+jwt``, ``jwt_vc_json``) and the SD-JWT formats
(``dc+sd-jwt``, ``vc+sd-jwt``): the same leeway, the same refusals, the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vcore.clock import format_datetime, from_timestamp
from vcore.credentials import DEFAULT_LEEWAY
from vcore.errors import ExpiredError, NotYetValidError

__all__ = ["check_jwt_times"]


def check_jwt_times(claims: Mapping[str, Any], now: datetime) -> None:
    """``exp`` and ``nbf`` when present, with the 60 s leeway.

    ``iat`` decides nothing, but a malformed one (not a NumericDate in years 1970-9999)
    is refused like a malformed ``exp``: no claim of a token is read loosely.

    Raises:
        ExpiredError, NotYetValidError, MalformedError.
    """
    if "iat" in claims:
        from_timestamp(claims["iat"])
    if "exp" in claims and from_timestamp(claims["exp"]) < now - DEFAULT_LEEWAY:
        raise ExpiredError(f"expired at {format_datetime(from_timestamp(claims['exp']))}")
    if "nbf" in claims and from_timestamp(claims["nbf"]) > now + DEFAULT_LEEWAY:
        raise NotYetValidError(f"valid from {format_datetime(from_timestamp(claims['nbf']))}")
