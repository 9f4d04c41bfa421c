"""OpenID4VCI pre-authorized code flow: offers, token, nonce, credential (use cases).

Order of events:

1. An agency makes an offer (``create``): the claims are checked as an issue request
   would be, then sealed under the KEK with the pre-authorized code; only digests of the
   code (and a KEK-keyed digest of the transaction code) can be searched.
2. The wallet redeems the code at ``token`` with the transaction code and a DPoP proof:
   a wrong code is counted (the 5th locks the offer), a right one makes the offer
   single-use spent and returns an access token bound to the DPoP key (``cnf.jkt``).
3. ``nonce`` hands out single-use ``c_nonce`` values for key proofs.
4. ``credential`` checks the DPoP-bound token and the key proofs, then issues one
   credential per proven key through :class:`IssuanceService` (records, status slots,
   accreditation as for any issuance). Once every offered configuration is issued, or
   the offer expires, its sealed claims are deleted.

Every refusal is an :class:`vcore.errors.OAuthError` with the spec's code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from issuer.errors import InvalidRequestError, NotFoundError, UnknownTypeError
from issuer.service.agencies import AgencyService
from issuer.service.context import IssuerContext, Principal
from issuer.service.issuance import IssuanceService, IssueCommand
from issuer.service.oid4vci_metadata import configuration_of
from issuer.storage.offers import NonceRepository, OfferRepository, ReplayRepository
from issuer.storage.tables import CredentialOfferRow
from vcore.dids import did_jwk_for
from vcore.errors import (
    CredentialRequestDeniedError,
    InvalidCredentialRequestError,
    InvalidDpopProofError,
    InvalidGrantError,
    InvalidNonceError,
    InvalidProofError,
    InvalidTokenError,
    OAuthRequestError,
    TrustIDError,
    TypeNotAccreditedError,
    UnknownCredentialConfigurationError,
    UnsupportedGrantTypeError,
)
from vcore.keys import generate_key
from vcore.oid4vci import (
    DPOP_MAX_AGE,
    PRE_AUTHORIZED_GRANT,
    PROFILES,
    DpopProof,
    KeyProof,
    TxCodeSpec,
    build_credential_offer,
    check_dpop_proof,
    check_key_proof,
    check_tx_code,
    configuration_id,
    new_tx_code,
    offer_link,
    secret_digest,
    tx_code_digest,
)

__all__ = [
    "ACCESS_TOKEN_TTL",
    "MAX_TX_FAILURES",
    "NONCE_TTL",
    "NewOffer",
    "OfferService",
    "TokenGrant",
]

log = logging.getLogger("issuer")

MAX_TX_FAILURES = 5
ACCESS_TOKEN_TTL = timedelta(minutes=5)
NONCE_TTL = timedelta(minutes=5)
TX_CODE_LENGTH = 6
_OFFERED, _TOKEN, _REDEEMED, _LOCKED = "offered", "token_issued", "redeemed", "locked"
_DEFAULT_FORMATS = ("dc+sd-jwt",)


@dataclass(frozen=True)
class NewOffer:
    """A fresh offer: what the agency hands the citizen (the tx code on another channel)."""

    offer_id: str
    offer: str
    credential_offer_uri: str
    tx_code: str | None
    expires_at: datetime
    configuration_ids: tuple[str, ...]


@dataclass(frozen=True)
class TokenGrant:
    """A DPoP-bound access token."""

    access_token: str
    expires_in: int


def _placeholder_holder() -> str:
    return did_jwk_for(generate_key("ES256").public_key())


class OfferService:
    """The OpenID4VCI use cases."""

    def __init__(
        self, ctx: IssuerContext, agencies: AgencyService, issuance: IssuanceService
    ) -> None:
        self._ctx = ctx
        self._agencies = agencies
        self._issuance = issuance

    # -- helpers -----------------------------------------------------------------------

    @property
    def _tx_key(self) -> bytes:
        # Domain-separated from the KEK so the digest key is never the sealing key.
        return hashlib.sha256(b"trustid-tx-code\x00" + self._ctx.kek.key).digest()

    def offer_uri(self, offer_id: str) -> str:
        return f"{self._ctx.issuer_url}/credential-offer/{offer_id}"

    def _credential(
        self, type_name: str, subject: Mapping[str, Any], holder: str
    ) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", type_name],
            "credentialSubject": {**subject, "id": holder},
        }

    # -- 1. offers (agency API) --------------------------------------------------------

    def create(
        self,
        principal: Principal,
        type_name: str,
        subject: Mapping[str, Any],
        formats: Sequence[str] | None,
        *,
        tx_code: bool,
    ) -> NewOffer:
        """Make an offer of one credential of ``type_name`` in each of ``formats``.

        Raises:
            UnknownTypeError, InvalidRequestError, TypeNotAccreditedError, ClaimsInvalidError:
            as ``POST /credentials/issue`` would for the same claims.
        """
        ctype = self._ctx.types.get(type_name)
        if ctype is None or ctype.is_open:
            raise UnknownTypeError(f"no credential type {type_name[:64]!r} can be offered")
        if type_name not in principal.types:
            raise TypeNotAccreditedError(f"agency is not accredited for {type_name}")
        if "id" in subject:
            raise InvalidRequestError(
                "credentialSubject.id is set by the wallet's key proof; leave it out"
            )
        chosen = tuple(dict.fromkeys(formats or _DEFAULT_FORMATS))
        unknown = [f for f in chosen if f not in PROFILES]
        if unknown or not chosen:
            raise InvalidRequestError(
                f"formats must be some of {', '.join(PROFILES)}; got {', '.join(unknown)[:80]}"
            )
        holder = _placeholder_holder()
        for fmt in chosen:
            credential = self._credential(type_name, subject, holder)
            self._issuance.check(
                principal,
                IssueCommand(credential, fmt, None, {"credential": credential}),
            )
        now = self._ctx.clock()
        offer_id = secrets.token_urlsafe(24)
        code = secrets.token_urlsafe(32)
        code_tx = new_tx_code(TX_CODE_LENGTH, self._ctx.rng) if tx_code else None
        config_ids = tuple(configuration_id(type_name, PROFILES[f]) for f in chosen)
        expires_at = now + timedelta(seconds=self._ctx.settings.offer_ttl)
        kek = self._ctx.kek
        row = CredentialOfferRow(
            id=offer_id,
            agency_id=principal.agency_id,
            api_key_id=principal.api_key_id,
            type_name=type_name,
            configuration_ids=json.dumps(list(config_ids)),
            code_sha256=secret_digest(code),
            code_sealed=kek.seal(code.encode("ascii"), aad=f"offer-code:{offer_id}"),
            claims_sealed=kek.seal(
                json.dumps(dict(subject), ensure_ascii=False).encode("utf-8"),
                aad=f"offer-claims:{offer_id}",
            ),
            tx_code_digest=tx_code_digest(code_tx, key=self._tx_key, offer_id=offer_id)
            if code_tx
            else None,
            tx_failures=0,
            state=_OFFERED,
            created_at=now,
            expires_at=expires_at,
            redeemed_ids="[]",
        )
        with self._ctx.session() as session, session.begin():
            repo = OfferRepository(session)
            repo.forget_expired(now)
            repo.add(row)
        uri = self.offer_uri(offer_id)
        log.info("offer %s (%s) made by agency %s", offer_id[:8], type_name, principal.agency_id)
        return NewOffer(offer_id, offer_link(uri), uri, code_tx, expires_at, config_ids)

    def owned(self, principal: Principal, offer_id: str) -> str:
        """The offer link of one of the agency's offers still open (for its QR code).

        Raises:
            NotFoundError: unknown, another agency's, or no longer redeemable.
        """
        now = self._ctx.clock()
        with self._ctx.session() as session, session.begin():
            row = OfferRepository(session).get(offer_id)
            if (
                row is None
                or row.agency_id != principal.agency_id
                or row.state != _OFFERED
                or row.expires_at <= now
            ):
                raise NotFoundError("no open offer with this id")
        return offer_link(self.offer_uri(offer_id))

    def offer_document(self, offer_id: str) -> dict[str, Any]:
        """The Credential Offer object behind ``credential_offer_uri`` (§4.1.3).

        Raises:
            InvalidGrantError: unknown, expired, used or locked (nothing to say which).
        """
        now = self._ctx.clock()
        with self._ctx.session() as session, session.begin():
            row = OfferRepository(session).get(offer_id)
            if row is None or row.state != _OFFERED or row.expires_at <= now:
                raise InvalidGrantError("this credential offer is unknown, expired or used")
            if row.code_sealed is None:  # pragma: no cover - cleared only with the state
                raise InvalidGrantError("this credential offer is no longer available")
            code = self._ctx.kek.open(row.code_sealed, aad=f"offer-code:{offer_id}").decode()
            tx = (
                TxCodeSpec(
                    TX_CODE_LENGTH,
                    "numeric",
                    "The 6-digit code the agency sent you separately / 机构另行发送的6位数字码",
                )
                if row.tx_code_digest
                else None
            )
            return build_credential_offer(
                self._ctx.issuer_url, json.loads(row.configuration_ids), code, tx
            )

    # -- 2. token ---------------------------------------------------------------------

    def _record_proof(self, proof: DpopProof, now: datetime) -> None:
        with self._ctx.session() as session, session.begin():
            replay = ReplayRepository(session)
            replay.purge(now - DPOP_MAX_AGE)
            fresh = replay.first_use(
                proof.jkt, secret_digest(proof.jti), proof.issued_at + DPOP_MAX_AGE * 2
            )
        if not fresh:
            raise InvalidDpopProofError("this DPoP proof was already used (jti replay)")

    def token(self, form: Mapping[str, str], *, dpop: str | None, url: str) -> TokenGrant:
        """The token endpoint for the pre-authorized code grant (§6).

        Raises:
            UnsupportedGrantTypeError, OAuthRequestError, InvalidDpopProofError,
            InvalidGrantError.
        """
        now = self._ctx.clock()
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthRequestError("grant_type is required")
        if grant_type != PRE_AUTHORIZED_GRANT:
            raise UnsupportedGrantTypeError(f"only {PRE_AUTHORIZED_GRANT} is supported")
        code = form.get("pre-authorized_code")
        if not code:
            raise OAuthRequestError("pre-authorized_code is required")
        proof = check_dpop_proof(dpop, method="POST", url=url, now=now)
        self._record_proof(proof, now)
        given_tx = form.get("tx_code")
        failure: str | None = None
        token = secrets.token_urlsafe(32)
        with self._ctx.session() as session, session.begin():
            row = OfferRepository(session).by_code(secret_digest(code))
            if row is None or row.expires_at <= now:
                raise InvalidGrantError("the pre-authorized code is unknown or expired")
            if row.state == _LOCKED:
                raise InvalidGrantError("this offer is locked after too many wrong codes")
            if row.state != _OFFERED:
                raise InvalidGrantError("the pre-authorized code was already used")
            if row.tx_code_digest is not None:
                if not given_tx:
                    raise OAuthRequestError("this offer needs its tx_code")
                if not check_tx_code(
                    given_tx, row.tx_code_digest, key=self._tx_key, offer_id=row.id
                ):
                    # Counted in this transaction, committed before the refusal.
                    row.tx_failures += 1
                    left = MAX_TX_FAILURES - row.tx_failures
                    if left <= 0:
                        row.state = _LOCKED
                        row.claims_sealed = None
                        row.code_sealed = None
                        failure = "wrong tx_code: the offer is now locked"
                    else:
                        failure = f"wrong tx_code ({left} tries left)"
            elif given_tx:
                raise OAuthRequestError("this offer has no tx_code")
            if failure is None:
                row.state = _TOKEN
                row.code_sealed = None
                row.token_sha256 = secret_digest(token)
                row.dpop_jkt = proof.jkt
                row.token_expires_at = now + ACCESS_TOKEN_TTL
        if failure is not None:
            raise InvalidGrantError(failure)
        return TokenGrant(token, int(ACCESS_TOKEN_TTL.total_seconds()))

    # -- 3. nonce ---------------------------------------------------------------------

    def nonce(self) -> str:
        """A fresh single-use ``c_nonce`` (§7)."""
        now = self._ctx.clock()
        value = secrets.token_urlsafe(24)
        with self._ctx.session() as session, session.begin():
            repo = NonceRepository(session)
            repo.purge(now)
            repo.add(secret_digest(value), now + NONCE_TTL)
            # Wallet traffic also sweeps expired offers, so their claims do not wait for
            # the next offer to be made.
            OfferRepository(session).forget_expired(now)
        return value

    # -- 4. credential ----------------------------------------------------------------

    def _authorise(
        self, authorization: str | None, dpop: str | None, url: str, now: datetime
    ) -> str:
        scheme, _, access_token = (authorization or "").partition(" ")
        if scheme.lower() != "dpop" or not access_token.strip():
            raise InvalidTokenError("send the access token as Authorization: DPoP <token>")
        access_token = access_token.strip()
        try:
            proof = check_dpop_proof(
                dpop, method="POST", url=url, now=now, access_token=access_token
            )
        except InvalidDpopProofError as exc:
            raise InvalidDpopProofError(exc.detail, status=401) from exc
        with self._ctx.session() as session, session.begin():
            row = OfferRepository(session).by_token(secret_digest(access_token))
            if (
                row is None
                or row.token_expires_at is None
                or row.token_expires_at <= now
                or row.state != _TOKEN
            ):
                raise InvalidTokenError("the access token is unknown, expired or used up")
            if not secrets.compare_digest(row.dpop_jkt or "", proof.jkt):
                raise InvalidTokenError("the access token is bound to another DPoP key")
            offer_id = row.id
        try:
            self._record_proof(proof, now)
        except InvalidDpopProofError as exc:
            raise InvalidDpopProofError(exc.detail, status=401) from exc
        return offer_id

    def _proofs(self, body: Mapping[str, Any], now: datetime) -> list[KeyProof]:
        if "proof" in body:
            raise InvalidCredentialRequestError("send key proofs as proofs.jwt (OpenID4VCI 1.0)")
        proofs = body.get("proofs")
        if not isinstance(proofs, dict) or set(proofs) != {"jwt"}:
            raise InvalidProofError('proofs must be {"jwt": [...]} (the one proof type served)')
        jwts = proofs["jwt"]
        batch = self._ctx.settings.batch_size
        if not isinstance(jwts, list) or not 1 <= len(jwts) <= batch:
            raise InvalidProofError(f"proofs.jwt must list 1 to {batch} key proofs")
        checked = [check_key_proof(j, audience=self._ctx.issuer_url, now=now) for j in jwts]
        if len({p.key.thumbprint() for p in checked}) != len(checked):
            raise InvalidProofError("two proofs are for the same key")
        with self._ctx.session() as session, session.begin():
            repo = NonceRepository(session)
            for nonce in {p.nonce for p in checked}:
                if not repo.consume(secret_digest(nonce), now):
                    raise InvalidNonceError(
                        "the proof's nonce is unknown, used or expired: get a new c_nonce"
                    )
        return checked

    def credential(
        self, body: object, *, authorization: str | None, dpop: str | None, url: str
    ) -> list[str]:
        """The credential endpoint (§8): one credential per proven key.

        Raises:
            InvalidTokenError, InvalidDpopProofError (401), InvalidCredentialRequestError,
            UnknownCredentialConfigurationError, InvalidProofError, InvalidNonceError,
            CredentialRequestDeniedError.
        """
        now = self._ctx.clock()
        offer_id = self._authorise(authorization, dpop, url, now)
        if not isinstance(body, dict):
            raise InvalidCredentialRequestError("the credential request must be a JSON object")
        if "credential_identifier" in body:
            raise InvalidCredentialRequestError(
                "credential_identifier is not used here: send credential_configuration_id"
            )
        config_id = body.get("credential_configuration_id")
        if not isinstance(config_id, str):
            raise InvalidCredentialRequestError("credential_configuration_id is required")
        known = configuration_of(self._ctx)
        if config_id not in known:
            raise UnknownCredentialConfigurationError(f"no configuration {config_id[:80]!r}")
        if "credential_response_encryption" in body:
            raise InvalidCredentialRequestError("credential response encryption is not offered")
        proofs = self._proofs(body, now)
        with self._ctx.session() as session, session.begin():
            row = OfferRepository(session).get(offer_id, for_update=True)
            if row is None or row.state != _TOKEN or row.claims_sealed is None:
                raise InvalidTokenError("the access token is used up")
            offered = json.loads(row.configuration_ids)
            redeemed = json.loads(row.redeemed_ids)
            if config_id not in offered:
                raise UnknownCredentialConfigurationError(
                    f"{config_id[:80]!r} is not in this offer"
                )
            if config_id in redeemed:
                raise InvalidCredentialRequestError(f"{config_id[:80]} was already issued")
            claims = json.loads(
                self._ctx.kek.open(row.claims_sealed, aad=f"offer-claims:{offer_id}")
            )
            redeemed.append(config_id)
            row.redeemed_ids = json.dumps(redeemed)
            if set(offered) <= set(redeemed):
                # Every offered credential issued: the claims are deleted at once.
                row.state = _REDEEMED
                row.claims_sealed = None
            agency_id, api_key_id, type_name = row.agency_id, row.api_key_id, row.type_name
        try:
            principal = self._agencies.principal_for(agency_id, api_key_id)
        except TrustIDError as exc:
            raise CredentialRequestDeniedError(exc.detail) from exc
        _, fmt = known[config_id]
        items = []
        for proof in proofs:
            credential = self._credential(type_name, claims, proof.holder)
            items.append((IssueCommand(credential, fmt, None, {"credential": credential}), None))
        results = self._issuance.issue_batch(principal, items)
        tokens: list[str] = []
        for result in results:
            if isinstance(result, TrustIDError):
                raise CredentialRequestDeniedError(f"not issued: {result.detail}")
            tokens.append(result.token)
        log.info("offer %s: %d %s credential(s) issued", offer_id[:8], len(tokens), config_id)
        return tokens
