"""The validity period (VCDM 2.0 §4.9): XML Schema dateTimeStamps, in order."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vcore.clock import parse_datetime
from vcore.errors import MalformedError, VcdmValidityError

__all__ = [
    "check_validity",
    "parse_date_time_stamp",
]

# XML Schema 1.1 dateTimeStamp (a dateTime with a mandatory timezone offset), years
# 0001-9999 (what every implementation can represent).
_DATE_TIME_STAMP_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"T(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.\d{1,9})?"
    r"(?P<tz>Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))"
)


def parse_date_time_stamp(value: object, where: str) -> datetime:
    """An XML Schema ``dateTimeStamp`` (timezone offset mandatory) as aware UTC (§4.9).

    Raises:
        VcdmValidityError: not a string of that form, or not a real instant.
    """
    if not isinstance(value, str) or not _DATE_TIME_STAMP_RE.fullmatch(value):
        raise VcdmValidityError(
            f"{where} must be an XML Schema dateTimeStamp such as 2026-01-02T03:04:05Z (§4.9)"
        )
    match = _DATE_TIME_STAMP_RE.fullmatch(value)
    assert match is not None  # noqa: S101 - fullmatch succeeded just above
    if match["year"] == "0000" or int(match["hour"]) > 23:
        raise VcdmValidityError(f"{where} is not a valid date-time (§4.9)")
    try:
        return parse_datetime(value)
    except MalformedError as exc:
        raise VcdmValidityError(f"{where} is not a valid date-time (§4.9)") from exc


def check_validity(credential: Mapping[str, Any]) -> None:
    """§4.9: ``validFrom`` / ``validUntil`` are dateTimeStamps, in that order."""
    valid_from = valid_until = None
    if "validFrom" in credential:
        valid_from = parse_date_time_stamp(credential["validFrom"], "validFrom")
    if "validUntil" in credential:
        valid_until = parse_date_time_stamp(credential["validUntil"], "validUntil")
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise VcdmValidityError("validUntil must not be earlier than validFrom (§4.9)")
