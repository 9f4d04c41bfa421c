"""Compact JWS sign/verify (RFC 7515) with pinned algorithms.

Safe defaults:

* the algorithm comes from the key (pinned), the header's ``alg`` is only compared;
* only the algorithms of :mod:`vcore.jwa` (ES256, ES384, ES512, ES256K, EdDSA, PS256,
  RS256 with 2048+ bit keys); ``none`` and HS* never (alg-confusion, CVE-2022-29217);
* ``jku``/``x5u``/``jwk``/``x5c`` headers are refused, never fetched or trusted (key
  injection / SSRF); ``crit`` is refused since we understand no extensions (RFC 7515 §4.1.11);
* strict unpadded base64url, JSON objects without duplicate members, size and depth limits;
* signing goes through a :class:`~vcore.signing.Signer`: this module builds the signing
  input and the header, the signer only turns bytes into a raw signature, whose length is
  checked before it is used (a DER ECDSA signature from a backend is refused).

The signature primitives are ``cryptography``'s, called from :mod:`vcore.jwa`; no other
JOSE library is used at run time.

Anything read before the signature is checked is an :class:`UnverifiedJWS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vcore.errors import (
    AlgorithmNotAllowedError,
    BadSignatureError,
    HeaderNotAllowedError,
    InvalidKeyError,
    MalformedError,
    TokenTooLargeError,
)
from vcore.jsontext import dumps_compact, loads_strict
from vcore.jwa import ALGORITHMS, Alg, parse_alg
from vcore.keys import PublicKey, b64url_decode, b64url_encode, public_key_from_jwk
from vcore.signing import Signer

__all__ = [
    "FORBIDDEN_HEADERS",
    "MAX_TOKEN_SIZE",
    "UnverifiedJWS",
    "VerifiedJWS",
    "decode_unverified",
    "sign",
    "verify",
    "verify_decoded",
    "verify_raw",
    "verify_signature",
]

MAX_TOKEN_SIZE = 16 * 1024
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit", "b64"})

_ALG_NAMES = ", ".join(ALGORITHMS)


@dataclass(frozen=True)
class UnverifiedJWS:
    """A parsed compact JWS whose signature has NOT been checked."""

    token: str
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        """The header's ``alg`` (already known to be one of :class:`vcore.jwa.Alg`)."""
        return str(self.header["alg"])

    @property
    def kid(self) -> str | None:
        """The header's ``kid`` if it is a string."""
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None

    @property
    def typ(self) -> str | None:
        """The header's ``typ`` if it is a string."""
        typ = self.header.get("typ")
        return typ if isinstance(typ, str) else None


@dataclass(frozen=True)
class VerifiedJWS:
    """A compact JWS whose signature verified with a pinned key."""

    header: dict[str, Any]
    payload: dict[str, Any]


def _segment(segment: str, what: str) -> bytes:
    try:
        return b64url_decode(segment)
    except ValueError as exc:
        raise MalformedError(f"JWS {what} is not canonical base64url") from exc


def _object(raw: bytes, what: str) -> dict[str, Any]:
    value = loads_strict(raw)
    if not isinstance(value, dict):
        raise MalformedError(f"JWS {what} must be a JSON object")
    return value


def _split(
    token: object, max_size: int, allow_headers: frozenset[str] = frozenset()
) -> tuple[str, dict[str, Any], bytes, bytes]:
    """Strictly split a compact JWS: (token, header, payload bytes, signature)."""
    if not isinstance(token, str):
        raise MalformedError("a compact JWS must be a string")
    if len(token) > max_size:
        raise TokenTooLargeError(f"token of {len(token)} characters exceeds {max_size}")
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise MalformedError("not a compact JWS (expected three non-empty dot-separated parts)")
    header = _object(_segment(parts[0], "header"), "header")
    alg = header.get("alg")
    if parse_alg(alg) is None:
        raise AlgorithmNotAllowedError(
            f"algorithm {str(alg)[:40]!r} is not allowed ({_ALG_NAMES} only)"
        )
    refused = FORBIDDEN_HEADERS.difference(allow_headers).intersection(header)
    if refused:
        raise HeaderNotAllowedError(f"header parameter(s) {sorted(refused)} are not accepted")
    payload = _segment(parts[1], "payload")
    signature = _segment(parts[2], "signature")
    return ".".join(parts), header, payload, signature


def decode_unverified(
    token: object,
    *,
    max_size: int = MAX_TOKEN_SIZE,
    allow_headers: frozenset[str] = frozenset(),
) -> UnverifiedJWS:
    """Parse a compact JWS without checking its signature.

    ``allow_headers`` lifts the refusal of named :data:`FORBIDDEN_HEADERS` for a caller
    that checks them itself: a DPoP or OpenID4VCI key proof carries its own public key in
    ``jwk`` (RFC 9449 §4.2), which proves possession and is never trusted as an identity.

    Raises:
        TokenTooLargeError: longer than ``max_size`` characters.
        MalformedError: not a compact JWS with JSON object header and payload.
        AlgorithmNotAllowedError: ``alg`` is not one of :class:`vcore.jwa.Alg`.
        HeaderNotAllowedError: a refused header parameter is present.
    """
    compact, header, payload, signature = _split(token, max_size, allow_headers)
    return UnverifiedJWS(
        token=compact,
        header=header,
        payload=_object(payload, "payload"),
        signing_input=compact.rsplit(".", 1)[0].encode("ascii"),
        signature=signature,
    )


def verify_raw(
    token: object, key: PublicKey, *, max_size: int = MAX_TOKEN_SIZE
) -> tuple[dict[str, Any], bytes]:
    """Verify a compact JWS whose payload need not be JSON; returns (header, payload bytes).

    Same checks as :func:`verify` except the payload shape and ``typ``.

    Raises:
        MalformedError, AlgorithmNotAllowedError, HeaderNotAllowedError, BadSignatureError.
    """
    compact, header, payload, signature = _split(token, max_size)
    if header["alg"] != key.alg:
        raise AlgorithmNotAllowedError(
            f"token says {header['alg']!r} but the key is pinned to {key.alg!r}"
        )
    if not verify_signature(key, compact.rsplit(".", 1)[0].encode("ascii"), signature):
        raise BadSignatureError("signature does not verify with the signer's key")
    return header, payload


def verify_signature(key: PublicKey, signing_input: bytes, signature: bytes) -> bool:
    """Check a raw JWS signature (``r || s`` for ECDSA) with the key's pinned algorithm.

    Low-level: prefer :func:`verify`. Exposed for known-answer tests (Wycheproof).
    """
    return ALGORITHMS[key.alg].verify(key.key, signing_input, signature)


def _typ_matches(actual: str | None, expected: Iterable[str]) -> bool:
    if actual is None:
        return False
    norm = actual.lower().removeprefix("application/")
    return any(norm == e.lower().removeprefix("application/") for e in expected)


def verify(
    token: object,
    key: PublicKey,
    *,
    typ: str | Iterable[str] | None = None,
    max_size: int = MAX_TOKEN_SIZE,
) -> VerifiedJWS:
    """Verify a compact JWS with a pinned key.

    Args:
        token: The compact JWS.
        key: The verification key; its ``alg`` is the only algorithm accepted.
        typ: Accepted ``typ`` header value(s), or None to accept any.
        max_size: Size limit in characters.

    Raises:
        AlgorithmNotAllowedError: the header's ``alg`` differs from the key's.
        BadSignatureError: the signature does not verify.
        MalformedError: the token is malformed or its ``typ`` is wrong.
    """
    parsed = decode_unverified(token, max_size=max_size)
    if parsed.alg != key.alg:
        raise AlgorithmNotAllowedError(
            f"token says {parsed.alg!r} but the key is pinned to {key.alg!r}"
        )
    if typ is not None:
        expected = [typ] if isinstance(typ, str) else list(typ)
        if not _typ_matches(parsed.typ, expected):
            raise MalformedError(f"typ {parsed.typ!r} is not one of {expected}")
    if not verify_signature(key, parsed.signing_input, parsed.signature):
        raise BadSignatureError("signature does not verify with the signer's key")
    return VerifiedJWS(header=parsed.header, payload=parsed.payload)


def verify_decoded(parsed: UnverifiedJWS, key: PublicKey, *, alg: str) -> None:
    """Check the signature of a JWS that :func:`decode_unverified` already parsed.

    The same checks as :func:`verify` with ``typ=None``, without decoding the token a
    second time: the signing input and signature are the immutable bytes received, and
    ``alg`` is the header's ``alg`` as read at parse time (a caller's later change to
    the header dict cannot change what is checked).

    Raises:
        AlgorithmNotAllowedError: ``alg`` differs from the key's.
        BadSignatureError: the signature does not verify.
    """
    if alg != key.alg:
        raise AlgorithmNotAllowedError(f"token says {alg!r} but the key is pinned to {key.alg!r}")
    if not verify_signature(key, parsed.signing_input, parsed.signature):
        raise BadSignatureError("signature does not verify with the signer's key")


@lru_cache(maxsize=64)
def _signature_shape(jwk_items: tuple[tuple[str, Any], ...]) -> tuple[Alg, int]:
    """(pinned alg, raw signature length) of a signer's public JWK, imported once."""
    public = public_key_from_jwk(dict(jwk_items))
    return public.alg, ALGORITHMS[public.alg].signature_size(public.key)


def sign(
    payload: dict[str, Any],
    signer: Signer,
    *,
    typ: str,
    cty: str | None = None,
    public_jwk_header: bool = False,
) -> str:
    """Sign ``payload`` as a compact JWS with header ``{alg, cty?, kid, typ}``.

    With ``public_jwk_header`` the header carries the signer's public key as ``jwk``
    instead of a ``kid`` (DPoP proofs, RFC 9449 §4.2; key proofs, OpenID4VCI §F.1).

    The signing input (RFC 7515 §5.1) is built here; ``signer`` only signs its bytes.
    ``alg`` and ``kid`` come from the signer, and the signature it returns must have the
    exact raw length its algorithm and key give (a DER ECDSA signature is refused).

    Raises:
        MalformedError: the payload does not serialise within the limits.
        AlgorithmNotAllowedError: the signer's ``alg`` is not one of :class:`vcore.jwa.Alg`,
            or contradicts its public key.
        InvalidKeyError: the signer's public JWK is unusable, or it returned a signature of
            the wrong shape.
    """
    alg = parse_alg(signer.alg)
    if alg is None:
        raise AlgorithmNotAllowedError(f"signer algorithm {signer.alg!r} is not allowed")
    kid = signer.kid
    if not isinstance(kid, str) or not kid:
        raise InvalidKeyError("a signer needs a non-empty kid")
    pinned, expected = _signature_shape(tuple(sorted(signer.public_jwk().items())))
    if pinned != alg:
        raise AlgorithmNotAllowedError(f"signer says {alg} but its key is pinned to {pinned}")
    header: dict[str, Any] = {"alg": alg.value}
    if cty is not None:
        header["cty"] = cty
    if public_jwk_header:
        header["jwk"] = {k: v for k, v in signer.public_jwk().items() if k not in ("kid", "alg")}
    else:
        header["kid"] = kid
    header["typ"] = typ
    signing_input = (
        b64url_encode(dumps_compact(header).encode("utf-8"))
        + "."
        + b64url_encode(dumps_compact(payload).encode("utf-8"))
    )
    signature = signer.sign(signing_input.encode("ascii"))
    if not isinstance(signature, bytes) or len(signature) != expected:
        raise InvalidKeyError(
            f"the signer returned {len(signature) if isinstance(signature, bytes) else 'no'} "
            f"signature bytes; {alg} with this key needs exactly {expected} (raw, not DER)"
        )
    return f"{signing_input}.{b64url_encode(signature)}"
