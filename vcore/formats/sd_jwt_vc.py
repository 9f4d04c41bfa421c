"""Credentials secured with SD-JWT: ``dc+sd-jwt`` (IETF SD-JWT VC) and ``vc+sd-jwt``.

* ``dc+sd-jwt`` (draft-ietf-oauth-sd-jwt-vc), media type ``application/dc+sd-jwt``:
  header ``typ: dc+sd-jwt``; payload ``iss``, ``iat``, ``exp``, ``vct`` (and
  ``vct#integrity``), ``cnf.jwk`` (the holder's key), ``status.status_list {idx, uri}``
  (IETF Token Status List) and the claims, plain or behind digests. Its normalised VC 2.0
  view has type ``[VerifiableCredential, <TypeName>]`` (``<TypeName>`` is the last part
  of a ``vct`` of the form ``<issuer URL>/types/<TypeName>`` on the issuer's own
  did:web host, else the whole ``vct``), ``credentialSubject`` = the disclosed claims
  and two ``credentialStatus`` entries ``{"type": "status_list", "idx", "uri",
  "statusPurpose"}`` (the slot read once for revocation, once for suspension). A token
  of the older drafts' ``typ: vc+sd-jwt`` without ``@context`` reads as this format.
* ``vc+sd-jwt`` (VC-JOSE-COSE §3.2), media type ``application/vc+sd-jwt``: the VC Data
  Model 2.0 document itself is the payload, its subject claims behind digests; status
  and schema as in ``vc+jwt``.

Disclosure policy per claim (:class:`DisclosureMode`): ``always`` (a plain claim),
``selective`` (the default; an object is disclosable as a whole *and* member by member)
or ``never`` (left out of this format). The issuer signs with
:meth:`SdJwtVcFormat.sign_selective`. A KB-JWT appended to a credential is not checked
by the credential format: key binding is the presentation format's
(:class:`SdJwtPresentationFormat`, registered as ``dc+sd-jwt`` among presentations),
where the holder is the did:jwk of the ``cnf`` key; it lives in
:mod:`vcore.formats.sd_jwt_presentation` (its names are re-exported here).

This module (with :mod:`vcore.formats.sd_jwt_peek`) is the only place that tells SD-JWT
formats apart.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from vcore.clock import format_datetime, from_timestamp, parse_datetime, to_timestamp
from vcore.credentials import VC2_CONTEXT, credential_type_of
from vcore.dids import (
    is_offline_did,
    parse_did_url,
    resolve_offline,
)
from vcore.errors import (
    HolderBindingError,
    IssuerMismatchError,
    MalformedError,
    TrustIDError,
)
from vcore.formats.binding import check_subject_is_holder, issuer_key_id
from vcore.formats.jwt_times import check_jwt_times
from vcore.formats.registry import register_credential_format
from vcore.formats.sd_jwt_claims import (
    _ALL_SELECTIVE,
    DisclosureMode,
    DisclosurePolicy,
    did_web_base_url,
    mark_claims,
    type_name_of_vct,
    withheld_claims,
)
from vcore.formats.sd_jwt_peek import peek_sd_jwt, typ_of
from vcore.formats.sd_jwt_presentation import SD_JWT_PRESENTATION, SdJwtPresentationFormat
from vcore.formats.secured import Recognition, SecuredCredential
from vcore.formats.vc_jwt import _check_shape, _normalise_vc2
from vcore.i18n import display_labels
from vcore.jose import sign, verify
from vcore.keys import PublicKey
from vcore.sdjwt import (
    DEFAULT_DECOYS,
    MAX_SD_JWT_SIZE,
    DecoyPolicy,
    UnverifiedSdJwt,
    build_sd_payload,
    confirmation_key,
    join_sd_jwt,
    read_sd_jwt_unverified,
)
from vcore.signing import Signer

__all__ = [
    "DC_SD_JWT",
    "SD_JWT_PRESENTATION",
    "VC_SD_JWT",
    "DisclosureMode",
    "DisclosurePolicy",
    "SdJwtCredential",
    "SdJwtPresentationFormat",
    "SdJwtVcFormat",
    "SelectiveDisclosureFormat",
    "VcSdJwtFormat",
    "did_web_base_url",
    "mark_claims",
    "type_name_of_vct",
    "withheld_claims",
]

Rng = Callable[[int], bytes]

# Registered claims of an SD-JWT VC that are not claims about the subject (draft §3.2.2).
_REGISTERED = frozenset(
    {"iss", "iat", "nbf", "exp", "vct", "vct#integrity", "cnf", "status", "sub", "jti"}
)
_IAT_ROUNDING = timedelta(hours=24)


def _is_dc(peeked: tuple[str, dict[str, Any]] | None) -> bool:
    if peeked is None:
        return False
    typ, payload = peeked
    return typ == "dc+sd-jwt" or (typ == "vc+sd-jwt" and "@context" not in payload)


def _holder_key(holder: str) -> PublicKey:
    try:
        return resolve_offline(holder)
    except TrustIDError as exc:
        raise HolderBindingError(
            "an SD-JWT credential binds to a holder key: the holder must be a did:key or did:jwk"
        ) from exc


def _cnf_of(subject_id: object) -> dict[str, Any]:
    if not isinstance(subject_id, str) or not is_offline_did(parse_did_url(subject_id).did):
        raise MalformedError(
            "an SD-JWT credential needs a did:key or did:jwk holder (its key goes into cnf)"
        )
    jwk = resolve_offline(parse_did_url(subject_id).did).to_jwk()
    return {"jwk": jwk if jwk["kty"] == "RSA" else {k: v for k, v in jwk.items() if k != "alg"}}


@dataclass(frozen=True)
class SdJwtCredential(SecuredCredential):
    """A :class:`SecuredCredential` secured as an SD-JWT (either SD-JWT format).

    Attributes:
        sd_jwt: The split and processed SD-JWT (nothing verified).
    """

    sd_jwt: UnverifiedSdJwt | None = None

    @property
    def claim_base(self) -> tuple[str, ...]:
        """Where the subject claims sit in the payload (for choosing Disclosures by name)."""
        return ("credentialSubject",) if self.format == "vc+sd-jwt" else ()

    @property
    def disclosed(self) -> dict[str, Any]:
        """The subject claims the presenter showed (always-disclosed and chosen ones)."""
        return {k: v for k, v in self.subject.items() if k != "id"}

    @property
    def selectively_disclosed(self) -> tuple[str, ...]:
        """Dotted paths of the claims shown through a Disclosure."""
        if self.sd_jwt is None:
            return ()
        return tuple(".".join(str(p) for p in d.path) for d in self.sd_jwt.processed.disclosed)

    def claim_modes(self) -> dict[str, DisclosureMode]:
        """Each subject claim (dotted path): ``always`` shown or ``selective``.

        Read from the holder's full SD-JWT (every Disclosure present).
        """
        base = self.claim_base
        chosen: set[str] = set()
        if self.sd_jwt is not None:
            for item in self.sd_jwt.processed.disclosed:
                if item.path[: len(base)] == base and len(item.path) > len(base):
                    chosen.add(".".join(str(p) for p in item.path[len(base) :]))
        modes = {
            name: DisclosureMode.SELECTIVE if name in chosen else DisclosureMode.ALWAYS
            for name in self.disclosed
        }
        for path in sorted(chosen):
            modes.setdefault(path, DisclosureMode.SELECTIVE)
        return modes

    def claims_not_held(self, type_metadata: Mapping[str, Any] | None) -> list[str]:
        """The type's claims this credential does not carry at all (dotted names).

        From its Type Metadata, ``sd: never`` claims too. Meant for the holder's full SD-JWT (every Disclosure present); for a presentation
        it would also count the withheld claims.
        """
        return withheld_claims(self.disclosed, type_metadata, include_never=True)

    @property
    def undisclosed_digests(self) -> int:
        """Digests left unresolved (withheld claims and decoys: the count says nothing)."""
        return 0 if self.sd_jwt is None else self.sd_jwt.processed.undisclosed

    @property
    def type_metadata_url(self) -> str | None:
        """The ``vct`` when it is an http(s) URL (SD-JWT VC Type Metadata, draft §6)."""
        vct = self.claims.get("vct")
        if isinstance(vct, str) and vct.startswith(("https://", "http://")):
            return vct
        return None

    @property
    def type_metadata_integrity(self) -> object:
        """The signed ``vct#integrity`` (an SRI string, checked against the fetched bytes)."""
        return self.claims.get("vct#integrity")

    def disclosure(self, type_metadata: Mapping[str, Any] | None) -> dict[str, Any]:
        """The claims shown, and the type's claims (from its metadata) not shown.

        Without metadata the withheld names are unknown and ``withheld`` is empty. With
        it, ``display`` carries the type's name and claim labels per locale
        (:func:`vcore.i18n.display_labels`), for a page to show in its reader's language.
        """
        disclosed = self.disclosed
        result = {"disclosed": disclosed, "withheld": withheld_claims(disclosed, type_metadata)}
        if type_metadata is not None:
            result["display"] = display_labels(type_metadata)
        return result


@runtime_checkable
class SelectiveDisclosureFormat(Protocol):
    """A credential format that can sign with a per-claim disclosure policy.

    Attributes:
        status_entry_type: The status mechanism its credentials carry (registry key of
            :mod:`vcore.status`): ``status_list`` for ``dc+sd-jwt``,
            ``BitstringStatusListEntry`` for ``vc+sd-jwt``.
    """

    @property
    def status_entry_type(self) -> str:
        """The status mechanism's entry type."""
        ...

    def sign_selective(
        self,
        credential: Mapping[str, Any],
        signer: Signer,
        *,
        policy: DisclosurePolicy,
        vct: str | None = None,
        vct_integrity: str | None = None,
        rng: Rng = secrets.token_bytes,
        decoys: DecoyPolicy = DEFAULT_DECOYS,
    ) -> str:
        """Secure ``credential`` with ``policy`` deciding each subject claim."""
        ...


class _SdJwtFormat:
    """What both SD-JWT credential formats share."""

    key: str
    _typs: tuple[str, ...]

    def _read(self, value: object) -> UnverifiedSdJwt:
        if not isinstance(value, str):
            raise MalformedError(f"a {self.key} credential is a compact SD-JWT string")
        return read_sd_jwt_unverified(value)

    def issuer_key_id(self, credential: SecuredCredential) -> str:
        """``kid`` DID = ``iss`` = ``issuer``.

        Raises:
            IssuerMismatchError, UnknownKeyError.
        """
        if "iss" in credential.claims and credential.claims["iss"] != credential.issuer:
            raise IssuerMismatchError("the iss claim and the credential's issuer differ")
        return issuer_key_id(credential.issuer, credential.key_id)

    def verify_signature(self, credential: SecuredCredential, key: PublicKey) -> None:
        """Verify the issuer-signed JWT with the key's pinned algorithm.

        Raises:
            AlgorithmNotAllowedError, BadSignatureError, MalformedError.
        """
        if not isinstance(credential, SdJwtCredential) or credential.sd_jwt is None:
            raise MalformedError(f"not a {self.key} credential")
        verify(credential.sd_jwt.compact.jwt, key, typ=self._typs, max_size=MAX_SD_JWT_SIZE)

    def check_times(self, credential: SecuredCredential, now: datetime) -> None:
        """``exp`` and ``nbf`` (60 s leeway); a malformed ``iat`` is refused too.

        Raises:
            ExpiredError, NotYetValidError, MalformedError.
        """
        check_jwt_times(credential.claims, now)

    def check_holder_binding(self, credential: SecuredCredential, holder: str) -> None:
        """The ``cnf`` key must be the holder's key (or, without ``cnf``, the subject id).

        Raises:
            HolderBindingError: bound to another key or holder.
        """
        cnf = credential.confirmation
        if cnf is None:
            check_subject_is_holder(credential, holder)
            return
        try:
            bound = confirmation_key({"cnf": cnf})
        except TrustIDError as exc:
            raise HolderBindingError(exc.detail) from exc
        if bound is None or bound.thumbprint() != _holder_key(holder).thumbprint():
            raise HolderBindingError("the credential is bound to another holder key (cnf)")

    def sign(self, credential: Mapping[str, Any], signer: Signer) -> str:
        """Sign with every subject claim selectively disclosable."""
        return self.sign_selective(credential, signer, policy=_ALL_SELECTIVE)

    def sign_selective(
        self,
        credential: Mapping[str, Any],
        signer: Signer,
        *,
        policy: DisclosurePolicy,
        vct: str | None = None,
        vct_integrity: str | None = None,
        rng: Rng = secrets.token_bytes,
        decoys: DecoyPolicy = DEFAULT_DECOYS,
    ) -> str:
        """Secure a VC 2.0 document with ``policy``; see the subclasses."""
        claims = self._claims(credential, policy, vct=vct, vct_integrity=vct_integrity)
        payload, disclosures = build_sd_payload(claims, rng=rng, decoys=decoys)
        return join_sd_jwt(sign(payload, signer, typ=self._typs[0]), disclosures)

    def _claims(
        self,
        credential: Mapping[str, Any],
        policy: DisclosurePolicy,
        *,
        vct: str | None,
        vct_integrity: str | None,
    ) -> dict[str, Any]:  # pragma: no cover - each subclass has its own
        raise NotImplementedError


def _rounded(moment: datetime) -> int:
    """``iat`` rounded down to the day: the second of issuance is a correlation handle."""
    stamp = to_timestamp(moment)
    return stamp - stamp % int(_IAT_ROUNDING.total_seconds())


def _one_subject(credential: Mapping[str, Any]) -> dict[str, Any]:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        if len(subject) != 1:
            raise MalformedError("an SD-JWT VC has exactly one subject")
        subject = subject[0]
    if not isinstance(subject, Mapping):
        raise MalformedError("credentialSubject must be an object")
    return dict(subject)


class SdJwtVcFormat(_SdJwtFormat):
    """``dc+sd-jwt``: IETF SD-JWT VC (draft-ietf-oauth-sd-jwt-vc)."""

    key = "dc+sd-jwt"
    media_types = ("application/dc+sd-jwt",)
    status_entry_type = "status_list"
    _typs = ("dc+sd-jwt", "vc+sd-jwt")

    def recognise(self, value: object) -> Recognition:
        """Certain for ``typ: dc+sd-jwt`` (or the older ``vc+sd-jwt`` without ``@context``)."""
        return Recognition.CERTAIN if _is_dc(peek_sd_jwt(value)) else Recognition.NO

    def parse_unverified(self, value: object) -> SecuredCredential:
        """Parse an SD-JWT VC, apply its Disclosures, and normalise it (module docstring).

        Raises:
            MalformedError (and the SD-JWT subclasses): not a readable SD-JWT VC.
        """
        sd_jwt = self._read(value)
        if typ_of(sd_jwt.jws.header) not in self._typs:
            raise MalformedError(f"typ {sd_jwt.jws.typ!r} is not dc+sd-jwt")
        claims = sd_jwt.claims
        iss, vct = claims.get("iss"), claims.get("vct")
        if not isinstance(iss, str) or not iss:
            raise MalformedError("an SD-JWT VC needs an iss claim")
        if not isinstance(vct, str) or not vct:
            raise MalformedError("an SD-JWT VC needs a vct claim")
        subject = {k: v for k, v in claims.items() if k not in _REGISTERED}
        if isinstance(claims.get("sub"), str):
            subject = {"id": claims["sub"], **subject}
        credential: dict[str, Any] = {
            "@context": [VC2_CONTEXT],
            "type": ["VerifiableCredential", type_name_of_vct(vct, iss)],
            "issuer": iss,
            "credentialSubject": subject,
        }
        if "nbf" in claims:
            credential["validFrom"] = format_datetime(from_timestamp(claims["nbf"]))
        if "exp" in claims:
            credential["validUntil"] = format_datetime(from_timestamp(claims["exp"]))
        status = claims.get("status")
        if status is not None:
            if not isinstance(status, Mapping):
                raise MalformedError("status must be an object")
            if "status_list" in status:
                entry = status["status_list"]
                slot = dict(entry) if isinstance(entry, Mapping) else {}
                slot.pop("statusPurpose", None)
                credential["credentialStatus"] = [
                    {"type": "status_list", **slot, "statusPurpose": purpose}
                    for purpose in ("revocation", "suspension")
                ]
        return _secured(self.key, sd_jwt, credential, value)

    def _claims(
        self,
        credential: Mapping[str, Any],
        policy: DisclosurePolicy,
        *,
        vct: str | None,
        vct_integrity: str | None,
    ) -> dict[str, Any]:
        issuer = credential.get("issuer")
        issuer = issuer.get("id") if isinstance(issuer, Mapping) else issuer
        if not isinstance(issuer, str):
            raise MalformedError("the credential has no issuer id")
        types = credential.get("type")
        name = credential_type_of(types if isinstance(types, list) else [str(types)])
        if vct is None:
            vct = did_web_base_url(issuer) + f"/types/{name}"
        subject = _one_subject(credential)
        claims: dict[str, Any] = {"iss": issuer, "vct": vct}
        if vct_integrity is not None:
            claims["vct#integrity"] = vct_integrity
        if "validFrom" in credential:
            claims["iat"] = _rounded(parse_datetime(credential["validFrom"]))
        if "validUntil" in credential:
            claims["exp"] = to_timestamp(parse_datetime(credential["validUntil"]))
        claims["cnf"] = _cnf_of(subject.pop("id", None))
        for raw in _status_entries(credential):
            if raw.get("type") == "status_list":
                claims["status"] = {"status_list": {"idx": raw.get("idx"), "uri": raw.get("uri")}}
        for name_ in subject:
            if name_ in _REGISTERED:
                raise MalformedError(f"subject claim {name_!r} is a registered SD-JWT VC claim")
        claims.update(mark_claims(subject, policy))
        return claims


def _status_entries(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    value = credential.get("credentialStatus")
    entries = value if isinstance(value, list) else [] if value is None else [value]
    return [e for e in entries if isinstance(e, Mapping)]


class VcSdJwtFormat(_SdJwtFormat):
    """``vc+sd-jwt``: the VC Data Model 2.0 document secured with SD-JWT (VC-JOSE-COSE §3.2)."""

    key = "vc+sd-jwt"
    media_types = ("application/vc+sd-jwt",)
    status_entry_type = "BitstringStatusListEntry"
    _typs = ("vc+sd-jwt",)

    def recognise(self, value: object) -> Recognition:
        """Certain for an SD-JWT with ``typ: vc+sd-jwt`` and a ``@context``."""
        peeked = peek_sd_jwt(value)
        if peeked is not None and peeked[0] == "vc+sd-jwt" and "@context" in peeked[1]:
            return Recognition.CERTAIN
        return Recognition.NO

    def parse_unverified(self, value: object) -> SecuredCredential:
        """Parse, apply the Disclosures, and check the VCDM 2.0 rules on the result.

        Raises:
            MalformedError (and subclasses), DataModelError: not a readable VC.
        """
        sd_jwt = self._read(value)
        if typ_of(sd_jwt.jws.header) != "vc+sd-jwt":
            raise MalformedError(f"typ {sd_jwt.jws.typ!r} is not vc+sd-jwt")
        document = {k: v for k, v in sd_jwt.claims.items() if k not in ("cnf", "iat", "exp")}
        credential = _normalise_vc2(document)
        _check_shape(credential)
        return _secured(self.key, sd_jwt, credential, value)

    def _claims(
        self,
        credential: Mapping[str, Any],
        policy: DisclosurePolicy,
        *,
        vct: str | None,
        vct_integrity: str | None,
    ) -> dict[str, Any]:
        document = dict(credential)
        subject = _one_subject(credential)
        holder = subject.pop("id", None)
        marked = mark_claims(subject, policy)
        document["credentialSubject"] = marked if holder is None else {"id": holder, **marked}
        if holder is not None and is_offline_did(parse_did_url(holder).did):
            document["cnf"] = _cnf_of(holder)
        return document


def _secured(
    fmt: str, sd_jwt: UnverifiedSdJwt, credential: dict[str, Any], raw: object
) -> SdJwtCredential:
    payload = sd_jwt.jws.payload
    cnf = payload.get("cnf")
    return SdJwtCredential(
        format=fmt,
        credential=credential,
        token=sd_jwt.compact.without_kb,
        key_id=sd_jwt.jws.kid,
        alg=sd_jwt.jws.alg,
        header=sd_jwt.jws.header,
        claims=payload,
        secured=raw,
        confirmation=cnf if isinstance(cnf, dict) else None,
        sd_jwt=sd_jwt,
    )


DC_SD_JWT = register_credential_format(SdJwtVcFormat())
"""The registered ``dc+sd-jwt`` format."""
VC_SD_JWT = register_credential_format(VcSdJwtFormat())
"""The registered ``vc+sd-jwt`` format."""
