"""Wire models (VC-API shapes). Strict: no type coercion, no unknown members."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from issuer.credential_types import MAX_VALID_DAYS
from issuer.service import IssueCommand
from issuer.service.status import StatusChangeResult
from vcore.credentials import VC2_CONTEXT

__all__ = [
    "CredentialStatusRef",
    "CredentialTemplate",
    "EnvelopedCredential",
    "IssueOptions",
    "IssueRequest",
    "IssueResponse",
    "StatusChangeRequest",
    "StatusChangeResponse",
]

_ISSUER_SET = ("id", "issuer", "validFrom", "credentialStatus", "credentialSchema", "proof")
# Strings that are stored: PostgreSQL text cannot hold NUL, and an id or an audit line
# has no business holding control characters. A credential id is a URI: no whitespace.
_URI_TEXT = r"^[^\x00-\x20\x7f]+$"
_AUDIT_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class CredentialTemplate(_Strict):
    """What the agency says about the credential; the issuer fills in the rest."""

    context: list[str] | None = Field(
        default=None, alias="@context", max_length=4, description="If given, the VC 2.0 context."
    )
    type: list[str] | str = Field(
        description="e.g. ['VerifiableCredential', 'ResidentIdentityCredential']"
    )
    credentialSubject: dict[str, Any] = Field(  # noqa: N815 - VC data model name
        description="Claims, with 'id' = the holder DID (did:key, did:jwk or did:web)."
    )
    validUntil: str | None = Field(  # noqa: N815 - VC data model name
        default=None, max_length=40, description="XML Schema dateTimeStamp; default per type."
    )

    @model_validator(mode="before")
    @classmethod
    def _issuer_fills(cls, data: Any) -> Any:
        if isinstance(data, dict):
            given = [name for name in _ISSUER_SET if name in data]
            if given:
                raise ValueError(f"{', '.join(given)} set by the issuer; leave them out")
        return data

    @field_validator("context")
    @classmethod
    def _vc2_only(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and value != [VC2_CONTEXT]:
            raise ValueError(f"@context must be [{VC2_CONTEXT!r}]")
        return value

    @field_validator("type")
    @classmethod
    def _types(cls, value: list[str] | str) -> list[str] | str:
        items = [value] if isinstance(value, str) else value
        if not 1 <= len(items) <= 4 or any(not 1 <= len(t) <= 64 for t in items):
            raise ValueError("type must be 1-4 names of 1-64 characters")
        return value


class IssueOptions(_Strict):
    """Issuance options."""

    format: Literal["vc+jwt", "jwt_vc_json"] = Field(
        default="vc+jwt", description="vc+jwt (VC 2.0, default) or jwt_vc_json (VC-JWT 1.1)."
    )
    validDays: int | None = Field(  # noqa: N815 - camelCase like the rest of VC-API
        default=None, ge=1, le=MAX_VALID_DAYS, description="Validity in days (default per type)."
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
        credential = self.credential
        types = [credential.type] if isinstance(credential.type, str) else credential.type
        return IssueCommand(
            types=tuple(types),
            subject=credential.credentialSubject,
            valid_until=credential.validUntil,
            fmt=self.options.format,
            valid_days=self.options.validDays,
            # With defaults filled in, an omitted option and its default value hash alike.
            request=self.model_dump(mode="json", by_alias=True),
        )


class EnvelopedCredential(BaseModel):
    """An ``EnvelopedVerifiableCredential`` (VC 2.0 §4.13) holding the compact JWS."""

    model_config = ConfigDict(populate_by_name=True)

    context: list[str] = Field(alias="@context")
    type: Literal["EnvelopedVerifiableCredential"]
    id: str = Field(description="data:application/vc+jwt,<JWS>")


class IssueResponse(BaseModel):
    """``201`` body of ``POST /credentials/issue``."""

    verifiableCredential: EnvelopedCredential  # noqa: N815 - VC-API name


class CredentialStatusRef(_Strict):
    """Which status of the credential to change."""

    type: Literal["BitstringStatusListEntry"]
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
