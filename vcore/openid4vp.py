"""OpenID4VP 1.0 protocol pieces shared by the verifier and the wallet (pure).

* the ``openid4vp://`` link (§5: ``client_id`` and ``request_uri``, by reference);
* Client Identifier Prefixes (§5.9): ``decentralized_identifier:<DID>`` (the request
  object is signed with a key of that DID's document, §5.9.3) and
  ``redirect_uri:<URI>`` (development: unsigned, ``alg: none``, and the identifier must
  be the ``response_uri``, §5.9.3);
* the request object (``typ: oauth-authz-req+jwt``, RFC 9101) as claims, signed or not;
* which ``response_uri`` belongs to a client id: the URI itself for ``redirect_uri``;
  for a did:web verifier an https (or allow-listed http) URL on the host the DID names
  (TrustID's rule: the spec leaves it open, and a wallet must not post a citizen's data
  to a host the signer does not control);
* the ``vp_token`` of a DCQL response (§8.1: ``{credential query id: [presentation, ...]}``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from vcore.dids import did_web_to_url
from vcore.errors import MalformedError, TrustIDError
from vcore.jose import UnverifiedJWS, decode_unverified, sign
from vcore.jsontext import loads_strict
from vcore.keys import b64url_decode, b64url_encode
from vcore.signing import Signer

__all__ = [
    "LINK_SCHEME",
    "REQUEST_OBJECT_TYP",
    "SELF_ISSUED_AUDIENCE",
    "ClientIdPrefix",
    "RequestLink",
    "ResponseMode",
    "build_request_link",
    "parse_request_link",
    "parse_vp_token",
    "read_signed_request_object",
    "read_unsigned_request_object",
    "response_uri_belongs",
    "sign_request_object",
    "split_client_id",
    "unsigned_request_object",
]

LINK_SCHEME = "openid4vp"
REQUEST_OBJECT_TYP = "oauth-authz-req+jwt"
SELF_ISSUED_AUDIENCE = "https://self-issued.me/v2"
"""The request object's ``aud`` when the verifier knows nothing of the wallet (§5.8)."""

_MAX_LINK = 4096
_MAX_PRESENTATIONS = 10


class ClientIdPrefix(StrEnum):
    """The Client Identifier Prefixes TrustID speaks (§5.9)."""

    DECENTRALIZED_IDENTIFIER = "decentralized_identifier"
    REDIRECT_URI = "redirect_uri"


class ResponseMode(StrEnum):
    """How the wallet sends the response (§8.2, §8.3)."""

    DIRECT_POST = "direct_post"
    DIRECT_POST_JWT = "direct_post.jwt"


def split_client_id(client_id: str) -> tuple[ClientIdPrefix, str]:
    """The prefix and the identifier of a client id.

    Raises:
        MalformedError: no known prefix, or nothing after it.
    """
    prefix, _, identifier = client_id.partition(":")
    try:
        known = ClientIdPrefix(prefix)
    except ValueError:
        raise MalformedError(f"client_id prefix {prefix[:40]!r} is not supported") from None
    if not identifier:
        raise MalformedError("the client_id names nothing after its prefix")
    if known is ClientIdPrefix.DECENTRALIZED_IDENTIFIER and not identifier.startswith("did:"):
        raise MalformedError("a decentralized_identifier client_id must be a DID")
    return known, identifier


@dataclass(frozen=True)
class RequestLink:
    """An ``openid4vp://`` authorization request by reference."""

    client_id: str
    request_uri: str
    request_uri_method: str = "get"


def build_request_link(client_id: str, request_uri: str) -> str:
    """``openid4vp://?client_id=...&request_uri=...`` (both percent-encoded)."""
    return f"{LINK_SCHEME}://?" + urlencode({"client_id": client_id, "request_uri": request_uri})


def parse_request_link(text: str) -> RequestLink:
    """Read an ``openid4vp://`` link (or another scheme's URL with the same query).

    Raises:
        MalformedError: too long, no ``client_id`` or ``request_uri`` (a request by value
            is not accepted: it could not be signed), or repeated parameters.
    """
    text = text.strip()
    if len(text) > _MAX_LINK:
        raise MalformedError("the request link is too long")
    parts = urlsplit(text)
    query = parse_qs(parts.query, keep_blank_values=True)
    if any(len(v) > 1 for v in query.values()):
        raise MalformedError("the request link repeats a parameter")
    client_id = query.get("client_id", [""])[0]
    request_uri = query.get("request_uri", [""])[0]
    if not client_id:
        raise MalformedError("the request link has no client_id")
    if not request_uri:
        raise MalformedError("the request link has no request_uri (requests by value are refused)")
    method = query.get("request_uri_method", ["get"])[0]
    if method not in ("get", "post"):
        raise MalformedError("request_uri_method must be get or post")
    return RequestLink(client_id=client_id, request_uri=request_uri, request_uri_method=method)


def sign_request_object(claims: Mapping[str, Any], signer: Signer) -> str:
    """The signed request object (``typ: oauth-authz-req+jwt``, ``kid`` = the signer's)."""
    return sign(dict(claims), signer, typ=REQUEST_OBJECT_TYP)


def unsigned_request_object(claims: Mapping[str, Any]) -> str:
    """An unsigned request object (``alg: none``): the ``redirect_uri`` prefix only."""
    header = {"alg": "none", "typ": REQUEST_OBJECT_TYP}
    parts = [
        b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))
        for value in (header, dict(claims))
    ]
    return ".".join([*parts, ""])


def read_unsigned_request_object(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a request object, nothing verified.

    A signed one is read through :func:`vcore.jose.decode_unverified` by the caller; this
    reads only the ``alg: none`` shape (two parts and an empty signature).

    Raises:
        MalformedError: not that shape.
    """
    parts = token.split(".")
    if len(parts) != 3 or parts[2]:
        raise MalformedError("not an unsigned JWT")
    try:
        header = loads_strict(b64url_decode(parts[0]))
        claims = loads_strict(b64url_decode(parts[1]))
    except (ValueError, TrustIDError) as exc:
        raise MalformedError("the request object does not parse") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise MalformedError("the request object is not a JWT of objects")
    if header.get("alg") != "none":
        raise MalformedError("not an unsigned JWT")
    return header, claims


def read_signed_request_object(token: str) -> UnverifiedJWS:
    """A signed request object, nothing verified (``typ`` checked)."""
    parsed = decode_unverified(token)
    if parsed.typ != REQUEST_OBJECT_TYP:
        raise MalformedError(f"typ {parsed.typ!r} is not {REQUEST_OBJECT_TYP}")
    return parsed


def response_uri_belongs(client_id: str, response_uri: str) -> bool:
    """Whether ``response_uri`` is one the client id's owner controls (module docstring)."""
    try:
        prefix, identifier = split_client_id(client_id)
    except MalformedError:
        return False
    if prefix is ClientIdPrefix.REDIRECT_URI:
        return response_uri == identifier
    if not identifier.startswith("did:web:"):
        return False
    target = urlsplit(response_uri)
    if target.scheme not in ("https", "http") or target.username or target.password:
        return False
    try:
        document = urlsplit(did_web_to_url(identifier, scheme=target.scheme))
    except TrustIDError:
        return False
    return (target.hostname, target.port) == (document.hostname, document.port)


def parse_vp_token(value: object) -> dict[str, list[Any]]:
    """The DCQL ``vp_token``: ``{credential query id: [presentation, ...]}`` (§8.1).

    Accepts the JSON text (form-encoded ``direct_post``) or the object (inside a JWE).

    Raises:
        MalformedError: not an object of non-empty arrays of strings or objects.
    """
    if isinstance(value, str):
        try:
            value = loads_strict(value.encode("utf-8"))
        except TrustIDError as exc:
            raise MalformedError("vp_token is not JSON") from exc
    if not isinstance(value, dict) or not value:
        raise MalformedError("vp_token must be a non-empty JSON object")
    out: dict[str, list[Any]] = {}
    for query_id, items in value.items():
        if not isinstance(items, list) or not items or len(items) > _MAX_PRESENTATIONS:
            raise MalformedError(f"vp_token.{query_id[:40]} must be a non-empty array")
        if not all(isinstance(p, str | dict) for p in items):
            raise MalformedError(f"vp_token.{query_id[:40]} holds a value that is no presentation")
        out[query_id] = list(items)
    return out
