"""The SD-JWT + KB-JWT presentation (RFC 9901 §4.3, §7.3).

Registered as ``dc+sd-jwt`` among the presentation formats. The credential inside is verified by its own format (:mod:`vcore.formats.sd_jwt_vc`);
this module checks only the key binding. Its names are still importable from
``vcore.formats.sd_jwt_vc``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vcore.credentials import VC2_CONTEXT
from vcore.dids import did_jwk_for, holder_kid
from vcore.errors import MalformedError, TrustIDError
from vcore.formats.protocols import HolderKeyResolver
from vcore.formats.registry import register_presentation_format
from vcore.formats.sd_jwt_peek import SD_JWT_CREDENTIAL_TYPS, peek_sd_jwt
from vcore.formats.secured import Recognition, SecuredPresentation
from vcore.jsontext import loads_strict
from vcore.keys import b64url_decode
from vcore.sdjwt import (
    KeyBindingRequiredError,
    confirmation_key,
    read_sd_jwt_unverified,
    verify_kb_jwt,
)

__all__ = ["SD_JWT_PRESENTATION", "SdJwtPresentationFormat"]


class SdJwtPresentationFormat:
    """An SD-JWT with a KB-JWT as a presentation (RFC 9901 §4.3, §7.3).

    The holder is the did:jwk of the credential's ``cnf`` key; the presentation's one
    credential is the SD-JWT without its KB-JWT, verified by its credential format with
    holder binding to that key. An SD-JWT without KB-JWT is refused here
    (``kb_jwt_required``): a presentation endpoint always requires key binding.
    """

    key = "dc+sd-jwt"
    media_types: tuple[str, ...] = ()

    def recognise(self, value: object) -> Recognition:
        """Certain for an SD-JWT of either SD-JWT credential format."""
        peeked = peek_sd_jwt(value)
        return (
            Recognition.CERTAIN
            if peeked is not None and peeked[0] in SD_JWT_CREDENTIAL_TYPS
            else Recognition.NO
        )

    def parse_unverified(self, value: object) -> SecuredPresentation:
        """Split the SD-JWT and read its ``cnf`` key, nothing verified.

        Raises:
            MalformedError (and the SD-JWT subclasses): not a readable SD-JWT.
            KeyBindingRequiredError: no KB-JWT, or no ``cnf`` to bind it to.
        """
        if not isinstance(value, str):
            raise MalformedError("an SD-JWT presentation is a compact string")
        sd_jwt = read_sd_jwt_unverified(value)
        key = confirmation_key(sd_jwt.jws.payload)
        if key is None:
            raise KeyBindingRequiredError("the SD-JWT has no cnf key: it cannot be presented")
        if sd_jwt.compact.kb_jwt is None:
            raise KeyBindingRequiredError("key binding is required and the SD-JWT has no KB-JWT")
        holder = did_jwk_for(key)
        kb_head = sd_jwt.compact.kb_jwt.split(".", 1)[0]
        try:
            header = loads_strict(b64url_decode(kb_head))
        except (ValueError, TrustIDError) as exc:
            raise MalformedError("the KB-JWT header does not parse") from exc
        alg = header.get("alg") if isinstance(header, dict) else None
        return SecuredPresentation(
            format=self.key,
            holder=holder,
            credentials=(sd_jwt.compact.without_kb,),
            token=sd_jwt.compact.text,
            key_id=holder_kid(holder),
            alg=str(alg),
            header=header if isinstance(header, dict) else {},
            presentation={
                "@context": [VC2_CONTEXT],
                "type": ["VerifiablePresentation"],
                "holder": holder,
            },
        )

    def verify(
        self,
        presentation: SecuredPresentation,
        *,
        nonce: str,
        audience: str,
        now: datetime,
        key_for: HolderKeyResolver,
        require_issued_at: bool = True,
    ) -> dict[str, Any]:
        """Check the KB-JWT: signed by ``cnf``, ``sd_hash``, ``nonce``, ``aud``, ``iat``.

        The KB-JWT's ``iat`` is required by SD-JWT itself, whoever owns the challenge, so
        ``require_issued_at`` changes nothing here.

        Raises:
            KeyBindingError (and subclasses), NonceMismatchError, AudienceMismatchError.
        """
        del require_issued_at
        sd_jwt = read_sd_jwt_unverified(presentation.token)
        return verify_kb_jwt(
            sd_jwt.compact,
            key_for(presentation.key_id or holder_kid(presentation.holder)),
            nonce=nonce,
            audience=audience,
            now=now,
            sd_alg=sd_jwt.processed.sd_alg,
        )


SD_JWT_PRESENTATION = register_presentation_format(SdJwtPresentationFormat())
"""The registered SD-JWT + KB-JWT presentation format."""
