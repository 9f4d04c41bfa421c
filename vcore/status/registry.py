"""The status-mechanism registry, keyed by the spec's name for an entry type.

``BitstringStatusListEntry`` (W3C) and ``status_list`` (IETF Token Status List) are
registered when :mod:`vcore.status` is imported. Callers look a mechanism up; they never
compare entry types themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vcore.errors import StatusListError, TrustIDError
from vcore.jsontext import loads_strict
from vcore.keys import PublicKey, b64url_decode
from vcore.status.mechanism import StatusListSnapshot, StatusMechanism, UnverifiedStatusList

__all__ = [
    "lookup",
    "mechanism_for",
    "read_list_unverified",
    "register",
    "registered",
    "verify_list",
]

_MECHANISMS: dict[str, StatusMechanism] = {}


def register(mechanism: StatusMechanism) -> StatusMechanism:
    """Register ``mechanism`` under its :attr:`~StatusMechanism.entry_type`.

    Registering the same object again is a no-op; another object under a taken name is a
    programming error.

    Raises:
        ValueError: another mechanism already holds that entry type.
    """
    existing = _MECHANISMS.get(mechanism.entry_type)
    if existing is not None and existing is not mechanism:
        raise ValueError(f"status mechanism {mechanism.entry_type!r} is already registered")
    _MECHANISMS[mechanism.entry_type] = mechanism
    return mechanism


def lookup(entry_type: str) -> StatusMechanism | None:
    """The mechanism registered under ``entry_type``, or None."""
    return _MECHANISMS.get(entry_type)


def registered() -> tuple[str, ...]:
    """The registered entry types, in registration order."""
    return tuple(_MECHANISMS)


def mechanism_for(raw: Mapping[str, Any]) -> StatusMechanism | None:
    """The registered mechanism for a ``credentialStatus`` entry, by its ``type``.

    JSON-LD allows ``type`` to be one string or an array; the first registered name wins.
    """
    kind = raw.get("type")
    for name in kind if isinstance(kind, list) else [kind]:
        if isinstance(name, str) and name in _MECHANISMS:
            return _MECHANISMS[name]
    return None


def _list_typ(token: object) -> str:
    if not isinstance(token, str) or token.count(".") != 2:
        raise StatusListError("a status list is a compact JWS")
    try:
        header = loads_strict(b64url_decode(token.strip().split(".", 1)[0]))
    except (ValueError, TrustIDError) as exc:
        raise StatusListError("the status list header does not parse") from exc
    typ = header.get("typ", "") if isinstance(header, dict) else None
    if not isinstance(typ, str):
        raise StatusListError("the status list typ is not a string")
    return typ.lower().removeprefix("application/")


def read_list_unverified(token: object) -> UnverifiedStatusList:
    """Read a fetched status-list token with the mechanism its ``typ`` names.

    Raises:
        StatusListError: no registered mechanism reads a list of that ``typ``.
        MalformedError, AlgorithmNotAllowedError, IssuerMismatchError: from the mechanism.
    """
    typ = _list_typ(token)
    for mechanism in _MECHANISMS.values():
        if mechanism.recognises_list(typ):
            return mechanism.parse_list_unverified(token)
    raise StatusListError(f"a status list of typ {typ[:40]!r} is of no known kind")


def verify_list(
    unverified: UnverifiedStatusList, *, key: PublicKey, list_url: str, fetched_at: datetime
) -> StatusListSnapshot:
    """Verify a list read by :func:`read_list_unverified` through its own mechanism.

    Raises:
        StatusListError, AlgorithmNotAllowedError, BadSignatureError, MalformedError.
    """
    mechanism = _MECHANISMS.get(unverified.entry_type)
    if mechanism is None:  # pragma: no cover - read_list_unverified only makes known ones
        raise StatusListError(f"no status mechanism {unverified.entry_type!r}")
    return mechanism.verify_list(unverified, key=key, list_url=list_url, fetched_at=fetched_at)
