"""Presentations secured as JWTs: ``vp+jwt`` (VC-JOSE-COSE) and ``jwt_vp_json`` (VC-JWT 1.1).

* ``vp+jwt`` (VC-JOSE-COSE §3.1.2), media type ``application/vp+jwt``: the payload is a
  VC 2.0 ``VerifiablePresentation`` plus the JWT claims ``nonce`` (the verifier's
  challenge), ``aud`` (its domain) and ``iat``; ``kid`` is the holder's DID URL.
* ``jwt_vp_json`` (VC Data Model 1.1 §6.3.1): ``iss`` = holder, the presentation under
  the ``vp`` claim, credentials inside usually VC-JWT 1.1 compact tokens.

Replay protection is the same for both: nonce compared in constant time, audience,
and ``iat`` (or ``nbf``) within ``now-300s .. now+60s`` (required, unless the caller owns
the challenge: then a missing ``iat`` leaves freshness to the caller's challenge). Holder keys are resolved
offline by default (did:key, did:jwk); the holder may be any DID or URL, and the key
that signed must be a verification method of that holder.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from vcore.clock import from_timestamp, to_timestamp
from vcore.credentials import VC2_CONTEXT
from vcore.dids import holder_kid, is_offline_did, parse_did_url, resolve_offline
from vcore.errors import (
    AudienceMismatchError,
    ClaimNotAllowedError,
    ExpiredError,
    HolderBindingError,
    MalformedError,
    NonceMismatchError,
    NotYetValidError,
)
from vcore.formats.envelope import EnvelopeKind, envelope
from vcore.formats.protocols import HolderKeyResolver
from vcore.formats.registry import detect, register_presentation_format
from vcore.formats.secured import Recognition, SecuredPresentation
from vcore.formats.vc_jwt import peek_jwt_unverified
from vcore.jose import UnverifiedJWS, decode_unverified, sign, verify
from vcore.keys import PrivateKey, PublicKey
from vcore.presentations import (
    IAT_MAX_SKEW,
    MAX_PRESENTATION_SIZE,
    build_presentation_document,
    check_freshness,
    presented_credentials,
)
from vcore.signing import SoftwareSigner
from vcore.vcdm import check_presentation

__all__ = [
    "JWT_VP_JSON",
    "VC1_CONTEXT",
    "VP_JWT",
    "VpJwt11Format",
    "VpJwtFormat",
    "build_presentation",
    "build_presentation_v11",
    "offline_holder_key",
]


def offline_holder_key(key_id: str) -> PublicKey:
    """The default holder key resolver: did:key and did:jwk, no network.

    Raises:
        HolderBindingError: the holder DID cannot be resolved offline.
    """
    if not is_offline_did(parse_did_url(key_id).did):
        raise HolderBindingError(
            "the holder's key must come from a did:key or did:jwk (or a did:web document "
            "the verifier resolves)"
        )
    return resolve_offline(key_id)


def build_presentation(
    credentials: Sequence[str],
    key: PrivateKey,
    holder: str,
    *,
    audience: str,
    nonce: str,
    now: datetime,
) -> str:
    """Sign a ``vp+jwt`` presentation of ``credentials`` (compact tokens) for one verifier.

    Each credential is enveloped with the media type of its own format.

    Args:
        credentials: Compact credential tokens to present.
        key: The holder's private key.
        holder: The holder DID (did:key or did:jwk) matching ``key``.
        audience: The verifier's domain (``aud``).
        nonce: The verifier's challenge.
        now: Issue time.

    Raises:
        MalformedError: no credentials, an unrecognised credential, or an empty
            audience/nonce.
    """
    if not credentials:
        raise MalformedError("a presentation needs at least one credential")
    if not audience or not nonce:
        raise MalformedError("audience and nonce are required")
    envelopes: list[object] = []
    for token in credentials:
        fmt = detect(token).format
        if not fmt.media_types:
            envelopes.append(token)
        else:
            envelopes.append(envelope(EnvelopeKind.CREDENTIAL, fmt.media_types[0], token))
    payload = build_presentation_document(holder, envelopes)
    payload.update(nonce=nonce, aud=audience, iat=to_timestamp(now))
    return sign(payload, SoftwareSigner(key, holder_kid(holder)), typ="vp+jwt")


VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1"


def build_presentation_v11(
    credentials: Sequence[str],
    key: PrivateKey,
    holder: str,
    *,
    audience: str,
    nonce: str,
    now: datetime,
) -> str:
    """Sign a ``jwt_vp_json`` presentation (VC Data Model 1.1 §6.3.1) of compact tokens.

    What OpenID4VP 1.0 (Appendix B.1.3) expects for ``jwt_vc_json`` credentials: ``iss``
    = the holder, ``aud``, ``nonce``, ``iat``, the credentials as they are under ``vp``.

    Raises:
        MalformedError: no credentials, or an empty audience/nonce.
    """
    if not credentials:
        raise MalformedError("a presentation needs at least one credential")
    if not audience or not nonce:
        raise MalformedError("audience and nonce are required")
    payload = {
        "iss": holder,
        "aud": audience,
        "nonce": nonce,
        "iat": to_timestamp(now),
        "vp": {
            "@context": [VC1_CONTEXT],
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": list(credentials),
        },
    }
    return sign(payload, SoftwareSigner(key, holder_kid(holder)), typ="JWT")


def _typ(jws: UnverifiedJWS) -> str:
    return (jws.typ or "").lower().removeprefix("application/")


def _holder_of(value: object) -> str:
    if isinstance(value, Mapping):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        raise MalformedError("presentation has no holder")
    return value


def _credentials_of(raw: object) -> tuple[object, ...]:
    items = presented_credentials(raw)  # none: a holder proof
    for item in items:
        detect(item)  # refuse bad envelopes and unreadable items with the presentation
    return items


def _check_types(presentation: Mapping[str, Any]) -> None:
    types = presentation.get("type")
    types = types if isinstance(types, list) else [types]
    if "VerifiablePresentation" not in types:
        raise MalformedError("type must include VerifiablePresentation")


class _JwtPresentationFormat:
    """Holder binding, signature and replay checks shared by both JWT formats."""

    _typ_expected: tuple[str, ...]
    _nbf_is_issued = False

    def verify(
        self,
        presentation: SecuredPresentation,
        *,
        nonce: str,
        audience: str,
        now: datetime,
        key_for: HolderKeyResolver = offline_holder_key,
        require_issued_at: bool = True,
    ) -> dict[str, Any]:
        """Check holder key, signature, nonce, audience and freshness (in that order).

        ``iat`` (or, for VC-JWT 1.1, ``nbf``) is checked against the replay window when
        present; a presentation without one is refused unless ``require_issued_at`` is
        False: the nonce is then the relying party's own challenge, which it tracks
        itself (a caller-owned challenge policy, VC-API), and freshness is its word.

        Raises:
            MalformedError, AlgorithmNotAllowedError, BadSignatureError: token problems.
            HolderBindingError: not signed by a key of the holder.
            NonceMismatchError, AudienceMismatchError: replay protections failed.
            ExpiredError, NotYetValidError: made outside the accepted window.
        """
        kid = presentation.key_id
        if kid is None:
            raise MalformedError("presentation header has no kid")
        if parse_did_url(kid).did != presentation.holder:
            raise HolderBindingError("presentation is not signed by the holder's own key")
        verified = verify(
            presentation.token,
            key_for(kid),
            typ=self._typ_expected or None,
            max_size=MAX_PRESENTATION_SIZE,
        )
        payload = verified.payload
        got_nonce = payload.get("nonce")
        if not isinstance(got_nonce, str) or not hmac.compare_digest(
            got_nonce.encode(), nonce.encode()
        ):
            raise NonceMismatchError("presentation nonce does not match the challenge")
        aud = payload.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if audience not in auds:
            raise AudienceMismatchError(f"presentation is for {aud!r}, not {audience!r}")
        issued = payload.get("iat", payload.get("nbf") if self._nbf_is_issued else None)
        if issued is not None:
            check_freshness(from_timestamp(issued), now)
        elif require_issued_at:
            raise MalformedError(
                "presentation has no iat: it must date itself within the replay window"
            )
        if "exp" in payload and from_timestamp(payload["exp"]) < now - IAT_MAX_SKEW:
            raise ExpiredError("presentation has expired")
        # nbf is read even when iat dated the presentation: a malformed one is refused,
        # never skipped (issue 9 §4: no claim of a token is read loosely).
        if "nbf" in payload and from_timestamp(payload["nbf"]) > now + IAT_MAX_SKEW:
            raise NotYetValidError("presentation is not valid yet (nbf)")
        return payload


class VpJwtFormat(_JwtPresentationFormat):
    """``vp+jwt``: a VC 2.0 presentation secured with JOSE (VC-JOSE-COSE §3.1.2)."""

    key = "vp+jwt"
    media_types = ("application/vp+jwt",)
    _typ_expected = ("vp+jwt",)

    def recognise(self, value: object) -> Recognition:
        """Certain for ``typ: vp+jwt``; the fallback for any other string."""
        if not isinstance(value, str):
            return Recognition.NO
        peeked = peek_jwt_unverified(value, max_size=MAX_PRESENTATION_SIZE)
        if peeked is not None and peeked.typ == "vp+jwt":
            return Recognition.CERTAIN
        return Recognition.FALLBACK

    def parse_unverified(self, value: object) -> SecuredPresentation:
        """Parse a ``vp+jwt`` without checking its signature.

        Raises:
            MalformedError: not a presentation (with the reason); bad credentials inside.
            ClaimNotAllowedError: a ``vc`` or ``vp`` claim in the payload.
            DataModelError: the presentation breaks a VCDM 2.0 rule (``vcdm_*``).
        """
        jws = decode_unverified(value, max_size=MAX_PRESENTATION_SIZE)
        if _typ(jws) != "vp+jwt":
            raise MalformedError(f"typ {jws.typ!r} is not vp+jwt")
        payload = jws.payload
        for claim in ("vc", "vp"):
            if claim in payload:
                raise ClaimNotAllowedError(
                    f"a vp+jwt payload is the presentation itself: a {claim!r} claim is not allowed"
                )
        contexts = payload.get("@context")
        first = contexts[0] if isinstance(contexts, list) and contexts else contexts
        if first != VC2_CONTEXT:
            raise MalformedError(f"@context must start with {VC2_CONTEXT}")
        _check_types(payload)
        holder = _holder_of(payload.get("holder", payload.get("iss")))
        credentials = _credentials_of(payload.get("verifiableCredential"))
        # The VCDM 2.0 rules for presentations (§4.13); the code names the rule.
        check_presentation(payload)
        presentation = {k: v for k, v in payload.items() if k not in ("nonce", "aud", "iat")}
        return SecuredPresentation(
            format=self.key,
            holder=holder,
            credentials=credentials,
            token=jws.token,
            key_id=jws.kid,
            alg=jws.alg,
            header=jws.header,
            claims=payload,
            presentation=presentation,
        )


class VpJwt11Format(_JwtPresentationFormat):
    """``jwt_vp_json``: a VC-JWT 1.1 presentation (``vp`` claim, VC Data Model 1.1 §6.3.1)."""

    key = "jwt_vp_json"
    media_types: tuple[str, ...] = ("application/jwt",)
    _typ_expected: tuple[str, ...] = ()
    _nbf_is_issued = True  # VC-JWT 1.1 presentations may date themselves with nbf

    def recognise(self, value: object) -> Recognition:
        """Certain for a JWS with ``typ`` absent or ``JWT`` and a ``vp`` claim."""
        peeked = peek_jwt_unverified(value, max_size=MAX_PRESENTATION_SIZE)
        if peeked is not None and peeked.typ in {"", "jwt"} and "vp" in peeked.claims:
            return Recognition.CERTAIN
        return Recognition.NO

    def parse_unverified(self, value: object) -> SecuredPresentation:
        """Parse a VC-JWT 1.1 presentation without checking its signature.

        Raises:
            MalformedError: not a VC-JWT 1.1 presentation; bad credentials inside.
        """
        jws = decode_unverified(value, max_size=MAX_PRESENTATION_SIZE)
        vp = jws.payload.get("vp")
        if _typ(jws) not in {"", "jwt"} or not isinstance(vp, dict):
            raise MalformedError("not a VC-JWT 1.1 presentation (a JWT with a vp object)")
        _check_types(vp)
        holder = _holder_of(jws.payload.get("iss", vp.get("holder")))
        inner = vp.get("holder")
        if inner is not None and _holder_of(inner) != holder:
            raise HolderBindingError("the vp.holder and iss claims name different holders")
        credentials = _credentials_of(vp.get("verifiableCredential"))
        presentation = build_presentation_document(holder, list(credentials))
        return SecuredPresentation(
            format=self.key,
            holder=holder,
            credentials=credentials,
            token=jws.token,
            key_id=jws.kid,
            alg=jws.alg,
            header=jws.header,
            claims=jws.payload,
            presentation=presentation,
        )


VP_JWT = register_presentation_format(VpJwtFormat())
"""The registered ``vp+jwt`` format."""
JWT_VP_JSON = register_presentation_format(VpJwt11Format())
"""The registered ``jwt_vp_json`` format."""
