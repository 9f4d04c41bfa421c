"""DIDs: did:web, did:jwk and did:key documents (build and parse; no network I/O).

* did:web (DID Web Method spec §3.2): ``did:web:host%3Aport:path`` ->
  ``https://host:port/path/did.json`` or ``/.well-known/did.json`` without a path.
* did:jwk (did:jwk spec): ``did:jwk:<base64url(JWK JSON)>``, key id ``#0``; any key of
  :mod:`vcore.keys` (an RSA JWK keeps its ``alg``, which pins RS256 or PS256).
* did:key (did:key spec v0.7): multibase base58btc of a multicodec key (the Multikey
  encoding, W3C Controlled Identifiers §2.2.2): ``p256-pub`` (0x1200), ``p384-pub``
  (0x1201), ``p521-pub`` (0x1202) and ``secp256k1-pub`` (0xe7) with the compressed point,
  ``ed25519-pub`` (0xed) with the raw key, or ``jwk_jcs-pub`` (0xeb51) with the RFC 8785
  (JCS) canonical JWK, which is how an RSA key is written; key id is ``#<multibase>``.

Resolution over HTTP belongs to the apps; this module only builds and reads documents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from vcore.errors import DIDError, InvalidKeyError
from vcore.jsontext import dumps_compact, loads_strict
from vcore.jwa import Alg
from vcore.keys import PublicKey, b64url_decode, b64url_encode, public_key_from_jwk

__all__ = [
    "DIDURL",
    "DID_CONTEXT",
    "build_did_document",
    "decode_multikey",
    "did_jwk_for",
    "did_key_for",
    "did_web_from_url",
    "did_web_to_url",
    "encode_multikey",
    "holder_kid",
    "is_offline_did",
    "key_from_did_document",
    "parse_did_url",
    "resolve_offline",
]

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
_MAX_DID = 2048
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Multicodec headers (unsigned varints) of the public keys did:key / Multikey carry.
_MULTICODEC: dict[Alg, bytes] = {
    Alg.ES256: b"\x80\x24",  # p256-pub 0x1200
    Alg.ES384: b"\x81\x24",  # p384-pub 0x1201
    Alg.ES512: b"\x82\x24",  # p521-pub 0x1202
    Alg.ES256K: b"\xe7\x01",  # secp256k1-pub 0xe7
    Alg.EdDSA: b"\xed\x01",  # ed25519-pub 0xed
}
_JWK_JCS_PREFIX = b"\xd1\xd6\x03"  # jwk_jcs-pub 0xeb51
_MAX_MULTIKEY = 4096  # bytes after base58 decoding: an 8192-bit RSA JWK fits
# DID Core §3.1 syntax (no empty segments): idchar = ALPHA / DIGIT / "." / "-" / "_" /
# pct-encoded; a DID URL fragment is RFC 3986 §3.5 (pchar / "/" / "?").
_IDCHARS = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+"
_DID_SYNTAX = re.compile(rf"did:[a-z0-9]+(?::{_IDCHARS})+")
_FRAGMENT_SYNTAX = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*")


@dataclass(frozen=True)
class DIDURL:
    """A DID URL split into the DID and its fragment (without ``#``)."""

    did: str
    fragment: str | None

    def __str__(self) -> str:
        return self.did if self.fragment is None else f"{self.did}#{self.fragment}"


def parse_did_url(value: object) -> DIDURL:
    """Split ``did:method:id#fragment``.

    Raises:
        DIDError: not a DID URL of a supported method.
    """
    if not isinstance(value, str) or not value.startswith("did:") or len(value) > _MAX_DID:
        raise DIDError(f"not a DID: {str(value)[:80]!r}")
    did, sep, fragment = value.partition("#")
    parts = did.split(":")
    if len(parts) < 3 or parts[1] not in {"web", "jwk", "key"} or not all(parts[2:]):
        raise DIDError(f"unsupported DID method or empty id: {did[:80]!r}")
    if not _DID_SYNTAX.fullmatch(did):
        raise DIDError(
            "DID must be did:<method>:<id> with only letters, digits, '.', '-', '_', ':' "
            "and %-escapes (no path, query, whitespace or control characters)"
        )
    if sep and not _FRAGMENT_SYNTAX.fullmatch(fragment):
        raise DIDError("DID URL fragment holds characters a URI fragment cannot")
    return DIDURL(did, fragment if sep else None)


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = _B58[rem] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise DIDError("invalid base58btc character")
        number = number * 58 + index
    pad = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * pad + body


# -- did:web -------------------------------------------------------------------------


def did_web_from_url(url: str) -> str:
    """The did:web DID for a public base URL (port percent-encoded, path as ``:`` parts)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise DIDError(f"URL has no host: {url!r}")
    host = parts.hostname.lower()
    if parts.port is not None:
        host = f"{host}%3A{parts.port}"
    path = [quote(p, safe="") for p in parts.path.split("/") if p]
    return ":".join(["did", "web", host, *path])


def did_web_to_url(did: str, *, scheme: str = "https") -> str:
    """The DID document URL for a did:web DID.

    Args:
        did: The DID (without fragment).
        scheme: ``https`` always in production; apps pass ``http`` only for allow-listed
            development hosts.

    Raises:
        DIDError: not a did:web DID.
    """
    parsed = parse_did_url(did)
    parts = parsed.did.split(":")
    if parts[1] != "web" or parsed.fragment is not None:
        raise DIDError(f"not a did:web DID: {did!r}")
    host = unquote(parts[2])
    if "/" in host or "@" in host or not host:
        raise DIDError("did:web host is malformed")
    path = "/".join(unquote(p) for p in parts[3:])
    if ".." in path.split("/"):
        raise DIDError("did:web path must not contain '..'")
    suffix = f"/{path}/did.json" if path else "/.well-known/did.json"
    return f"{scheme}://{host}{suffix}"


# -- did:jwk / did:key -----------------------------------------------------------------


def _did_jwk_members(key: PublicKey) -> dict[str, str]:
    # EC and OKP keys drop ``alg`` (their curve pins it, and existing DIDs were made that
    # way); an RSA key keeps it, because without it the key pins no algorithm.
    jwk = key.to_jwk()
    return jwk if jwk["kty"] == "RSA" else {k: v for k, v in jwk.items() if k != "alg"}


def did_jwk_for(key: PublicKey) -> str:
    """The did:jwk DID of a public key."""
    return "did:jwk:" + b64url_encode(dumps_compact(_did_jwk_members(key)).encode("utf-8"))


def _jcs(jwk: Mapping[str, str]) -> bytes:
    # RFC 8785 for an object of string members: members sorted by name, no whitespace,
    # strings in the minimal JSON escaping (what json.dumps emits without ensure_ascii).
    return json.dumps(dict(jwk), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encode_multikey(key: PublicKey) -> str:
    """The multibase (base58btc, ``z``) multicodec form of a public key (did:key, Multikey)."""
    prefix = _MULTICODEC.get(key.alg)
    if prefix is None:
        return "z" + _b58encode(_JWK_JCS_PREFIX + _jcs(_did_jwk_members(key)))
    return "z" + _b58encode(prefix + key.raw_bytes())


def decode_multikey(value: object) -> PublicKey:
    """Inverse of :func:`encode_multikey` (a ``publicKeyMultibase`` or a did:key id).

    Raises:
        DIDError: not base58btc multibase, or too long.
        InvalidKeyError: an unknown multicodec, or a key that does not fit its codec.
    """
    if not isinstance(value, str) or not value.startswith("z"):
        raise DIDError("a multikey must be multibase base58btc ('z')")
    if len(value) > _MAX_MULTIKEY * 138 // 100 + 2:
        raise DIDError("multikey too long")
    raw = _b58decode(value[1:])
    if raw.startswith(_JWK_JCS_PREFIX):
        body = raw[len(_JWK_JCS_PREFIX) :]
        jwk = loads_strict(body)
        if not isinstance(jwk, dict) or "d" in jwk:
            raise InvalidKeyError("jwk_jcs-pub must hold a public JWK")
        key = public_key_from_jwk(jwk)
        if any(not isinstance(v, str) for v in jwk.values()) or _jcs(jwk) != body:
            raise InvalidKeyError("jwk_jcs-pub JWK is not in RFC 8785 canonical form")
        return key
    for alg, prefix in _MULTICODEC.items():
        if raw.startswith(prefix):
            point = raw[len(prefix) :]
            # Compressed points only (and the 32-byte Ed25519 key): one spelling per key.
            if alg is not Alg.EdDSA and (not point or point[0] not in (2, 3)):
                raise InvalidKeyError(f"a {alg} multikey must hold a compressed point")
            return PublicKey.from_raw_bytes(alg, point)
    raise InvalidKeyError(
        "unsupported multikey: only P-256, P-384, P-521, secp256k1, Ed25519 and jwk_jcs-pub"
    )


def did_key_for(key: PublicKey) -> str:
    """The did:key DID of a public key (EC keys compressed, the shortest for QR codes)."""
    return "did:key:" + encode_multikey(key)


def holder_kid(did: str) -> str:
    """The verification-method DID URL to put in a ``kid`` for a did:key/did:jwk DID."""
    parsed = parse_did_url(did)
    method = parsed.did.split(":")[1]
    if method == "key":
        return f"{parsed.did}#{parsed.did.split(':')[2]}"
    if method == "jwk":
        return f"{parsed.did}#0"
    raise DIDError("holder DIDs must be did:key or did:jwk")


def is_offline_did(did: str) -> bool:
    """True for DIDs whose key is in the DID itself (did:key, did:jwk)."""
    return did.startswith(("did:key:", "did:jwk:"))


def resolve_offline(did_url: str) -> PublicKey:
    """Resolve a did:key or did:jwk DID (URL) to its public key without I/O.

    The fragment, if any, must name the key's verification method.

    Raises:
        DIDError: not a did:key/did:jwk, or a fragment naming another method.
        InvalidKeyError: the embedded key is unusable.
    """
    parsed = parse_did_url(did_url)
    method, ident = parsed.did.split(":")[1], parsed.did.split(":", 2)[2]
    if method == "jwk":
        if parsed.fragment not in (None, "0"):
            raise DIDError("did:jwk verification method must be #0")
        try:
            jwk = loads_strict(b64url_decode(ident))
        except ValueError as exc:
            raise DIDError("did:jwk id is not base64url") from exc
        if not isinstance(jwk, dict) or "d" in jwk:
            raise DIDError("did:jwk must hold a public JWK")
        return public_key_from_jwk(jwk)
    if method == "key":
        if parsed.fragment not in (None, ident):
            raise DIDError("did:key verification method must be the key itself")
        if not ident.startswith("z"):
            raise DIDError("did:key must use multibase base58btc ('z')")
        return decode_multikey(ident)
    raise DIDError(f"{parsed.did[:40]!r} cannot be resolved offline")


# -- documents -------------------------------------------------------------------------


def build_did_document(did: str, keys: Sequence[PublicKey]) -> dict[str, Any]:
    """A DID document listing ``keys`` as JsonWebKey verification methods.

    Each method id is ``<did>#<RFC 7638 thumbprint>`` and its ``publicKeyJwk`` carries the
    same full ``kid``, so generic JOSE libraries match it against the JWS header.
    """
    methods = []
    for key in keys:
        kid = f"{did}#{key.thumbprint()}"
        methods.append(
            {
                "id": kid,
                "type": "JsonWebKey",
                "controller": did,
                "publicKeyJwk": {**key.to_jwk(), "kid": kid},
            }
        )
    ids = [m["id"] for m in methods]
    return {
        "@context": [DID_CONTEXT, "https://w3id.org/security/jwk/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }


def key_from_did_document(
    document: object, kid: str, *, relationship: str = "assertionMethod"
) -> PublicKey:
    """Find the key ``kid`` in a resolved DID document, for ``relationship``.

    The document's ``id`` must equal the DID of ``kid`` (a document served for one DID
    cannot speak for another), and the method must be listed under ``relationship``:
    ``assertionMethod`` (an issuer's key, the default) or ``authentication`` (a
    presentation holder's key).
    The key is a ``publicKeyJwk`` (JsonWebKey) or, for a ``Multikey`` method, a
    ``publicKeyMultibase``.

    Raises:
        DIDError: the document is malformed or names another DID.
        UnknownKeyError: no such assertion method.
    """
    from vcore.errors import UnknownKeyError  # local: keeps the import list short above

    parsed = parse_did_url(kid)
    if not isinstance(document, Mapping) or document.get("id") != parsed.did:
        raise DIDError("DID document id does not match the key's DID")
    methods = document.get("verificationMethod")
    if not isinstance(methods, list):
        raise DIDError("DID document has no verificationMethod list")
    assertion = document.get(relationship, [])
    allowed = {
        (m if isinstance(m, str) else m.get("id") if isinstance(m, Mapping) else None)
        for m in (assertion if isinstance(assertion, list) else [])
    }
    for method in methods:
        if not isinstance(method, Mapping):
            continue
        method_id = method.get("id")
        if isinstance(method_id, str) and method_id.startswith("#"):
            method_id = parsed.did + method_id
        if method_id != kid:
            continue
        if kid not in allowed and f"#{parsed.fragment}" not in allowed:
            raise UnknownKeyError(f"{kid} is not listed under {relationship} in its DID document")
        if method.get("type") == "Multikey" and "publicKeyMultibase" in method:
            # CID 1.0 §2.2.2: what Data Integrity issuers publish (vcore.data_integrity)
            return decode_multikey(method["publicKeyMultibase"])
        return public_key_from_jwk(method.get("publicKeyJwk"))
    raise UnknownKeyError(f"no verification method {kid} in the DID document")
