"""Credential Offers for the pre-authorized code flow (OpenID4VCI 1.0 §4.1) and tx codes.

The issuer builds an offer object and its ``openid-credential-offer://`` link (by
reference: ``credential_offer_uri``, §4.1.3, so the QR stays small and the code never sits
in a URL a phone might log); the wallet parses either form back. A transaction code
(§4.1.1 ``tx_code``) travels on another channel; the issuer keeps only its keyed digest.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from vcore.errors import MalformedError, TrustIDError
from vcore.jsontext import loads_strict

__all__ = [
    "OFFER_SCHEME",
    "PRE_AUTHORIZED_GRANT",
    "CredentialOffer",
    "OfferReference",
    "TxCodeSpec",
    "build_credential_offer",
    "check_tx_code",
    "new_tx_code",
    "offer_link",
    "parse_credential_offer",
    "parse_offer_link",
    "secret_digest",
    "tx_code_digest",
]

OFFER_SCHEME = "openid-credential-offer"
PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
_MAX_CODE = 512


@dataclass(frozen=True)
class TxCodeSpec:
    """What the wallet tells the user about the transaction code (§4.1.1)."""

    length: int
    input_mode: str = "numeric"
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The offer's ``tx_code`` object."""
        value: dict[str, Any] = {"length": self.length, "input_mode": self.input_mode}
        if self.description:
            value["description"] = self.description
        return value


@dataclass(frozen=True)
class CredentialOffer:
    """A parsed Credential Offer with a pre-authorized code grant."""

    credential_issuer: str
    configuration_ids: tuple[str, ...]
    pre_authorized_code: str
    tx_code: TxCodeSpec | None


@dataclass(frozen=True)
class OfferReference:
    """An offer link: the offer itself (``value``) or where to fetch it (``uri``)."""

    uri: str | None = None
    value: dict[str, Any] | None = None


def build_credential_offer(
    issuer: str,
    configuration_ids: Sequence[str],
    pre_authorized_code: str,
    tx_code: TxCodeSpec | None,
) -> dict[str, Any]:
    """The Credential Offer object (§4.1.1) with one pre-authorized code grant."""
    grant: dict[str, Any] = {"pre-authorized_code": pre_authorized_code}
    if tx_code is not None:
        grant["tx_code"] = tx_code.to_json()
    return {
        "credential_issuer": issuer,
        "credential_configuration_ids": list(configuration_ids),
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


def offer_link(credential_offer_uri: str) -> str:
    """``openid-credential-offer://?credential_offer_uri=<URL-encoded URI>`` (§4.1.3)."""
    return f"{OFFER_SCHEME}://?credential_offer_uri={quote(credential_offer_uri, safe='')}"


def parse_offer_link(text: str) -> OfferReference:
    """Read an offer link (custom scheme or https with the offer's query parameters).

    Raises:
        MalformedError: neither ``credential_offer`` nor ``credential_offer_uri``, or both.
    """
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme not in (OFFER_SCHEME, "https", "http", "haip"):
        raise MalformedError("not a credential offer link (openid-credential-offer://...)")
    query = parse_qs(parts.query, keep_blank_values=True)
    by_value, by_ref = query.get("credential_offer"), query.get("credential_offer_uri")
    if bool(by_value) == bool(by_ref) or len(by_value or by_ref or []) != 1:
        raise MalformedError(
            "a credential offer link needs exactly one credential_offer or credential_offer_uri"
        )
    if by_ref:
        return OfferReference(uri=by_ref[0])
    value = loads_strict(by_value[0] if by_value else "")
    if not isinstance(value, dict):
        raise MalformedError("credential_offer must be a JSON object")
    return OfferReference(value=value)


def _string(value: object, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_CODE:
        raise MalformedError(f"the credential offer's {what} must be a non-empty string")
    return value


def parse_credential_offer(value: object) -> CredentialOffer:
    """The Credential Offer object, checked for the pre-authorized code grant.

    Raises:
        MalformedError: missing members, wrong types, or no pre-authorized code grant.
    """
    if not isinstance(value, dict):
        raise MalformedError("the credential offer is not a JSON object")
    issuer = _string(value.get("credential_issuer"), "credential_issuer")
    ids = value.get("credential_configuration_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise MalformedError("credential_configuration_ids must be a non-empty list of strings")
    grants = value.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, dict) else None
    if not isinstance(grant, dict):
        raise MalformedError("the offer has no pre-authorized code grant (only that is supported)")
    code = _string(grant.get("pre-authorized_code"), "pre-authorized_code")
    raw_tx = grant.get("tx_code")
    tx_code = None
    if raw_tx is not None:
        if not isinstance(raw_tx, dict):
            raise MalformedError("tx_code must be an object")
        length = raw_tx.get("length", 0)
        mode = raw_tx.get("input_mode", "numeric")
        description = raw_tx.get("description")
        if isinstance(length, bool) or not isinstance(length, int) or not 0 <= length <= 64:
            raise MalformedError("tx_code.length must be a small integer")
        if mode not in ("numeric", "text"):
            raise MalformedError("tx_code.input_mode must be numeric or text")
        if description is not None and not isinstance(description, str):
            raise MalformedError("tx_code.description must be a string")
        tx_code = TxCodeSpec(length, mode, description[:300] if description else None)
    return CredentialOffer(issuer, tuple(ids), code, tx_code)


def new_tx_code(length: int = 6, rng: Callable[[int], int] = secrets.randbelow) -> str:
    """A numeric transaction code of ``length`` digits."""
    return "".join(str(rng(10)) for _ in range(length))


def secret_digest(secret: str) -> str:
    """SHA-256 (hex) of a high-entropy secret (pre-authorized code, access token)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def tx_code_digest(tx_code: str, *, key: bytes, offer_id: str) -> str:
    """Keyed digest of a transaction code, bound to its offer.

    A six-digit code falls to any offline guess, so a plain hash would protect nothing
    in a stolen database: the key (the issuer derives it from its KEK) is what does.
    """
    message = f"{offer_id}\x00{tx_code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_tx_code(tx_code: str, digest: str, *, key: bytes, offer_id: str) -> bool:
    """Whether ``tx_code`` matches ``digest`` (constant time)."""
    try:
        candidate = tx_code_digest(tx_code, key=key, offer_id=offer_id)
    except (TrustIDError, UnicodeError):
        return False
    return hmac.compare_digest(candidate, digest)
