"""What the vault holds: the holder key, credentials with their last known status, and
the issuer keys cached for ``--offline`` checks.

This is the plaintext model only; :mod:`wallet_cli.store` encrypts it. Every field is
re-validated when a vault or backup is opened, so a damaged plaintext is refused
instead of half-read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

from vcore.errors import TrustIDError
from vcore.i18n import Locale, format_person_name
from wallet_cli.errors import InputError, NotFoundError
from wallet_cli.terminal import clean

if TYPE_CHECKING:
    from vcore.formats import SecuredCredential
    from vcore.keys import PrivateKey

# vcore.dids, vcore.formats and vcore.keys (cryptography) are imported where used:
# `trustid-wallet --help` must not pay for them (issue 8: <= 0.25 s).

__all__ = [
    "CONTENTS_VERSION",
    "NAME_FROM_VERIFIER",
    "NAME_SELF_DECLARED",
    "CredentialRecord",
    "HolderRecord",
    "IssuerKeyRecord",
    "StatusRecord",
    "WalletContents",
    "holder_name_of",
    "issuer_name_of",
    "local_id_for",
    "metadata_display_name",
    "short_id",
]

CONTENTS_VERSION = 1
_MIN_REF = 4


def _require(value: object, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise ValueError(f"{what} must be a {kind.__name__}")
    return value


def _optional(value: object, kind: type, what: str) -> Any:
    return None if value is None else _require(value, kind, what)


@dataclass
class HolderRecord:
    """The holder's key pair and DID (did:key, or did:jwk for older wallets)."""

    jwk: dict[str, str]
    did: str

    @classmethod
    def generate(cls, key: PrivateKey) -> HolderRecord:
        """A holder record for a fresh key; the DID is the short did:key form."""
        from vcore.dids import did_key_for

        return cls(jwk=key.to_jwk(), did=did_key_for(key.public_key()))

    @cached_property
    def private_key(self) -> PrivateKey:
        """The signing key."""
        from vcore.keys import private_key_from_jwk

        return private_key_from_jwk(self.jwk)

    @property
    def alg(self) -> str:
        """The pinned algorithm of the key."""
        return self.private_key.alg

    @property
    def kid(self) -> str:
        """The DID URL used as ``kid`` in presentations."""
        from vcore.dids import holder_kid

        return holder_kid(self.did)

    def to_json(self) -> dict[str, Any]:
        return {"jwk": dict(self.jwk), "did": self.did}

    @classmethod
    def from_json(cls, value: object) -> HolderRecord:
        data = cast(Mapping[str, Any], _require(value, dict, "holder"))
        jwk = _require(data.get("jwk"), dict, "holder.jwk")
        did = _require(data.get("did"), str, "holder.did")
        record = cls(jwk={str(k): str(v) for k, v in jwk.items()}, did=did)
        record.kid  # noqa: B018 - validates the DID is did:key/did:jwk
        record.private_key  # noqa: B018 - validates the key
        return record


@dataclass
class StatusRecord:
    """The last status refresh of one credential.

    ``revocation``/``suspension`` are None when unknown (never checked, the credential
    has no such entry, or the last check failed: ``error`` says why).
    """

    checked_at: str | None = None
    revocation: bool | None = None
    suspension: bool | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at,
            "revocation": self.revocation,
            "suspension": self.suspension,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, value: object) -> StatusRecord:
        data = cast(Mapping[str, Any], _require(value, dict, "status"))
        return cls(
            checked_at=_optional(data.get("checked_at"), str, "status.checked_at"),
            revocation=_optional(data.get("revocation"), bool, "status.revocation"),
            suspension=_optional(data.get("suspension"), bool, "status.suspension"),
            error=_optional(data.get("error"), str, "status.error"),
        )


NAME_SELF_DECLARED = "self-declared"
"""``issuer_name_source``: the issuer's own word (its OpenID4VCI ``display[0].name``, the
credential's ``issuer.name``, or only its host/DID), vouched for by no trust list."""
NAME_FROM_VERIFIER = "verifier"
"""``issuer_name_source``: a verifier's trust list named this issuer (the only trusted
source); set by ``verify`` when the verifier reported the issuer as trusted."""


@dataclass
class CredentialRecord:
    """A credential whose signature and issuer were checked when it was received.

    ``issuer_name`` is cosmetic; ``issuer_name_source`` says where it came from. Only
    :data:`NAME_FROM_VERIFIER` counts as named by a trust list (:attr:`issuer_trusted`);
    anything else (:data:`NAME_SELF_DECLARED`, None from older wallets, an unknown value)
    is displayed as self-declared.
    """

    id: str
    token: str
    received_at: str
    issuer_name: str | None = None
    issuer_name_source: str | None = None
    notes: list[str] = field(default_factory=list)
    status: StatusRecord = field(default_factory=StatusRecord)
    type_metadata: dict[str, Any] | None = None
    """SD-JWT VC Type Metadata fetched at receipt (matched ``vct#integrity``), or None."""

    @cached_property
    def view(self) -> SecuredCredential:
        """The parsed credential.

        Its signature was checked at receipt and the vault's AEAD tag vouches that the
        token has not changed since; this only re-reads it.
        """
        from vcore.formats import parse_credential_unverified

        return parse_credential_unverified(self.token)

    @property
    def issuer_trusted(self) -> bool:
        """A verifier's trust list named the issuer (and it did not issue to itself)."""
        return self.issuer_name_source == NAME_FROM_VERIFIER and not self.self_issued

    @property
    def self_issued(self) -> bool:
        """The issuer is the credential's own holder (a credential someone wrote about
        themselves)."""
        view = self.view
        return view.holder is not None and _did_of(view.holder) == _did_of(view.issuer)

    @property
    def short_id(self) -> str:
        """The id a person types: 8 characters, see :func:`short_id`."""
        return short_id(self.id)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "token": self.token,
            "received_at": self.received_at,
            "issuer_name": self.issuer_name,
            "issuer_name_source": self.issuer_name_source,
            "notes": list(self.notes),
            "status": self.status.to_json(),
            # Only when there is one, so older wallets read newer vaults unchanged.
            **({"type_metadata": self.type_metadata} if self.type_metadata is not None else {}),
        }

    @classmethod
    def from_json(cls, value: object) -> CredentialRecord:
        data = cast(Mapping[str, Any], _require(value, dict, "credential"))
        notes = _require(data.get("notes", []), list, "credential.notes")
        record = cls(
            id=_require(data.get("id"), str, "credential.id"),
            token=_require(data.get("token"), str, "credential.token"),
            received_at=_require(data.get("received_at"), str, "credential.received_at"),
            issuer_name=_optional(data.get("issuer_name"), str, "credential.issuer_name"),
            issuer_name_source=_optional(
                data.get("issuer_name_source"), str, "credential.issuer_name_source"
            ),
            notes=[_require(n, str, "credential.notes[]") for n in notes],
            status=StatusRecord.from_json(data.get("status", {})),
            type_metadata=_optional(data.get("type_metadata"), dict, "credential.type_metadata"),
        )
        record.view  # noqa: B018 - a stored token must still parse
        return record


@dataclass
class IssuerKeyRecord:
    """A verified issuer key (public JWK) cached for ``--offline`` checks."""

    jwk: dict[str, str]
    fetched_at: str

    def to_json(self) -> dict[str, Any]:
        return {"jwk": dict(self.jwk), "fetched_at": self.fetched_at}

    @classmethod
    def from_json(cls, value: object) -> IssuerKeyRecord:
        data = cast(Mapping[str, Any], _require(value, dict, "issuer key"))
        jwk = _require(data.get("jwk"), dict, "issuer key jwk")
        return cls(
            jwk={str(k): str(v) for k, v in jwk.items()},
            fetched_at=_require(data.get("fetched_at"), str, "issuer key fetched_at"),
        )


@dataclass
class WalletContents:
    """Everything in one vault (or one backup)."""

    holder: HolderRecord
    credentials: list[CredentialRecord] = field(default_factory=list)
    issuer_keys: dict[str, IssuerKeyRecord] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": CONTENTS_VERSION,
            "holder": self.holder.to_json(),
            "credentials": [c.to_json() for c in self.credentials],
            "issuer_keys": {k: v.to_json() for k, v in sorted(self.issuer_keys.items())},
        }

    @classmethod
    def from_json(cls, value: object) -> WalletContents:
        """Rebuild from decrypted JSON.

        Raises:
            ValueError: the plaintext is not a wallet of a known version.
        """
        try:
            data = cast(Mapping[str, Any], _require(value, dict, "wallet"))
            if data.get("version") != CONTENTS_VERSION:
                raise ValueError(f"unknown wallet contents version {data.get('version')!r}")
            creds = _require(data.get("credentials", []), list, "credentials")
            keys = _require(data.get("issuer_keys", {}), dict, "issuer_keys")
            contents = cls(
                holder=HolderRecord.from_json(data.get("holder")),
                credentials=[CredentialRecord.from_json(c) for c in creds],
                issuer_keys={str(k): IssuerKeyRecord.from_json(v) for k, v in keys.items()},
            )
        except TrustIDError as exc:
            raise ValueError(exc.detail) from exc
        if len({c.id for c in contents.credentials}) != len(contents.credentials):
            raise ValueError("duplicate credential ids")
        return contents

    def get(self, credential_id: str) -> CredentialRecord | None:
        """The record with exactly this id, if any."""
        return next((c for c in self.credentials if c.id == credential_id), None)

    def find(self, ref: str) -> CredentialRecord:
        """Find a credential by full id, or by a unique prefix (>= 4 chars) of its short id.

        Raises:
            NotFoundError: no credential matches.
            InputError: the prefix is too short or matches several credentials.
        """
        exact = self.get(ref)
        if exact is not None:
            return exact
        key = ref.strip().lower().removeprefix("urn:uuid:")
        if len(key) < _MIN_REF:
            raise InputError.keyed("id_too_short", ref=repr(ref), least=_MIN_REF)
        matches = [c for c in self.credentials if _match_key(c.id).startswith(key)]
        if not matches:
            raise NotFoundError.keyed("unknown_credential", ref=repr(ref))
        if len(matches) > 1:
            names = ", ".join(c.short_id for c in matches[:5])
            raise InputError.keyed("ambiguous_id", ref=repr(ref), names=names)
        return matches[0]

    def add(self, record: CredentialRecord) -> bool:
        """Add a credential unless one with the same id is already there; True if added."""
        if self.get(record.id) is not None:
            return False
        self.credentials.append(record)
        return True

    def remove(self, credential_id: str) -> None:
        """Remove the credential with exactly this id (no-op if it is gone)."""
        self.credentials = [c for c in self.credentials if c.id != credential_id]


def _did_of(value: str) -> str:
    from vcore.dids import parse_did_url

    try:
        return parse_did_url(value).did
    except TrustIDError:
        return value


def local_id_for(credential: SecuredCredential) -> str:
    """The credential's own id, or a stable local one derived from the token."""
    if credential.id:
        return credential.id
    return "urn:sha256:" + hashlib.sha256(credential.token.encode("ascii")).hexdigest()[:32]


def _match_key(credential_id: str) -> str:
    lowered = credential_id.lower()
    if lowered.startswith("urn:uuid:"):
        return lowered.removeprefix("urn:uuid:")
    if lowered.startswith("urn:sha256:"):
        return lowered.removeprefix("urn:sha256:")
    return hashlib.sha256(credential_id.encode("utf-8")).hexdigest()


def short_id(credential_id: str) -> str:
    """First 8 characters of the UUID (or of a hash for other ids); enough to tell apart."""
    return _match_key(credential_id)[:8]


def _text(value: object) -> str | None:
    # VC 2.0 §11.1 allows a language map value: [{"@value": "...", "@language": "en"}].
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, Mapping):
        inner = value.get("@value")
        return inner if isinstance(inner, str) else None
    return None


def issuer_name_of(credential: SecuredCredential) -> str:
    """A readable issuer: its ``name`` when the issuer is an object, else its host or DID."""
    raw = credential.claims.get("issuer")
    if isinstance(raw, Mapping):
        name = _text(raw.get("name"))
        if name:
            return name
    from vcore.dids import parse_did_url

    did = credential.issuer
    try:
        parts = parse_did_url(did).did.split(":")
    except TrustIDError:
        return did[:40]
    if parts[1] == "web":
        return "/".join(unquote(p) for p in parts[2:])
    return did if len(did) <= 32 else did[:29] + "..."


_MAX_NAME = 120


def metadata_display_name(metadata: Mapping[str, Any]) -> str | None:
    """``display[0].name`` of OpenID4VCI issuer metadata, made safe to print, or None."""
    display = metadata.get("display")
    if not isinstance(display, list) or not display or not isinstance(display[0], Mapping):
        return None
    name = display[0].get("name")
    if not isinstance(name, str):
        return None
    # A hostile issuer must not be able to move the cursor or rewrite the terminal (the
    # renderer cleans again at display: this keeps the stored name one short line).
    return clean(name, _MAX_NAME).strip() or None


def holder_name_of(credential: SecuredCredential, locale: Locale = Locale.EN) -> str | None:
    """The subject's name when the claims carry one (name, or given + family name), in the
    order ``locale`` expects (:func:`vcore.i18n.format_person_name`)."""
    subject = credential.subject
    for key in ("name", "fullName"):
        text = _text(subject.get(key))
        if text:
            return text
    for first, last in (("givenName", "familyName"), ("firstName", "lastName")):
        joined = format_person_name(_text(subject.get(first)), _text(subject.get(last)), locale)
        if joined:
            return joined
    return None
