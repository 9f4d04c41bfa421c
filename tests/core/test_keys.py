"""Keys, algorithms, signers and did:key/did:jwk for every algorithm TrustID verifies.

Each algorithm: JWK/DER/did round trips, a signature that verifies, a tampered one that
does not. Refused: a key of another curve than the header's alg, a JWK whose ``crv``
does not fit its coordinates, RSA below 2048 bits, an RSA JWK without ``alg``, DER or
wrong-length ECDSA signatures, a signer returning one, ``none``/HS256.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from vcore import dids, jose
from vcore.base58 import b58decode, b58encode
from vcore.errors import (
    AlgorithmNotAllowedError,
    BadSignatureError,
    DIDError,
    InvalidKeyError,
    TrustIDError,
    WeakKeyError,
)
from vcore.jsontext import dumps_compact
from vcore.keys import (
    Alg,
    PrivateKey,
    PublicKey,
    b64url_decode,
    b64url_encode,
    generate_key,
    jwk_thumbprint,
    private_key_from_der,
    private_key_from_jwk,
    public_key_from_jwk,
)
from vcore.signing import Signer, SoftwareSigner

DATA = Path(__file__).resolve().parent.parent / "data"
ALL_ALGS = [a.value for a in Alg]
SIGNATURE_SIZES = {
    "ES256": 64,
    "ES384": 96,
    "ES512": 132,
    "ES256K": 64,
    "EdDSA": 64,
    "PS256": 256,
    "RS256": 256,
}
_KEYS: dict[str, PrivateKey] = {}


def _key(alg: str) -> PrivateKey:
    """One key per algorithm for the whole module (RSA generation is slow)."""
    if alg not in _KEYS:
        _KEYS[alg] = generate_key(alg)
    return _KEYS[alg]


def _segment(value: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode())


@pytest.mark.parametrize("alg", ALL_ALGS)
def test_every_algorithm_round_trips_and_signs(alg: str) -> None:
    private = _key(alg)
    public = private.public_key()
    assert public.alg == alg
    assert public_key_from_jwk(public.to_jwk()) == public
    assert private_key_from_jwk(private.to_jwk()).public_key() == public
    assert private_key_from_der(private.to_der(), alg=alg).public_key() == public
    assert public.thumbprint() == jwk_thumbprint(public.to_jwk())
    for did in (dids.did_key_for(public), dids.did_jwk_for(public)):
        assert dids.resolve_offline(dids.holder_kid(did)) == public

    signer = SoftwareSigner(private, "k-1")
    token = jose.sign({"n": 1}, signer, typ="JWT", cty="x")
    head, _, signature = token.split(".")
    assert json.loads(b64url_decode(head)) == {"alg": alg, "cty": "x", "kid": "k-1", "typ": "JWT"}
    assert len(b64url_decode(signature)) == SIGNATURE_SIZES[alg]
    assert jose.verify(token, public, typ="JWT").payload == {"n": 1}
    tampered = f"{head}.{_segment({'n': 2})}.{signature}"
    with pytest.raises(BadSignatureError):
        jose.verify(tampered, public)


@pytest.mark.parametrize("alg", ALL_ALGS)
def test_a_key_verifies_only_its_own_algorithm(alg: str) -> None:
    """The header's alg is compared with the key's pin, never used to pick one."""
    public = _key(alg).public_key()
    for other in ALL_ALGS:
        if other == alg:
            continue
        forged = f"{_segment({'alg': other})}.{_segment({'n': 1})}.{b64url_encode(bytes(64))}"
        with pytest.raises(AlgorithmNotAllowedError):
            jose.verify(forged, public)


def test_p256_key_with_es384_header_is_refused() -> None:
    key = _key("ES256")
    _, payload, sig = jose.sign({"n": 1}, SoftwareSigner(key, "k"), typ="JWT").split(".")
    relabelled = f"{_segment({'alg': 'ES384', 'kid': 'k', 'typ': 'JWT'})}.{payload}.{sig}"
    with pytest.raises(AlgorithmNotAllowedError) as caught:
        jose.verify(relabelled, key.public_key())
    assert caught.value.code == "alg_not_allowed"


@pytest.mark.parametrize(
    ("jwk_change", "error"),
    [
        ({"alg": "ES384"}, AlgorithmNotAllowedError),  # P-256 key declared for ES384
        ({"crv": "P-384"}, AlgorithmNotAllowedError),  # its alg ES256 contradicts P-384
        ({"crv": "P-384", "alg": None}, InvalidKeyError),  # 32-byte coordinates, P-384
        ({"crv": "secp256k1", "alg": None}, InvalidKeyError),  # not a point on secp256k1
        ({"crv": "P-257", "alg": None}, InvalidKeyError),
        ({"kty": "OKP"}, InvalidKeyError),
    ],
)
def test_wrong_curve_jwks_are_refused(
    jwk_change: dict[str, str | None], error: type[Exception]
) -> None:
    merged = {**_key("ES256").public_key().to_jwk(), **jwk_change}
    jwk = {k: v for k, v in merged.items() if v is not None}
    with pytest.raises(error):
        public_key_from_jwk(jwk)


def test_key_objects_cannot_be_paired_with_another_algorithm() -> None:
    p256 = _key("ES256").key
    with pytest.raises(AlgorithmNotAllowedError):
        PrivateKey("ES384", p256)
    with pytest.raises(AlgorithmNotAllowedError):
        PrivateKey("ES256K", p256)
    with pytest.raises(AlgorithmNotAllowedError):
        PublicKey("EdDSA", p256.public_key())
    with pytest.raises(AlgorithmNotAllowedError):
        PublicKey("HS256", p256.public_key())  # type: ignore[arg-type]
    with pytest.raises(AlgorithmNotAllowedError):
        private_key_from_der(_key("ES384").to_der(), alg="ES256")


def test_rsa_below_2048_bits_is_refused_everywhere() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point
    with pytest.raises(WeakKeyError) as caught:
        PrivateKey("RS256", small)
    assert caught.value.code == "weak_key"
    with pytest.raises(WeakKeyError):
        generate_key("RS256", rsa_bits=1024)
    numbers = small.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "alg": "RS256",
        "n": b64url_encode(numbers.n.to_bytes(128, "big")),
        "e": "AQAB",
    }
    with pytest.raises(WeakKeyError):
        public_key_from_jwk(jwk)
    with pytest.raises(WeakKeyError):
        dids.resolve_offline("did:jwk:" + b64url_encode(dumps_compact(jwk).encode()))
    # A token signed with the small key (by hand) never meets a key object to verify it.
    signing_input = f"{_segment({'alg': 'RS256'})}.{_segment({'n': 1})}"
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = small.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(TrustIDError):
        jose.verify(f"{signing_input}.{b64url_encode(signature)}", public_key_from_jwk(jwk))


@pytest.mark.parametrize(
    "change",
    [
        {"alg": None},  # RS256 or PS256? The key alone cannot say.
        {"alg": "RS384"},
        {"alg": "ES256"},
        {"e": "AAEAAQ"},  # leading zero octet
        {"e": "Ag"},  # even exponent
        {"e": "AQ"},  # e = 1
        {"n": "AA" + "A" * 340},  # leading zero octets
        {"use": "enc"},
        {"key_ops": ["encrypt"]},
    ],
)
def test_unusable_rsa_jwks_are_refused(change: dict[str, Any]) -> None:
    jwk: dict[str, Any] = {**_key("RS256").public_key().to_jwk(), **change}
    jwk = {k: v for k, v in jwk.items() if v is not None}
    with pytest.raises((InvalidKeyError, AlgorithmNotAllowedError)):
        public_key_from_jwk(jwk)


def test_rsa_private_jwk_with_or_without_crt_members() -> None:
    private = _key("PS256")
    full = private.to_jwk()
    assert private_key_from_jwk(full).public_key() == private.public_key()
    minimal = {k: v for k, v in full.items() if k not in {"p", "q", "dp", "dq", "qi"}}
    assert private_key_from_jwk(minimal).public_key() == private.public_key()
    with pytest.raises(InvalidKeyError):
        private_key_from_jwk({k: v for k, v in full.items() if k != "qi"})
    other = _key("RS256").to_jwk()
    with pytest.raises(InvalidKeyError):
        private_key_from_jwk({**full, "d": other["d"]})


def test_rsa_der_needs_its_algorithm() -> None:
    with pytest.raises(InvalidKeyError):
        private_key_from_der(_key("RS256").to_der())
    assert private_key_from_der(_key("RS256").to_der(), alg="PS256").alg == "PS256"


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512", "ES256K"])
def test_ecdsa_signatures_must_be_raw_r_s_of_the_curve_length(alg: str) -> None:
    private = _key(alg)
    public = private.public_key()
    data = b"payload"
    raw = private.sign(data)
    assert jose.verify_signature(public, data, raw)
    assert isinstance(private.key, ec.EllipticCurvePrivateKey)
    hash_alg = {"ES384": hashes.SHA384(), "ES512": hashes.SHA512()}.get(alg, hashes.SHA256())
    der = private.key.sign(data, ec.ECDSA(hash_alg))
    assert not jose.verify_signature(public, data, der)
    size = len(raw) // 2
    r, s = raw[:size], raw[size:]
    for malformed in (
        raw + b"\x00",
        raw[:-1],
        b"\x00" + raw,
        r.lstrip(b"\x00") + s if r[0] == 0 else r[1:] + s,
        bytes(len(raw)),
        r + bytes(size),
    ):
        assert not jose.verify_signature(public, data, malformed)


def test_ed25519_signature_of_wrong_length_is_refused() -> None:
    private = _key("EdDSA")
    signature = private.sign(b"x")
    assert not jose.verify_signature(private.public_key(), b"x", signature + b"\x00")
    assert not jose.verify_signature(private.public_key(), b"x", signature[:-1])


@pytest.mark.parametrize("alg", ["PS256", "RS256"])
def test_rsa_signature_of_wrong_length_is_refused(alg: str) -> None:
    private = _key(alg)
    signature = private.sign(b"x")
    assert jose.verify_signature(private.public_key(), b"x", signature)
    assert not jose.verify_signature(private.public_key(), b"x", b"\x00" + signature)
    assert not jose.verify_signature(private.public_key(), b"x", signature[1:])


def test_ps256_and_rs256_signatures_do_not_cross() -> None:
    """Same modulus, two pins: a PKCS#1 v1.5 signature is no PSS signature."""
    rs = _key("RS256")
    ps = PublicKey("PS256", rs.public_key().key)
    assert not jose.verify_signature(ps, b"x", rs.sign(b"x"))


# -- signers ------------------------------------------------------------------------------


class _DERSigner:
    """A backend that (wrongly) returns DER, as HSM and KMS APIs do."""

    def __init__(self, key: PrivateKey) -> None:
        self._key = key

    @property
    def alg(self) -> str:
        return self._key.alg

    @property
    def kid(self) -> str:
        return "hsm-1"

    def public_jwk(self) -> dict[str, str]:
        return self._key.public_key().to_jwk()

    def sign(self, signing_input: bytes) -> bytes:
        assert isinstance(self._key.key, ec.EllipticCurvePrivateKey)
        return self._key.key.sign(signing_input, ec.ECDSA(hashes.SHA256()))


class _LyingSigner(_DERSigner):
    def __init__(self, key: PrivateKey, alg: str) -> None:
        super().__init__(key)
        self._alg = alg

    @property
    def alg(self) -> str:
        return self._alg

    def sign(self, signing_input: bytes) -> bytes:
        return self._key.sign(signing_input)


def test_signer_protocol_is_satisfied_by_the_software_adapter() -> None:
    signer: Signer = SoftwareSigner(_key("ES256"), "k")
    assert isinstance(signer, Signer)
    assert signer.public_jwk()["kid"] == "k"
    assert "d" not in signer.public_jwk()
    assert "key" not in repr(signer).replace("kid", "")


def test_a_der_signature_from_a_signer_is_refused() -> None:
    with pytest.raises(InvalidKeyError):
        jose.sign({"n": 1}, _DERSigner(_key("ES256")), typ="JWT")


@pytest.mark.parametrize("alg", ["ES384", "none", "HS256", "RS256"])
def test_a_signer_claiming_another_algorithm_is_refused(alg: str) -> None:
    with pytest.raises(AlgorithmNotAllowedError):
        jose.sign({"n": 1}, _LyingSigner(_key("ES256"), alg), typ="JWT")


def test_a_signer_without_kid_is_refused() -> None:
    with pytest.raises(InvalidKeyError):
        jose.sign({"n": 1}, SoftwareSigner(_key("ES256"), ""), typ="JWT")


@pytest.mark.parametrize("alg", ["none", "HS256", "HS512", "RS512", "PS512", "ES256k", "Ed25519"])
def test_unsupported_header_algorithms_are_refused(alg: str) -> None:
    token = f"{_segment({'alg': alg})}.{_segment({'n': 1})}.{b64url_encode(bytes(64))}"
    with pytest.raises(AlgorithmNotAllowedError):
        jose.decode_unverified(token)


# -- did:key and did:jwk --------------------------------------------------------------------


def _vectors() -> dict[str, Any]:
    return json.loads((DATA / "did_key" / "did_key_vectors.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("did", list(_vectors()["nist"]))
def test_did_key_spec_vectors_nist(did: str) -> None:
    key = dids.resolve_offline(did)
    assert key == public_key_from_jwk(_vectors()["nist"][did])
    assert dids.did_key_for(key) == did


@pytest.mark.parametrize("did", list(_vectors()["secp256k1"]))
def test_did_key_spec_vectors_secp256k1(did: str) -> None:
    key = dids.resolve_offline(did)
    assert key.alg == "ES256K"
    point = b58decode(_vectors()["secp256k1"][did])  # publicKeyBase58: compressed
    assert key == PublicKey.from_raw_bytes("ES256K", point)
    assert dids.did_key_for(key) == did


def test_did_key_jwk_jcs_vector() -> None:
    (did, jwk), *_ = _vectors()["jwk_jcs"].items()
    assert dids.resolve_offline(did) == public_key_from_jwk(jwk)


def test_did_key_for_rsa_uses_jwk_jcs_and_keeps_alg() -> None:
    public = _key("PS256").public_key()
    did = dids.did_key_for(public)
    assert dids.resolve_offline(did).alg == "PS256"
    jwk_did = dids.did_jwk_for(public)
    assert json.loads(b64url_decode(jwk_did.split(":")[2]))["alg"] == "PS256"


def test_did_key_refuses_other_spellings() -> None:
    public = _key("ES256").public_key()
    assert isinstance(public.key, ec.EllipticCurvePublicKey)
    from cryptography.hazmat.primitives import serialization

    uncompressed = public.key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    with pytest.raises(InvalidKeyError):
        dids.decode_multikey("z" + b58encode(b"\x80\x24" + uncompressed))
    # A P-384 codec with a P-256 point, an unknown codec, a non-canonical JWK.
    with pytest.raises(InvalidKeyError):
        dids.decode_multikey("z" + b58encode(b"\x81\x24" + public.raw_bytes()))
    with pytest.raises(InvalidKeyError):
        dids.decode_multikey("z" + b58encode(b"\x85\x24" + public.raw_bytes()))
    spaced = json.dumps({k: v for k, v in public.to_jwk().items() if k != "alg"}).encode()
    with pytest.raises(InvalidKeyError):
        dids.decode_multikey("z" + b58encode(b"\xd1\xd6\x03" + spaced))
    with pytest.raises(DIDError):
        dids.decode_multikey("u" + b64url_encode(public.raw_bytes()))
    private_jwk = dumps_compact(dict(sorted(_key("ES256").to_jwk().items()))).encode()
    with pytest.raises(InvalidKeyError):
        dids.decode_multikey("z" + b58encode(b"\xd1\xd6\x03" + private_jwk))
