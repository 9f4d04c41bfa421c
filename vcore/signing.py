"""Signers: whatever holds a private key and can produce a raw JWS signature.

:func:`vcore.jose.sign` builds the JWS signing input itself (RFC 7515 §5.1: base64url
header ``.`` base64url payload) and hands only those bytes to a :class:`Signer`, so the
key can live anywhere: in process (:class:`SoftwareSigner`), sealed in a database and
opened on use (the issuer's keystore), or in an HSM or cloud KMS (an adapter whose
``sign`` calls the device). A signer never sees or chooses the header.

To add a key backend, implement :class:`Signer` (four members) and pass it wherever a
signer is taken; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol, runtime_checkable

from vcore.keys import Alg, PrivateKey

__all__ = ["Signer", "SoftwareSigner"]


@runtime_checkable
class Signer(Protocol):
    """A signing key behind an interface (RFC 7515 §5.1 step 5, "compute the signature").

    Attributes:
        alg: The JWS ``alg`` the key signs with (one of :class:`vcore.keys.Alg`); it goes
            into the protected header.
        kid: The key id for the header (a DID URL for issuers and holders).
    """

    @property
    def alg(self) -> str:
        """The JWS algorithm, e.g. ``ES256``."""
        ...

    @property
    def kid(self) -> str:
        """The ``kid`` header value."""
        ...

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK (with ``alg``), used to check the signatures it makes."""
        ...

    def sign(self, signing_input: bytes) -> bytes:
        """The raw JWS signature of ``signing_input``.

        ``r || s`` for ECDSA (RFC 7518 §3.4), 64 bytes for EdDSA, the modulus length for
        RSA; never DER.
        """
        ...


@dataclass(frozen=True)
class SoftwareSigner:
    """A :class:`Signer` over an in-process :class:`~vcore.keys.PrivateKey`.

    Any algorithm of :class:`~vcore.keys.Alg` (ES256, ES384, ES512, ES256K, EdDSA, PS256,
    RS256 with a 2048+ bit key).
    """

    key: PrivateKey = field(repr=False)
    kid: str

    @property
    def alg(self) -> Alg:
        """The key's pinned algorithm."""
        return self.key.alg

    def public_jwk(self) -> dict[str, str]:
        """The public JWK with ``alg`` and ``kid``."""
        return dict(self._public_jwk)

    @cached_property
    def _public_jwk(self) -> dict[str, str]:
        return {**self.key.public_key().to_jwk(), "kid": self.kid}

    def sign(self, signing_input: bytes) -> bytes:
        """Sign with the pinned algorithm."""
        return self.key.sign(signing_input)
