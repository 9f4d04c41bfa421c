"""A first look at an SD-JWT, nothing verified: its issuer JWT's ``typ`` and payload.

Shared by the SD-JWT credential formats (:mod:`vcore.formats.sd_jwt_vc`) and the SD-JWT
presentation format (:mod:`vcore.formats.sd_jwt_presentation`) to recognise a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vcore.errors import TrustIDError
from vcore.jsontext import loads_strict
from vcore.keys import b64url_decode
from vcore.sdjwt import looks_like_sd_jwt

__all__ = ["SD_JWT_CREDENTIAL_TYPS", "peek_sd_jwt", "typ_of"]

SD_JWT_CREDENTIAL_TYPS = ("dc+sd-jwt", "vc+sd-jwt")
"""The issuer-JWT ``typ`` of each SD-JWT credential format (their registry keys)."""


def typ_of(header: Mapping[str, Any]) -> str:
    """The ``typ`` header, lower case, without ``application/``; "" when absent."""
    typ = header.get("typ")
    return typ.lower().removeprefix("application/") if isinstance(typ, str) else ""


def peek_sd_jwt(value: object) -> tuple[str, dict[str, Any]] | None:
    """(typ, payload) of an SD-JWT's issuer JWT, for recognising; never raises."""
    if not looks_like_sd_jwt(value):
        return None
    assert isinstance(value, str)  # noqa: S101 - looks_like_sd_jwt checked it
    parts = value.strip().split("~", 1)[0].split(".")
    try:
        header = loads_strict(b64url_decode(parts[0]))
        payload = loads_strict(b64url_decode(parts[1]))
    except (ValueError, TrustIDError):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    return typ_of(header), payload
