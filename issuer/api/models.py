"""Wire models (VC-API shapes). Strict: no type coercion, no unknown members."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from issuer.credential_types import MAX_VALID_DAYS
from issuer.service import IssueCommand
from issuer.service.issuance import MAX_COPIES
from issuer.service.status import StatusChangeResult

__all__ = [
    "CredentialOfferRequest",
    "CredentialOfferResponse",
    "CredentialResponse",
    "CredentialStatusRef",
    "CredentialTemplate",
    "EnvelopedCredential",
    "IssueOptions",
    "IssueRequest",
    "IssueResponse",
    "IssuedCopy",
    "IssuedCredentialObject",
    "NonceResponse",
    "StatusChangeRequest",
    "StatusChangeResponse",
    "TokenResponse",
]

_ISSUER_SET = ("proof",)
# Strings that are stored: PostgreSQL text cannot hold NUL, and an id or an audit line
# has no business holding control characters. A credential id is a URI: no whitespace.
_URI_TEXT = r"^[^\x00-\x20\x7f]+$"
_AUDIT_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_MEMBER = "VC Data Model 2.0 §{}; checked by vcore.vcdm."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class CredentialTemplate(_Strict):
    """The credential to issue (VC Data Model 2.0); the issuer fills in the rest.

    Every member is checked against the VCDM 2.0 rules (a violation is a 400 whose
    ``code`` names the rule, e.g. ``vcdm_context``) and against the type's policy. The
    issuer adds ``id`` (unless given), ``issuer`` (unless given: it must be this issuer),
    ``validFrom`` / ``validUntil`` (unless given), its own ``credentialStatus`` entries
    and the type's ``credentialSchema``.
    """

    context: Any = Field(
        default=None,
        alias="@context",
        description="VC 2.0 context URL first, then context URLs or objects (at most 10). "
        "Default: the VC 2.0 context alone.",
    )
    id: Any = Field(default=None, description="The credential's id, a URL (default: urn:uuid).")
    type: Any = Field(
        description="e.g. ['VerifiableCredential', 'ResidentIdentityCredential']; must "
        "include VerifiableCredential."
    )
    name: Any = Field(default=None, description="A string or language value object(s).")
    description: Any = Field(default=None, description="A string or language value object(s).")
    issuer: Any = Field(
        default=None,
        description="This issuer's DID, or an object with that id plus name/description.",
    )
    credentialSubject: Any = Field(  # noqa: N815 - VC data model name
        description="An object or a non-empty array of objects; for the built-in types "
        "each with 'id' = the holder DID (did:key, did:jwk or did:web)."
    )
    validFrom: Any = Field(  # noqa: N815 - VC data model name
        default=None, description="XML Schema dateTimeStamp; default now (type policy)."
    )
    validUntil: Any = Field(  # noqa: N815 - VC data model name
        default=None, description="XML Schema dateTimeStamp; default per type."
    )
    credentialStatus: Any = Field(  # noqa: N815 - VC data model name
        default=None, description="Further status entries (the issuer adds its own)."
    )
    credentialSchema: Any = Field(  # noqa: N815 - VC data model name
        default=None, description="Further schema entries (the issuer adds the type's)."
    )
    evidence: Any = Field(default=None, description=_MEMBER.format("5.6"))
    termsOfUse: Any = Field(default=None, description=_MEMBER.format("5.5"))  # noqa: N815
    refreshService: Any = Field(default=None, description=_MEMBER.format("5.4"))  # noqa: N815
    relatedResource: Any = Field(default=None, description=_MEMBER.format("5.3"))  # noqa: N815

    @model_validator(mode="before")
    @classmethod
    def _issuer_fills(cls, data: Any) -> Any:
        if isinstance(data, dict):
            given = [name for name in _ISSUER_SET if name in data]
            if given:
                raise ValueError(f"{', '.join(given)} set by the issuer; leave them out")
        return data

    def document(self) -> dict[str, Any]:
        """The credential as the caller sent it (members they left out stay out)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


class IssueOptions(_Strict):
    """Issuance options."""

    format: Literal["vc+jwt", "jwt_vc_json", "dc+sd-jwt", "vc+sd-jwt"] = Field(
        default="vc+jwt",
        description="vc+jwt (VC 2.0, default), jwt_vc_json (VC-JWT 1.1), dc+sd-jwt (IETF "
        "SD-JWT VC: selective disclosure, key binding, Token Status List) or vc+sd-jwt "
        "(VC 2.0 secured with SD-JWT).",
    )
    validDays: int | None = Field(  # noqa: N815 - camelCase like the rest of VC-API
        default=None, ge=1, le=MAX_VALID_DAYS, description="Validity in days (default per type)."
    )
    copies: int = Field(
        default=1,
        ge=1,
        le=MAX_COPIES,
        description=f"dc+sd-jwt and vc+sd-jwt only: issue 1 to {MAX_COPIES} copies of the "
        "credential, each with its own credentialId, status index, salts and decoys, so the "
        "holder can show a different copy to each verifier. The response lists them in "
        "`copies`; each copy is revoked or suspended on its own credentialId.",
    )


class IssueRequest(_Strict):
    """``POST /credentials/issue`` body (W3C VC-API)."""

    credential: CredentialTemplate
    options: IssueOptions = Field(default_factory=IssueOptions)

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "credential": {
                        "type": ["VerifiableCredential", "ResidentIdentityCredential"],
                        "credentialSubject": {
                            "id": "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169",
                            "givenName": "Wei",
                            "familyName": "Zhang",
                            "birthDate": "1990-03-14",
                            "residentNumber": "11010519900314123X",
                            "address": {
                                "streetAddress": "12 Jianguomenwai Avenue",
                                "locality": "Chaoyang District",
                                "country": "CN",
                            },
                        },
                    },
                    "options": {"format": "vc+jwt"},
                }
            ]
        },
    )

    def to_command(self) -> IssueCommand:
        request = self.model_dump(mode="json", by_alias=True)
        if self.options.copies == 1:
            # One copy hashes as before the option existed (stored Idempotency-Keys hold).
            del request["options"]["copies"]
        return IssueCommand(
            credential=self.credential.document(),
            fmt=self.options.format,
            valid_days=self.options.validDays,
            # With defaults filled in, an omitted option and its default value hash alike.
            request=request,
            copies=self.options.copies,
        )


class EnvelopedCredential(BaseModel):
    """An ``EnvelopedVerifiableCredential`` (VC 2.0 §4.13) holding the compact JWS."""

    model_config = ConfigDict(populate_by_name=True)

    context: list[str] = Field(alias="@context")
    type: Literal["EnvelopedVerifiableCredential"]
    id: str = Field(description="data:application/vc+jwt,<JWS> (or dc+sd-jwt, vc+sd-jwt...)")


class IssuedCopy(BaseModel):
    """One copy of a credential issued with ``options.copies``."""

    verifiableCredential: EnvelopedCredential  # noqa: N815 - VC-API name
    credentialId: str  # noqa: N815 - VC-API name
    credentialStatus: list[dict[str, Any]]  # noqa: N815 - VC data model name


class IssueResponse(BaseModel):
    """``201`` body of ``POST /credentials/issue`` (DESIGN §6).

    ``verifiableCredential`` is what the holder gets; ``credentialId`` and
    ``credentialStatus`` are for the agency: the handle ``POST /credentials/status``
    takes, and the issuer's own status entries (revocation, suspension).
    """

    verifiableCredential: EnvelopedCredential  # noqa: N815 - VC-API name
    credentialId: str = Field(  # noqa: N815 - VC-API name
        description="urn:uuid handle for POST /credentials/status (the credential's id "
        "unless the request gave another)."
    )
    credentialStatus: list[dict[str, Any]] = Field(  # noqa: N815 - VC data model name
        description="The issuer's BitstringStatusListEntry objects in the credential "
        "(for dc+sd-jwt: its status_list {idx, uri})."
    )
    copies: list[IssuedCopy] | None = Field(
        default=None,
        description="Only with options.copies > 1: every copy, the one above first.",
    )


class CredentialStatusRef(_Strict):
    """Which status of the credential to change."""

    type: Literal["BitstringStatusListEntry", "status_list"] = Field(
        description="Either name works for any credential: for an SD-JWT VC (one Token "
        "Status List slot), revocation sets 1 and suspension 2."
    )
    statusPurpose: Literal["revocation", "suspension"]  # noqa: N815 - VC data model name


class StatusChangeRequest(_Strict):
    """``POST /credentials/status`` body (W3C VC-API)."""

    credentialId: str = Field(  # noqa: N815 - VC-API name
        min_length=1, max_length=200, pattern=_URI_TEXT, description="The credential's `id`."
    )
    credentialStatus: CredentialStatusRef  # noqa: N815 - VC-API name
    status: bool = Field(description="true sets the bit (revoke/suspend), false clears it")
    reason: str | None = Field(
        default=None,
        max_length=500,
        pattern=_AUDIT_TEXT,
        description="Kept in the audit log (no control characters but tab and line breaks).",
    )

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "credentialId": "urn:uuid:0b7e2c8e-52d2-4c1e-9d0a-3f4b8f0c9a11",
                    "credentialStatus": {
                        "type": "BitstringStatusListEntry",
                        "statusPurpose": "revocation",
                    },
                    "status": True,
                    "reason": "holder deceased",
                }
            ]
        },
    )


class StatusChangeResponse(BaseModel):
    """``200`` body of ``POST /credentials/status``."""

    credentialId: str  # noqa: N815
    statusPurpose: str  # noqa: N815
    status: bool
    changed: bool = Field(description="false when the status already had this value")
    statusListCredential: str  # noqa: N815
    statusListIndex: str  # noqa: N815

    @classmethod
    def of(cls, result: StatusChangeResult) -> StatusChangeResponse:
        return cls(
            credentialId=result.credential_id,
            statusPurpose=result.purpose,
            status=result.status,
            changed=result.changed,
            statusListCredential=result.list_url,
            statusListIndex=str(result.index),
        )


# -- OpenID4VCI ----------------------------------------------------------------------------


class CredentialOfferRequest(_Strict):
    """``POST /credential-offers`` body: what to offer, and whether a tx code is needed."""

    type: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9]*$")
    credentialSubject: dict[str, Any] = Field(  # noqa: N815 - DESIGN §6 name
        description="The claims, without `id` (the wallet's key proof gives the holder)."
    )
    formats: list[Literal["dc+sd-jwt", "jwt_vc_json"]] | None = Field(
        default=None,
        min_length=1,
        max_length=2,
        description="Formats offered (one credential configuration each); default dc+sd-jwt.",
    )
    txCode: bool = Field(  # noqa: N815 - DESIGN §6 name
        default=True, description="Ask the wallet for a 6-digit code sent on another channel."
    )

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "type": "ResidentIdentityCredential",
                    "credentialSubject": {
                        "givenName": "Wei",
                        "familyName": "Zhang",
                        "birthDate": "1990-03-14",
                        "residentNumber": "11010519900314123X",
                        "address": {
                            "streetAddress": "12 Jianguomenwai Avenue",
                            "locality": "Chaoyang District",
                            "country": "CN",
                        },
                    },
                    "formats": ["dc+sd-jwt", "jwt_vc_json"],
                    "txCode": True,
                }
            ]
        },
    )


class CredentialOfferResponse(BaseModel):
    """A new offer: the link (for the QR code), its URI, the tx code and the expiry."""

    offerId: str  # noqa: N815 - DESIGN §6 name
    offer: str = Field(description="openid-credential-offer://?credential_offer_uri=...")
    credentialOfferUri: str  # noqa: N815 - DESIGN §6 name
    txCode: str | None = Field(  # noqa: N815 - DESIGN §6 name
        description="Give it to the citizen on another channel."
    )
    expiresAt: str  # noqa: N815 - DESIGN §6 name
    credentialConfigurationIds: list[str]  # noqa: N815 - DESIGN §6 name


class TokenResponse(BaseModel):
    """RFC 6749 §5.1 access token response (DPoP-bound)."""

    access_token: str
    token_type: Literal["DPoP"]
    expires_in: int


class NonceResponse(BaseModel):
    """OpenID4VCI 1.0 §7.2."""

    c_nonce: str


class IssuedCredentialObject(BaseModel):
    """One issued credential (§8.3)."""

    credential: str


class CredentialResponse(BaseModel):
    """OpenID4VCI 1.0 §8.3: one credential per key proof."""

    credentials: list[IssuedCredentialObject]
