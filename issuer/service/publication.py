"""What the issuer publishes about itself: DID document, JWKS, schemas, trust-list entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from issuer.errors import NotFoundError
from issuer.service.context import IssuerContext
from issuer.service.keys import SigningKeyService
from vcore.clock import format_datetime
from vcore.dids import build_did_document

__all__ = ["PublicationService"]


class PublicationService:
    """Read-only views for verifiers and trust-list operators."""

    def __init__(self, ctx: IssuerContext, keys: SigningKeyService) -> None:
        self._ctx = ctx
        self._keys = keys

    def did_document(self) -> dict[str, Any]:
        """The did:web document: every published key as a JsonWebKey method."""
        with self._ctx.session() as session, session.begin():
            keys = self._keys.published(session)
        return build_did_document(self._ctx.issuer_did, [k.public_key for k in keys])

    def jwks(self) -> dict[str, Any]:
        """RFC 7517 key set; each ``kid`` is the full DID URL used in JWS headers."""
        with self._ctx.session() as session, session.begin():
            keys = self._keys.published(session)
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

    def trust_entry(self) -> dict[str, Any]:
        """This issuer's entry for a verifier trust list (DESIGN §3)."""
        with self._ctx.session() as session, session.begin():
            keys = self._keys.published(session)
        since = min((k.created_at for k in keys), default=self._ctx.clock())
        return {
            "id": self._ctx.issuer_did,
            "name": self._ctx.settings.issuer_name,
            "types": list(self._ctx.types),
            "validFrom": format_datetime(since),
        }

    def ping(self) -> None:
        """Raise :class:`~issuer.errors.UnavailableError` if the database does not answer."""
        with self._ctx.session() as session, session.begin():
            session.execute(text("SELECT 1"))
