"""The verifier's own identity: a did:web of ``TRUSTID_VERIFIER_URL`` and a signing key.

The key (ES256) is created on first start and kept in the verifier's database, its
PKCS#8 form sealed under the KEK (:mod:`verifier.keystore`), so every replica signs
with the same key. It signs OpenID4VP request objects; wallets find it in
``/.well-known/did.json`` (or ``<path>/did.json`` for a verifier URL with a path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vcore.clock import Clock, system_clock
from vcore.dids import build_did_document, did_web_from_url
from vcore.keys import PrivateKey, generate_key, private_key_from_der
from vcore.signing import SoftwareSigner
from verifier import storage
from verifier.errors import MasterKeyError
from verifier.keystore import KeyEncryptionKey

__all__ = ["VerifierIdentity", "load_identity"]

_NAME = "request-signing"
_AAD = "verifier-key:" + _NAME


@dataclass(frozen=True)
class VerifierIdentity:
    """Who this verifier is to wallets."""

    did: str
    key: PrivateKey = field(repr=False)
    kek: KeyEncryptionKey = field(repr=False)

    @property
    def kid(self) -> str:
        """The verification method id (``<did>#<thumbprint>``) in the DID document."""
        return f"{self.did}#{self.key.public_key().thumbprint()}"

    @property
    def signer(self) -> SoftwareSigner:
        """Signs request objects with the DID's key."""
        return SoftwareSigner(self.key, self.kid)

    def did_document(self) -> dict[str, Any]:
        """The did:web document listing the signing key."""
        return build_did_document(self.did, [self.key.public_key()])


def load_identity(
    engine: Engine, kek: KeyEncryptionKey, verifier_url: str, *, clock: Clock = system_clock
) -> VerifierIdentity:
    """Open the stored signing key, or create it on first start.

    Raises:
        MasterKeyError: the stored key was sealed under another master key.
    """
    did = did_web_from_url(verifier_url)
    for _attempt in range(2):
        with Session(engine) as session:
            row = storage.verifier_key(session, _NAME)
        if row is not None:
            if row.kek_id != kek.key_id:
                raise MasterKeyError(
                    f"the verifier's signing key in this database is sealed under another "
                    f"master key (id {row.kek_id}, this process has {kek.key_id}): give every "
                    "replica sharing the database the same TRUSTID_MASTER_KEY"
                )
            der = kek.open(row.sealed, _AAD)
            return VerifierIdentity(did=did, key=private_key_from_der(der, alg=row.alg), kek=kek)
        key = generate_key("ES256")
        try:
            with Session(engine) as session, session.begin():
                storage.add_verifier_key(
                    session,
                    storage.VerifierKeyRow(
                        name=_NAME,
                        alg=key.alg.value,
                        sealed=kek.seal(key.to_der(), _AAD),
                        kek_id=kek.key_id,
                        created_at=clock(),
                    ),
                )
        except IntegrityError:
            continue  # another replica created it first: read theirs
        return VerifierIdentity(did=did, key=key, kek=kek)
    raise RuntimeError("the verifier key could not be created or read")  # pragma: no cover
