"""What the issuer publishes about itself: DID document, JWKS, schemas, trust-list entry,
the display name of a type."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from issuer.errors import NotFoundError
from issuer.service.context import IssuerContext
from issuer.service.keys import SigningKeyService
from issuer.service.type_metadata import type_metadata_bytes
from vcore.clock import format_datetime
from vcore.dids import build_did_document

__all__ = ["PublicationService", "display_name_of_type"]

_WORD_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def display_name_of_type(type_name: str) -> str:
    """A human name for a credential type: ``ResidentIdentityCredential`` -> "Resident Identity"."""
    words = _WORD_RE.findall(type_name)
    if len(words) > 1 and words[-1] == "Credential":
        words.pop()
    return " ".join(words) or type_name


class PublicationService:
    """Read-only views for verifiers and trust-list operators."""

    def __init__(self, ctx: IssuerContext, keys: SigningKeyService) -> None:
        self._ctx = ctx
        self._keys = keys

    def did_document(self) -> dict[str, Any]:
        """The did:web document: every published key as a JsonWebKey method."""
        keys = self._keys.list_keys()
        return build_did_document(self._ctx.issuer_did, [k.public_key for k in keys])

    def jwks(self) -> dict[str, Any]:
        """RFC 7517 key set; each ``kid`` is the full DID URL used in JWS headers."""
        keys = self._keys.list_keys()
        return {
            "keys": [
                {**k.public_key.to_jwk(), "kid": k.kid, "use": "sig", "alg": k.alg} for k in keys
            ]
        }

    def schema(self, type_name: str) -> dict[str, Any]:
        """The JSON Schema of a credential type as referenced by ``credentialSchema``."""
        ctype = self._ctx.types.get(type_name)
        if ctype is None:
            raise NotFoundError(f"no credential type {type_name[:64]!r}")
        return ctype.published_schema(self._ctx.schema_url(type_name))

    def type_metadata(self, type_name: str) -> bytes:
        """The SD-JWT VC Type Metadata of a type (the exact bytes ``vct#integrity`` covers)."""
        ctype = self._ctx.types.get(type_name)
        if ctype is None or ctype.is_open:
            raise NotFoundError(f"no credential type {type_name[:64]!r}")
        return type_metadata_bytes(ctype, self._ctx.type_url(type_name))

    def trust_entry(self) -> dict[str, Any]:
        """This issuer's entry for a verifier trust list (DESIGN §3)."""
        keys = self._keys.list_keys()
        since = min((k.created_at for k in keys), default=self._ctx.clock())
        entry: dict[str, Any] = {
            "id": self._ctx.issuer_did,
            "name": self._ctx.settings.issuer_name,
            "types": list(self._ctx.types),
            "validFrom": format_datetime(since),
            # Types whose credentials always carry a status entry (x-trustid-statusRequired):
            # verifiers refuse an entry-less one (a forgery with a leaked key).
            "statusRequired": [name for name, t in self._ctx.types.items() if t.status_required],
        }
        # Bearer types (x-trustid-holderBinding: optional, e.g. the open type): verifiers
        # let someone other than the subject present them only when the entry says so.
        bearer = [name for name, t in self._ctx.types.items() if not t.holder_required]
        if bearer:
            entry["holderBinding"] = dict.fromkeys(bearer, "optional")
        return entry

    def ping(self) -> None:
        """Raise :class:`~issuer.errors.UnavailableError` if the database does not answer."""
        with self._ctx.session() as session, session.begin():
            session.execute(text("SELECT 1"))
