"""Signing keys: EC, Ed25519 and RSA; JWK import/export and RFC 7638 thumbprints.

Key types: EC P-256, P-384, P-521 and secp256k1, OKP Ed25519, RSA 2048..8192 bits; JWKs
per RFC 7517, RFC 7518 §6 and RFC 8037 §2.

Each key carries its algorithm ("alg pinning"): a signature is only ever checked with the
algorithm the key was created or published for, never with one named in a token header
(the alg-confusion attacks behind PyJWT CVE-2022-29217 and CVE-2017-11424). An EC or OKP
key's curve pins its algorithm (see :mod:`vcore.jwa`); an RSA key has two possible
algorithms, so an RSA JWK must name its ``alg`` (``RS256`` or ``PS256``).

Modules: :mod:`~vcore.keys.base64url` (the encoding JWKs use), :mod:`~vcore.keys.model`
(:class:`PublicKey`, :class:`PrivateKey`, generation, thumbprints) and
:mod:`~vcore.keys.loading` (JWK, JWK Set and DER import); import the names from here.
"""

from __future__ import annotations

from vcore.jwa import Alg
from vcore.keys.base64url import b64url_decode, b64url_encode
from vcore.keys.loading import (
    private_key_from_der,
    private_key_from_jwk,
    public_key_from_jwk,
    select_key,
)
from vcore.keys.model import (
    ALLOWED_ALGS,
    RSA_ALGS,
    PrivateKey,
    PublicKey,
    generate_key,
    jwk_thumbprint,
)

__all__ = [
    "ALLOWED_ALGS",
    "RSA_ALGS",
    "Alg",
    "PrivateKey",
    "PublicKey",
    "b64url_decode",
    "b64url_encode",
    "generate_key",
    "jwk_thumbprint",
    "private_key_from_der",
    "private_key_from_jwk",
    "public_key_from_jwk",
    "select_key",
]
