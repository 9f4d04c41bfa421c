"""Answering an OpenID4VP 1.0 request (``trustid-wallet answer``): check, match, send.

1. The ``openid4vp://`` link names a ``client_id`` and a ``request_uri``; the request
   object is fetched under the outbound policy (https, or an allow-listed development
   host).
2. A ``decentralized_identifier:<did>`` request must be signed (``typ:
   oauth-authz-req+jwt``) by a key of that DID's document, and its ``client_id`` must be
   the link's. An unsigned ``redirect_uri:`` request is accepted only for a host on the
   development allow list (``TRUSTID_ALLOW_INSECURE_HOSTS``): nothing proves who made it.
3. ``response_uri`` must belong to the client id (:func:`vcore.openid4vp.response_uri_belongs`),
   ``exp`` must be in the future, ``response_type`` ``vp_token``, and the DCQL query valid.
4. The query is matched against the vault; the citizen sees who asks and exactly which
   claims would leave the wallet, and says yes (or ``--yes``). Only the claims of the
   claim set chosen are disclosed, with a KB-JWT on the request's nonce and
   ``aud`` = client id; ``direct_post.jwt`` encrypts the answer to the request's key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vcore.dcql import CredentialMatch, DcqlQuery, parse_dcql_query, select_credentials
from vcore.dids import holder_kid, parse_did_url
from vcore.errors import DcqlUnsatisfiedError, MalformedError, TrustIDError
from vcore.formats import DisclosureMode, SdJwtCredential
from vcore.formats.vp_jwt import build_presentation_v11
from vcore.jose import verify
from vcore.jwe import CONTENT_ENCRYPTION, encrypt_jwe
from vcore.keys import public_key_from_jwk
from vcore.openid4vp import (
    REQUEST_OBJECT_TYP,
    ClientIdPrefix,
    ResponseMode,
    parse_request_link,
    read_signed_request_object,
    read_unsigned_request_object,
    response_uri_belongs,
    split_client_id,
)
from vcore.outbound import url_host_port
from vcore.sdjwt import present_sd_jwt
from vcore.signing import SoftwareSigner
from wallet_cli.client import WalletClient
from wallet_cli.errors import InputError, NetworkError, VerificationError
from wallet_cli.records import CredentialRecord, HolderRecord
from wallet_cli.resolution import Resolver

__all__ = ["CheckedRequest", "Disclosure", "check_request", "plan_answer", "send_answer"]

_CLOCK_SKEW = 300


@dataclass(frozen=True)
class CheckedRequest:
    """A request object whose origin and contents were checked."""

    client_id: str
    prefix: ClientIdPrefix
    identifier: str
    signed: bool
    verifier_name: str | None
    response_uri: str
    response_mode: ResponseMode
    nonce: str
    state: str | None
    query: DcqlQuery
    claims: dict[str, Any] = field(repr=False)

    @property
    def who(self) -> str:
        """Who asks, as the wallet can vouch for it."""
        name = f"{self.verifier_name} " if self.verifier_name else ""
        if self.signed:
            return f"{name}({self.identifier}, signature checked)"
        return f"{name}(unsigned development request from {url_host_port(self.response_uri)})"


@dataclass(frozen=True)
class Disclosure:
    """What leaves the wallet for one credential query."""

    query_id: str
    record: CredentialRecord
    names: list[str]
    always: list[str]
    whole: bool


def _fail(message: str) -> VerificationError:
    return VerificationError(f"the request is refused: {message}")


def check_request(
    link_text: str,
    client: WalletClient,
    resolver: Resolver,
    *,
    allow: frozenset[str],
    now: datetime,
) -> CheckedRequest:
    """Fetch and check the request named by an ``openid4vp://`` link (module docstring).

    Raises:
        InputError: not a request link.
        NetworkError, OutboundURLError: the request could not be fetched.
        VerificationError: the request fails a check (signature, client id, expiry...).
    """
    try:
        link = parse_request_link(link_text)
        prefix, identifier = split_client_id(link.client_id)
    except MalformedError as exc:
        raise InputError(f"not an OpenID4VP request: {exc.detail}") from None
    if link.request_uri_method != "get":
        raise InputError("this wallet fetches requests with GET only")
    token = client.fetch_request_object(link.request_uri)
    signed = prefix is ClientIdPrefix.DECENTRALIZED_IDENTIFIER
    try:
        if signed:
            unverified = read_signed_request_object(token)
            kid = unverified.kid
            if not kid or parse_did_url(kid).did != identifier:
                raise _fail("it is not signed by a key of the DID in its client id")
            key = resolver.key_for(kid)
            claims = verify(token, key, typ=REQUEST_OBJECT_TYP).payload
        else:
            _header, claims = read_unsigned_request_object(token)
    except VerificationError:
        raise
    except NetworkError:
        raise
    except TrustIDError as exc:
        raise _fail(f"its signature does not verify ({exc.detail})") from None
    if claims.get("client_id") != link.client_id:
        raise _fail("the request object names another client_id than the link")
    response_uri = claims.get("response_uri")
    if not isinstance(response_uri, str) or not response_uri_belongs(link.client_id, response_uri):
        raise _fail("its response_uri does not belong to its client id")
    client.check_url(response_uri)
    if not signed and url_host_port(response_uri) not in allow:
        raise _fail(
            "it is unsigned (redirect_uri), which is accepted only for a development host "
            "in TRUSTID_ALLOW_INSECURE_HOSTS"
        )
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp < now.timestamp():
        raise _fail("it has expired" if isinstance(exp, int) else "it has no expiry (exp)")
    iat = claims.get("iat")
    if isinstance(iat, int) and iat > now.timestamp() + _CLOCK_SKEW:
        raise _fail("it is dated in the future")
    if claims.get("response_type") != "vp_token":
        raise _fail("response_type is not vp_token")
    try:
        mode = ResponseMode(str(claims.get("response_mode")))
    except ValueError:
        raise _fail("response_mode must be direct_post or direct_post.jwt") from None
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise _fail("it has no nonce")
    state = claims.get("state")
    try:
        query = parse_dcql_query(claims.get("dcql_query"))
    except TrustIDError as exc:
        raise _fail(f"its DCQL query is invalid: {exc.detail}") from None
    metadata = claims.get("client_metadata")
    name = metadata.get("client_name") if isinstance(metadata, dict) else None
    return CheckedRequest(
        client_id=link.client_id,
        prefix=prefix,
        identifier=identifier,
        signed=signed,
        verifier_name=str(name)[:80] if isinstance(name, str) else None,
        response_uri=response_uri,
        response_mode=mode,
        nonce=nonce,
        state=state if isinstance(state, str) else None,
        query=query,
        claims=claims,
    )


def _names(match: CredentialMatch[CredentialRecord]) -> list[str]:
    """Disclosure names (dotted) for the claims asked: arrays are disclosed whole."""
    names = []
    for claim in match.claims:
        parts: list[str] = []
        for element in claim.path:
            if not isinstance(element, str):
                break
            parts.append(element)
        if parts:
            names.append(".".join(parts))
    return list(dict.fromkeys(names))


def plan_answer(request: CheckedRequest, records: Sequence[CredentialRecord]) -> list[Disclosure]:
    """Which credential answers each query and what of it would be disclosed.

    Raises:
        VerificationError: the wallet holds nothing that answers the request.
    """
    try:
        chosen = select_credentials(request.query, [(r, r.view) for r in records])
    except DcqlUnsatisfiedError as exc:
        raise VerificationError(f"this wallet cannot answer the request: {exc.detail}") from None
    plan = []
    for query_id, match in chosen.items():
        view = match.credential
        if isinstance(view, SdJwtCredential):
            modes = view.claim_modes()
            always = [n for n, m in modes.items() if m is DisclosureMode.ALWAYS]
            plan.append(Disclosure(query_id, match.key, _names(match), always, whole=False))
        else:
            plan.append(Disclosure(query_id, match.key, [], [], whole=True))
    return plan


def _encryption_key(request: CheckedRequest) -> tuple[dict[str, Any], str]:
    metadata = request.claims.get("client_metadata")
    if not isinstance(metadata, dict):
        raise _fail("direct_post.jwt without client_metadata")
    jwks = metadata.get("jwks")
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list):
        raise _fail("direct_post.jwt without client_metadata.jwks")
    for jwk in keys:
        if (
            isinstance(jwk, dict)
            and jwk.get("kty") == "EC"
            and jwk.get("crv") == "P-256"
            and jwk.get("use", "enc") == "enc"
            and jwk.get("alg", "ECDH-ES") == "ECDH-ES"
        ):
            offered = metadata.get("encrypted_response_enc_values_supported", ["A128GCM"])
            enc = next((e for e in offered if e in CONTENT_ENCRYPTION), None)
            if enc is None:
                raise _fail("no content encryption in common with the verifier")
            return jwk, enc
    raise _fail("no P-256 ECDH-ES key in client_metadata.jwks")


def send_answer(
    request: CheckedRequest,
    plan: Sequence[Disclosure],
    holder: HolderRecord,
    client: WalletClient,
    *,
    now: datetime,
) -> dict[str, Any]:
    """Build the presentations of ``plan`` (approved by the citizen) and post them.

    Returns:
        The verifier's JSON answer (``{}``, or with ``redirect_uri``).

    Raises:
        VerificationError: the verifier refused the answer (its error and description).
        NetworkError: it could not be reached.
    """
    signer = SoftwareSigner(holder.private_key, holder_kid(holder.did))
    vp_token: dict[str, list[str]] = {}
    for item in plan:
        view = item.record.view
        if isinstance(view, SdJwtCredential):
            token = present_sd_jwt(
                item.record.token,
                item.names,
                signer=signer,
                nonce=request.nonce,
                audience=request.client_id,
                now=now,
                base=view.claim_base,
            )
        else:
            # jwt_vc_json, the other DCQL profile: a VC-JWT 1.1 presentation (B.1.3).
            token = build_presentation_v11(
                [item.record.token],
                holder.private_key,
                holder.did,
                audience=request.client_id,
                nonce=request.nonce,
                now=now,
            )
        vp_token[item.query_id] = [token]
    payload: dict[str, Any] = {"vp_token": vp_token}
    if request.state is not None:
        payload["state"] = request.state
    if request.response_mode is ResponseMode.DIRECT_POST_JWT:
        jwk, enc = _encryption_key(request)
        key = public_key_from_jwk({k: jwk[k] for k in ("kty", "crv", "x", "y")})
        jwe = encrypt_jwe(
            json.dumps(payload, separators=(",", ":")).encode("utf-8"),
            key,
            enc=enc,
            kid=str(jwk["kid"]) if "kid" in jwk else None,
        )
        form = {"response": jwe}
    else:
        form = {"vp_token": json.dumps(vp_token, separators=(",", ":"))}
        if request.state is not None:
            form["state"] = request.state
    status, answer = client.post_authorization_response(request.response_uri, form)
    if status != 200:
        error = (answer or {}).get("error", f"HTTP {status}")
        description = (answer or {}).get("error_description", "")
        raise VerificationError(f"the verifier refused the answer: {error}: {description}")
    return answer or {}
