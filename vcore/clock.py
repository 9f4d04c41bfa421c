"""Injectable time.

Every time-dependent function in ``vcore`` takes ``now`` (an aware UTC datetime), so
tests pass fixed instants and nothing reads the wall clock behind the caller's back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from vcore.errors import MalformedError

__all__ = [
    "Clock",
    "format_datetime",
    "from_timestamp",
    "parse_datetime",
    "system_clock",
    "to_timestamp",
]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Return the current time as an aware UTC datetime, truncated to whole seconds."""
    return datetime.now(UTC).replace(microsecond=0)


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC datetime")
    return value.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """Format as XML Schema dateTimeStamp in UTC, e.g. ``2026-01-02T03:04:05Z`` (VC 2.0 §4.9)."""
    utc = _require_aware(value)
    # Not strftime("%Y"): glibc writes year 1 as "1", which is no dateTimeStamp.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


def parse_datetime(value: object) -> datetime:
    """Parse a VC dateTimeStamp (timezone required) into an aware UTC datetime.

    Raises:
        MalformedError: not a string or not a date-time with a timezone.
    """
    if not isinstance(value, str) or len(value) > 64:
        raise MalformedError("date-time must be a string")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise MalformedError(f"not an ISO 8601 date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise MalformedError(f"date-time without timezone: {value!r}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        # 9999-12-31T23:59:59-23:59 is year 10000 in UTC, 0001-01-01T00:00:00+23:59 year 0:
        # valid XSD, but outside what any date arithmetic here can hold.
        raise MalformedError(f"date-time out of range in UTC: {value!r}") from exc


def to_timestamp(value: datetime) -> int:
    """Return NumericDate seconds (RFC 7519 §2) for an aware datetime."""
    return int(_require_aware(value).timestamp())


def from_timestamp(value: object) -> datetime:
    """Parse a NumericDate claim into an aware UTC datetime.

    Raises:
        MalformedError: not a finite number in a sane range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedError("NumericDate must be a number")
    if not 0 <= value < 253402300800:  # year 10000
        raise MalformedError("NumericDate out of range")
    return datetime.fromtimestamp(int(value), UTC)
