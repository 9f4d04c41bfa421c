"""OpenID4VP 1.0 for the verifier: presentation requests, request objects, responses.

A request (``POST /presentation-requests``) stores a DCQL query, a fresh nonce and
``state``, its client id and response mode, and for ``direct_post.jwt`` an ephemeral
P-256 key (sealed) whose public half goes into ``client_metadata.jwks``. The wallet
fetches the request object (signed with the verifier's did:web key, or unsigned under
the development ``redirect_uri:`` prefix) and posts its answer to ``response_uri``.

An answer is judged in two stages:

1. Is it an answer to *this* request? The form (or the decrypted JWE), ``state``, the
   ``vp_token`` shape, and each presentation's holder proof with the request's nonce
   and client id (KB-JWT ``aud`` = client id). A response failing here is refused with
   the spec's error and the request stays pending: someone who saw the QR code cannot
   burn the citizen's request with junk.
2. Does the answer satisfy the request? Every credential through the full pipeline
   (format, trust list, accreditation, signature, validity, status, schema, holder
   binding), then the DCQL constraints. The first such answer finishes the request as
   ``verified`` or ``failed`` (one conditional ``UPDATE``); any later response, a replay
   included, is refused.

Only the requested claims are reported (``claims``): a wallet that disclosed more does
not make the counter show more.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from vcore.clock import Clock, format_datetime, system_clock
from vcore.dcql import DcqlQuery, check_presented, parse_dcql_query, requested_claims
from vcore.errors import DcqlUnsatisfiedError, JweError, MalformedError, TrustIDError
from vcore.formats import SecuredCredential, parse_credential_unverified
from vcore.formats import parse_presentation_unverified as read_presentation
from vcore.jsontext import loads_strict
from vcore.jwe import CONTENT_ENCRYPTION, decrypt_jwe
from vcore.keys import PrivateKey, generate_key, private_key_from_der
from vcore.openid4vp import (
    SELF_ISSUED_AUDIENCE,
    ClientIdPrefix,
    ResponseMode,
    build_request_link,
    parse_vp_token,
    sign_request_object,
    unsigned_request_object,
)
from vcore.verify import CheckStatus, PresentationReport
from verifier import storage
from verifier.errors import VerifierError
from verifier.identity import VerifierIdentity
from verifier.service import VerifierService

__all__ = [
    "REQUEST_LIFETIME",
    "CreatedRequest",
    "OpenID4VPError",
    "PresentationRequests",
    "RequestState",
]

REQUEST_LIFETIME = timedelta(minutes=5)
_SIGNING_ALGS = ["ES256", "ES384", "ES512", "EdDSA"]


class RequestState(StrEnum):
    """The states of a presentation request (``GET /presentation-requests/{id}``)."""

    PENDING = "pending"
    VERIFIED = "verified"
    FAILED = "failed"
    EXPIRED = "expired"


class OpenID4VPError(VerifierError):
    """A protocol error answered with OAuth error JSON (``{"error", "error_description"}``).

    Attributes:
        error: The OAuth / OpenID4VP error code (``invalid_request``...), also ``code``.
        status: The HTTP status.
    """

    code = "invalid_request"
    title = "Invalid OpenID4VP request"

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.code = error
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class CreatedRequest:
    """What ``POST /presentation-requests`` answers."""

    id: str
    link: str
    request_uri: str
    expires_at: datetime


def _vp_formats() -> dict[str, Any]:
    return {
        "dc+sd-jwt": {"sd-jwt_alg_values": _SIGNING_ALGS, "kb-jwt_alg_values": _SIGNING_ALGS},
        "jwt_vc_json": {"alg_values": _SIGNING_ALGS},
    }


class PresentationRequests:
    """The OpenID4VP use cases of the verifier."""

    def __init__(
        self,
        *,
        engine: Engine,
        identity: VerifierIdentity,
        service: VerifierService,
        base_url: str,
        clock: Clock = system_clock,
        lifetime: timedelta = REQUEST_LIFETIME,
    ) -> None:
        self._engine = engine
        self._identity = identity
        self._service = service
        self._base = base_url.rstrip("/")
        self._clock = clock
        self.lifetime = lifetime

    # ---------------------------------------------------------------- creating

    def response_uri(self, request_id: str) -> str:
        """Where the wallet posts its answer."""
        return f"{self._base}/responses/{request_id}"

    def request_uri(self, request_id: str) -> str:
        """Where the wallet fetches the request object."""
        return f"{self._base}/request-objects/{request_id}"

    def create(
        self,
        caller: str,
        query: DcqlQuery,
        *,
        response_mode: ResponseMode = ResponseMode.DIRECT_POST_JWT,
        prefix: ClientIdPrefix = ClientIdPrefix.DECENTRALIZED_IDENTIFIER,
    ) -> CreatedRequest:
        """Store a new request for ``caller`` and return its link."""
        now = self._clock()
        request_id = secrets.token_urlsafe(24)
        if prefix is ClientIdPrefix.DECENTRALIZED_IDENTIFIER:
            client_id = f"{prefix.value}:{self._identity.did}"
        else:
            client_id = f"{prefix.value}:{self.response_uri(request_id)}"
        expires_at = now + self.lifetime
        enc_key = None
        if response_mode is ResponseMode.DIRECT_POST_JWT:
            enc_key = self._identity.kek.seal(generate_key("ES256").to_der(), _aad(request_id))
        row = storage.PresentationRequestRow(
            id=request_id,
            caller=caller,
            state=RequestState.PENDING.value,
            client_id=client_id,
            response_mode=response_mode.value,
            nonce=secrets.token_urlsafe(24),
            state_value=secrets.token_urlsafe(24),
            dcql_query=json.dumps(query.to_json(), separators=(",", ":")),
            enc_key=enc_key,
            created_at=now,
            expires_at=expires_at,
        )
        with Session(self._engine) as session, session.begin():
            storage.add_presentation_request(session, row)
        request_uri = self.request_uri(request_id)
        return CreatedRequest(
            id=request_id,
            link=build_request_link(client_id, request_uri),
            request_uri=request_uri,
            expires_at=expires_at,
        )

    def link_of(self, request_id: str) -> str:
        """The ``openid4vp://`` link of a stored request."""
        row = self._row(request_id)
        return build_request_link(row.client_id, self.request_uri(row.id))

    def _row(self, request_id: str) -> storage.PresentationRequestRow:
        with Session(self._engine) as session:
            row = storage.presentation_request(session, request_id)
            if row is None:
                raise OpenID4VPError("invalid_request", "no such presentation request", status=404)
            session.expunge(row)
        return row

    def _open_row(self, request_id: str) -> storage.PresentationRequestRow:
        """The request if it can still be answered."""
        row = self._row(request_id)
        if row.state != RequestState.PENDING:
            raise OpenID4VPError("invalid_request", "this request was already answered")
        if storage.as_utc(row.expires_at) < self._clock():
            raise OpenID4VPError("invalid_request", "this request expired")
        return row

    def request_object(self, request_id: str) -> str:
        """The request object (``oauth-authz-req+jwt``) of an open request.

        Raises:
            OpenID4VPError: unknown, answered or expired.
        """
        row = self._open_row(request_id)
        now = self._clock()
        claims: dict[str, Any] = {
            "client_id": row.client_id,
            "response_type": "vp_token",
            "response_mode": row.response_mode,
            "response_uri": self.response_uri(row.id),
            "nonce": row.nonce,
            "state": row.state_value,
            "dcql_query": json.loads(row.dcql_query),
            "aud": SELF_ISSUED_AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int(storage.as_utc(row.expires_at).timestamp()),
        }
        metadata: dict[str, Any] = {
            "client_name": "TrustID Verifier",
            "vp_formats_supported": _vp_formats(),
        }
        if row.enc_key is not None:
            public = self._enc_key(row).public_key()
            metadata["jwks"] = {
                "keys": [
                    {
                        **public.to_jwk(),
                        "kid": public.thumbprint(),
                        "use": "enc",
                        "alg": "ECDH-ES",
                    }
                ]
            }
            metadata["encrypted_response_enc_values_supported"] = list(CONTENT_ENCRYPTION)
        claims["client_metadata"] = metadata
        if row.client_id.startswith(ClientIdPrefix.REDIRECT_URI.value + ":"):
            return unsigned_request_object(claims)
        return sign_request_object(claims, self._identity.signer)

    def _enc_key(self, row: storage.PresentationRequestRow) -> PrivateKey:
        assert row.enc_key is not None  # noqa: S101 - the caller checked
        return private_key_from_der(self._identity.kek.open(row.enc_key, _aad(row.id)))

    # ---------------------------------------------------------------- status

    def status(self, request_id: str, caller: str) -> dict[str, Any]:
        """The state and report of ``caller``'s request (another caller: not found)."""
        try:
            row = self._row(request_id)
        except OpenID4VPError:
            row = None
        if row is None or not secrets.compare_digest(row.caller, caller):
            raise OpenID4VPError("not_found", "no such presentation request", status=404)
        state = row.state
        if state == RequestState.PENDING and storage.as_utc(row.expires_at) < self._clock():
            state = RequestState.EXPIRED
        body: dict[str, Any] = {
            "id": row.id,
            "state": state,
            "expiresAt": format_datetime(storage.as_utc(row.expires_at)),
            "dcqlQuery": json.loads(row.dcql_query),
        }
        if row.result is not None:
            body["result"] = json.loads(row.result)
        return body

    # ---------------------------------------------------------------- answering

    def _payload(
        self, row: storage.PresentationRequestRow, form: Mapping[str, str]
    ) -> dict[str, Any]:
        """The response parameters, decrypted for ``direct_post.jwt``."""
        if row.response_mode == ResponseMode.DIRECT_POST_JWT.value:
            token = form.get("response")
            if not token:
                raise OpenID4VPError(
                    "invalid_request", "direct_post.jwt: the body needs an encrypted 'response'"
                )
            try:
                _header, plaintext = decrypt_jwe(token, self._enc_key(row))
                payload = loads_strict(plaintext)
            except (JweError, MalformedError) as exc:
                raise OpenID4VPError("invalid_request", f"the response: {exc}") from exc
            if not isinstance(payload, dict):
                raise OpenID4VPError("invalid_request", "the decrypted response is not an object")
            return payload
        if "response" in form:
            raise OpenID4VPError(
                "invalid_request", "this request asked for direct_post, not an encrypted response"
            )
        return dict(form)

    async def answer(self, request_id: str, form: Mapping[str, str]) -> dict[str, Any]:
        """Judge a wallet's response (module docstring); the body to send back.

        Raises:
            OpenID4VPError: the response is refused (the request may stay pending).
        """
        row = await anyio.to_thread.run_sync(self._open_row, request_id)
        payload = self._payload(row, form)
        if payload.get("state") != row.state_value:
            raise OpenID4VPError("invalid_request", "state does not match the request")
        if "error" in payload:
            # A wallet's error (access_denied...) is acknowledged and changes nothing: it
            # is unauthenticated (state is in the public request object), so finishing
            # the request on it would let anyone who scanned the code cancel it.
            return {}
        try:
            presented = parse_vp_token(payload.get("vp_token"))
        except MalformedError as exc:
            raise OpenID4VPError("invalid_request", exc.detail) from exc
        query = parse_dcql_query(json.loads(row.dcql_query))
        for query_id, items in presented.items():
            # Before any verification (which may fetch): only what was asked, so a big
            # vp_token cannot make the verifier work for presentations it would refuse.
            credential_query = query.credential(query_id)
            if credential_query is None:
                raise OpenID4VPError(
                    "invalid_request", f"vp_token answers {query_id[:40]!r}, not asked"
                )
            if len(items) > 1 and not credential_query.multiple:
                raise OpenID4VPError("invalid_request", f"only one presentation for {query_id!r}")
        reports: dict[str, list[PresentationReport]] = {}
        for query_id, items in presented.items():
            reports[query_id] = [
                await self._service.verify_bound_presentation(
                    item, nonce=row.nonce, audience=row.client_id
                )
                for item in items
            ]
        for query_id, item_reports in reports.items():
            for report in item_reports:
                bad = [c for c in report.checks if c.status is CheckStatus.FAILED]
                if bad:
                    # Not bound to this request (nonce, audience, holder signature): not
                    # an answer at all, so the request stays open for the real one.
                    raise OpenID4VPError(
                        "invalid_request",
                        f"the presentation for {query_id!r} is not an answer to this "
                        f"request: {bad[0].detail}",
                    )
        result = self._judge(query, presented, reports)
        state = RequestState.VERIFIED if result["verified"] else RequestState.FAILED
        await self._finish(row, state, result)
        if not result["verified"]:
            problem = (result.get("problemDetails") or [{"detail": "not verified"}])[0]
            raise OpenID4VPError("invalid_request", str(problem.get("detail")))
        return {}

    def _judge(
        self,
        query: DcqlQuery,
        presented: Mapping[str, list[Any]],
        reports: Mapping[str, list[PresentationReport]],
    ) -> dict[str, Any]:
        """The verification report of a response bound to this request."""
        body: dict[str, Any] = {
            "verified": all(r.verified for rs in reports.values() for r in rs),
            "presentations": {k: [r.to_json() for r in rs] for k, rs in reports.items()},
        }
        problems = [p.to_json() for rs in reports.values() for r in rs for p in r.problems]
        if not body["verified"]:
            body["problemDetails"] = problems
            return body
        views: dict[str, list[SecuredCredential]] = {}
        try:
            for query_id, items in presented.items():
                views[query_id] = [_credential_of(item) for item in items]
            met = check_presented(query, views)
        except (DcqlUnsatisfiedError, MalformedError) as exc:
            body["verified"] = False
            body["problemDetails"] = [{"code": exc.code, "title": exc.title, "detail": exc.detail}]
            return body
        claims: dict[str, list[dict[str, Any]]] = {}
        for query_id, options in met.items():
            credential_query = query.credential(query_id)
            assert credential_query is not None  # noqa: S101 - check_presented checked
            claims[query_id] = [
                requested_claims(credential_query, view, option)
                for view, option in zip(views[query_id], options, strict=True)
            ]
        body["claims"] = claims
        return body

    async def _finish(
        self, row: storage.PresentationRequestRow, state: RequestState, result: dict[str, Any]
    ) -> None:
        def finish() -> bool:
            with Session(self._engine) as session, session.begin():
                return storage.finish_presentation_request(
                    session,
                    row.id,
                    state=state.value,
                    result=json.dumps(result, separators=(",", ":")),
                    now=self._clock(),
                )

        if not await anyio.to_thread.run_sync(finish):
            raise OpenID4VPError("invalid_request", "this request was already answered")


def _aad(request_id: str) -> str:
    return "presentation-request:" + request_id


def _credential_of(presentation: object) -> SecuredCredential:
    """The one credential a (verified) presentation carries, read for DCQL."""
    try:
        secured = read_presentation(presentation)
    except TrustIDError as exc:
        raise MalformedError(f"a presentation does not parse: {exc.detail}") from exc
    if len(secured.credentials) != 1:
        raise DcqlUnsatisfiedError("each presentation must carry exactly one credential")
    return parse_credential_unverified(secured.credentials[0])
