"""The JWS JSON serialisation of SD-JWT (RFC 9901 §8), read into the compact parts.

Flattened: ``{"payload", "protected", "header": {"disclosures", "kb_jwt"}, "signature"}``;
general: ``{"payload", "signatures": [{"protected", "header", "signature"}, ...]}`` with
``disclosures`` and ``kb_jwt`` in the unprotected header of the first signature only.
The Issuer-signed JWT is the first signature's compact form: that is what ``sd_hash``
covers (§8.1), so it is the one signature TrustID verifies; further signatures are read
for shape only and never trusted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from vcore.sdjwt.disclosures import parse_disclosure
from vcore.sdjwt.errors import SdJwtError
from vcore.sdjwt.serialization import MAX_SD_JWT_SIZE, CompactSdJwt

__all__ = ["read_json_sd_jwt"]

_MAX_SIGNATURES = 8


def _text(node: Mapping[str, Any], name: str) -> str:
    value = node.get(name)
    if not isinstance(value, str) or not value:
        raise SdJwtError(f"the JSON-serialised SD-JWT needs a non-empty string {name!r}")
    return value


def _unprotected(node: Mapping[str, Any]) -> Mapping[str, Any]:
    header = node.get("header", {})
    if not isinstance(header, dict):
        raise SdJwtError("an unprotected 'header' must be an object")
    return header


def read_json_sd_jwt(value: object) -> CompactSdJwt:
    """The parts of a JSON-serialised SD-JWT (an object, or its JSON text), nothing verified.

    Raises:
        SdJwtError: not the flattened or general shape, Disclosures or a KB-JWT outside
            the first signature's unprotected header, or too large.
        DisclosureInvalidError: a Disclosure that does not parse.
    """
    if isinstance(value, str):
        if len(value) > MAX_SD_JWT_SIZE:
            raise SdJwtError(f"SD-JWT of {len(value)} characters exceeds {MAX_SD_JWT_SIZE}")
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise SdJwtError("the JSON-serialised SD-JWT is not JSON") from exc
    if not isinstance(value, dict):
        raise SdJwtError("a JSON-serialised SD-JWT is an object")
    payload = _text(value, "payload")
    if "signatures" in value:
        if {"protected", "signature", "header"} & set(value):
            raise SdJwtError("'signatures' cannot be mixed with flattened members")
        signatures = value["signatures"]
        if not isinstance(signatures, list) or not 1 <= len(signatures) <= _MAX_SIGNATURES:
            raise SdJwtError(f"'signatures' must be a list of 1 to {_MAX_SIGNATURES} objects")
        if not all(isinstance(s, dict) for s in signatures):
            raise SdJwtError("every member of 'signatures' must be an object")
        for other in signatures[1:]:
            if {"disclosures", "kb_jwt"} & set(_unprotected(other)):
                raise SdJwtError("disclosures and kb_jwt belong to the first signature only")
            _text(other, "protected")
            _text(other, "signature")
        first: Mapping[str, Any] = signatures[0]
    else:
        first = value
    header = _unprotected(first)
    jwt = f"{_text(first, 'protected')}.{payload}.{_text(first, 'signature')}"
    disclosures = header.get("disclosures", [])
    if not isinstance(disclosures, list) or not all(isinstance(d, str) and d for d in disclosures):
        raise SdJwtError("'disclosures' must be a list of non-empty strings")
    kb = header.get("kb_jwt")
    if kb is not None and (not isinstance(kb, str) or kb.count(".") != 2):
        raise SdJwtError("'kb_jwt' is not a compact JWT")
    # The compact form is what the rest of the package (and sd_hash) works on.
    compact = CompactSdJwt(
        jwt=jwt, disclosures=tuple(parse_disclosure(d) for d in disclosures), kb_jwt=kb
    )
    return CompactSdJwt.parse(compact.text)
