"""The status-mechanism registry, keyed by the spec's name for an entry type.

``BitstringStatusListEntry`` (W3C) and ``status_list`` (IETF Token Status List) are
registered when :mod:`vcore.status` is imported. Callers look a mechanism up; they never
compare entry types themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vcore.status.mechanism import StatusMechanism

__all__ = ["lookup", "mechanism_for", "register", "registered"]

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
