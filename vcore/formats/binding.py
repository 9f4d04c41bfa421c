"""Issuer and holder binding rules shared by the formats (key ids are DID URLs).

The issuer binding is what keeps the verifier from fetching keys an attacker chose:
the key that signed a credential must be a verification method of the issuer DID the
credential itself names (``kid`` / ``verificationMethod`` = ``<issuer DID>#<fragment>``),
and keys are only resolved for trust-listed issuers.
"""

from __future__ import annotations

from vcore.dids import holder_kid, is_offline_did, parse_did_url
from vcore.errors import IssuerMismatchError, TrustIDError, UnknownKeyError
from vcore.formats.secured import SecuredCredential
from vcore.presentations import check_holder_binding

__all__ = ["check_subject_is_holder", "issuer_key_id"]


def issuer_key_id(issuer: str, key_id: str | None) -> str:
    """The key id to resolve for ``issuer``, after checking it belongs to that DID.

    did:jwk and did:key have exactly one key, so an independent signer may omit the id.

    Raises:
        UnknownKeyError: no key id (for a DID with several keys), not a DID URL, or no
            ``#fragment`` naming one verification method.
        IssuerMismatchError: the key belongs to another DID than the issuer.
    """
    if key_id is None:
        if not is_offline_did(issuer):
            raise UnknownKeyError("the token names no key (kid) of its issuer")
        key_id = holder_kid(issuer)
    try:
        key_did = parse_did_url(key_id)
    except TrustIDError as exc:
        raise UnknownKeyError(f"kid {key_id[:80]!r} is not a DID URL") from exc
    if key_did.did != issuer:
        raise IssuerMismatchError("the token is signed with a key of another DID than its issuer")
    if key_did.fragment is None:
        raise UnknownKeyError("kid must name one verification method (DID URL with #fragment)")
    return key_id


def check_subject_is_holder(credential: SecuredCredential, holder: str) -> None:
    """Require the credential's subject id to be the presenting holder (a DID or a URL).

    A subject DID URL (``did:...#key-1``) binds to its DID.

    Raises:
        HolderBindingError: the credential is bound to another holder (or to none).
        DIDError: the subject id differs from the holder and is not a DID.
    """
    check_holder_binding(holder, credential)
