"""Verify an SD-JWT (RFC 9901 §7.1, §7.3): issuer signature, Disclosures, key binding.

:func:`read_sd_jwt_unverified` splits and processes an SD-JWT *before* the signature is
checked (a format uses it to read the claims the pipeline plans with);
:func:`verify_sd_jwt` is the whole safe check for callers that hold the issuer's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vcore.jose import UnverifiedJWS, decode_unverified, verify
from vcore.keys import PublicKey
from vcore.sdjwt.errors import KeyBindingRequiredError
from vcore.sdjwt.key_binding import confirmation_key, verify_kb_jwt
from vcore.sdjwt.processing import ProcessedClaims, process_disclosures
from vcore.sdjwt.serialization import MAX_SD_JWT_SIZE, CompactSdJwt

__all__ = ["UnverifiedSdJwt", "VerifiedSdJwt", "read_sd_jwt_unverified", "verify_sd_jwt"]


@dataclass(frozen=True)
class UnverifiedSdJwt:
    """An SD-JWT split and processed, whose signatures have NOT been checked.

    Attributes:
        compact: The parts.
        jws: The Issuer-signed JWT, parsed.
        processed: The claims with the Disclosures applied (§7.1 steps 3-5 passed).
    """

    compact: CompactSdJwt
    jws: UnverifiedJWS
    processed: ProcessedClaims

    @property
    def claims(self) -> dict[str, Any]:
        """The processed claims."""
        return self.processed.claims


@dataclass(frozen=True)
class VerifiedSdJwt:
    """An SD-JWT whose issuer signature (and key binding, when asked) verified.

    Attributes:
        header: The issuer JWT's protected header.
        claims: The processed claims.
        processed: Which Disclosures were used, where.
        key_binding: The verified KB-JWT claims, or None when none was checked.
    """

    header: dict[str, Any]
    claims: dict[str, Any]
    processed: ProcessedClaims
    key_binding: dict[str, Any] | None


def read_sd_jwt_unverified(value: object) -> UnverifiedSdJwt:
    """Split ``value`` and apply its Disclosures, without checking any signature.

    ``value`` is the compact text, or parts already split (a JSON-serialised SD-JWT read
    by :func:`~vcore.sdjwt.json_serialization.read_json_sd_jwt`).

    Raises:
        SdJwtError (and subclasses), MalformedError, AlgorithmNotAllowedError,
        HeaderNotAllowedError: not a well-formed SD-JWT.
    """
    compact = value if isinstance(value, CompactSdJwt) else CompactSdJwt.parse(value)
    jws = decode_unverified(compact.jwt, max_size=MAX_SD_JWT_SIZE)
    return UnverifiedSdJwt(compact, jws, process_disclosures(jws.payload, compact.disclosures))


def verify_sd_jwt(
    value: object,
    issuer_key: PublicKey,
    *,
    typ: str | None = None,
    require_key_binding: bool = False,
    nonce: str | None = None,
    audience: str | None = None,
    now: datetime | None = None,
) -> VerifiedSdJwt:
    """Verify an SD-JWT with the issuer's key; with key binding when required.

    ``value``: the compact text or :class:`CompactSdJwt` parts.

    Key binding is checked when ``require_key_binding`` (a KB-JWT that was sent but not
    asked for is ignored, never trusted); it then needs ``nonce``, ``audience``, ``now``.

    Raises:
        SdJwtError (and subclasses): serialisation or Disclosure problems.
        AlgorithmNotAllowedError, BadSignatureError, MalformedError: the issuer JWT.
        KeyBindingError (and subclasses), NonceMismatchError, AudienceMismatchError:
            key binding problems.
    """
    unverified = read_sd_jwt_unverified(value)
    verified = verify(unverified.compact.jwt, issuer_key, typ=typ, max_size=MAX_SD_JWT_SIZE)
    kb: dict[str, Any] | None = None
    if require_key_binding:
        if nonce is None or audience is None or now is None:
            raise KeyBindingRequiredError("key binding needs a nonce, an audience and the time")
        holder = confirmation_key(verified.payload)
        if holder is None:
            raise KeyBindingRequiredError("the SD-JWT has no cnf key to bind a presentation to")
        kb = verify_kb_jwt(
            unverified.compact,
            holder,
            nonce=nonce,
            audience=audience,
            now=now,
            sd_alg=unverified.processed.sd_alg,
        )
    return VerifiedSdJwt(
        header=verified.header,
        claims=unverified.claims,
        processed=unverified.processed,
        key_binding=kb,
    )
