"""JOSE attacks on the verifier (issue 9, campaign group "JOSE"), one test per attack.

Each token goes through the real verifier app (``POST /credentials/verify``) and the test
asserts what its caller sees: refused, with the code naming the reason, and, where the
attack is about making the verifier fetch something, the requests it made. The
library-level advisories (CVE-named) are in ``test_advisory.py``; the Wycheproof,
RFC 7520 and RFC 8037 vectors run in ``tests/core/test_jose_vectors.py``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.asgi_client import AppClient
from tests.security.support import World, segment, tamper, verify, world_client
from tests.verifier.support import Issuer
from vcore.formats import build_presentation
from vcore.keys import b64url_decode, b64url_encode, generate_key


@pytest.fixture
def world(tmp_path: Path, fixed_now: datetime) -> World:
    return World(tmp_path, fixed_now)


@pytest.fixture
def client(world: World) -> Iterator[AppClient]:
    with world_client(world) as c:
        yield c


def _fetched(world: World) -> list[str]:
    return [str(r.url) for r in world.web.requests]


def test_alg_none_token_is_refused_and_nothing_fetched(world: World, client: AppClient) -> None:
    head, payload, _ = world.credential().split(".")
    forged = f"{segment({'alg': 'none', 'typ': 'vc+jwt'})}.{payload}."
    status, codes = verify(client, forged)
    assert status == 400
    assert codes == ["malformed"]  # "alg none" with an empty signature
    assert _fetched(world) == []
    del head


def test_lowercase_alg_name_is_not_an_alias(world: World, client: AppClient) -> None:
    forged = tamper(world.credential(), header={"alg": "es256"})
    assert verify(client, forged) == (400, ["alg_not_allowed"])
    assert _fetched(world) == []


def test_hmac_token_keyed_with_the_issuers_public_key_is_refused(
    world: World, client: AppClient
) -> None:
    import hashlib
    import hmac

    token = world.credential()
    head = json.loads(b64url_decode(token.split(".")[0]))
    signing_input = f"{segment({**head, 'alg': 'HS256'})}.{token.split('.')[1]}"
    secret = json.dumps(world.issuer.key.public_key().to_jwk()).encode()
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    assert verify(client, f"{signing_input}.{b64url_encode(mac)}") == (400, ["alg_not_allowed"])
    assert _fetched(world) == []


@pytest.mark.parametrize("member", ["jku", "x5u"])
def test_key_url_in_the_header_makes_the_verifier_fetch_nothing(
    world: World, client: AppClient, member: str
) -> None:
    forged = tamper(world.credential(), header={member: "http://169.254.169.254/keys"})
    assert verify(client, forged) == (400, ["header_not_allowed"])
    assert _fetched(world) == []


def test_embedded_jwk_of_the_attacker_is_not_used(world: World, client: AppClient) -> None:
    attacker = generate_key()
    token = world.signed(world.document(), issuer=world.rogue)
    forged = tamper(token, header={"jwk": attacker.public_key().to_jwk()})
    assert verify(client, forged) == (400, ["header_not_allowed"])
    assert _fetched(world) == []


def test_kid_of_another_did_is_refused_without_fetching_that_did(
    world: World, client: AppClient
) -> None:
    # Signed by the rogue, claiming the trusted issuer, naming the rogue's key.
    payload = world.document()
    token = world.signed(payload, issuer=world.rogue)
    status, codes = verify(client, token)
    assert status == 400
    assert codes == ["issuer_match"] or "issuer_mismatch" in codes
    assert not any("rogue.example" in url for url in _fetched(world))


def test_kid_with_an_internal_url_fetches_nothing(world: World, client: AppClient) -> None:
    forged = tamper(world.credential(), header={"kid": "http://169.254.169.254/latest/meta-data"})
    status, codes = verify(client, forged)
    assert status == 400
    assert codes == ["unknown_key"]
    assert not any("169.254" in url for url in _fetched(world))


def test_kid_with_a_path_traversal_fragment_is_an_unknown_key(
    world: World, client: AppClient
) -> None:
    forged = tamper(world.credential(), header={"kid": f"{world.issuer.did}#../../etc/passwd"})
    status, codes = verify(client, forged)
    assert status == 400
    assert codes == ["unknown_key"]
    assert all(url == "https://registry.example/.well-known/did.json" for url in _fetched(world))


def test_another_key_signing_under_the_issuers_kid_is_a_bad_signature(
    world: World, client: AppClient
) -> None:
    impostor = Issuer("https://registry.example")  # same DID, its own key, same kid shape
    token = world.signed(world.document(), issuer=impostor)
    forged = tamper(token, header={"kid": world.issuer.kid})
    assert verify(client, forged) == (400, ["bad_signature"])


def test_eddsa_header_over_a_p256_key_is_refused(world: World, client: AppClient) -> None:
    forged = tamper(world.credential(), header={"alg": "EdDSA"})
    status, codes = verify(client, forged)
    assert status == 400
    assert codes == ["alg_not_allowed"]


def test_der_encoded_ecdsa_signature_is_refused(world: World, client: AppClient) -> None:
    token = world.credential()
    head, payload, signature = token.split(".")
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    assert verify(client, f"{head}.{payload}.{b64url_encode(der)}") == (400, ["bad_signature"])


def test_truncated_signature_is_refused(world: World, client: AppClient) -> None:
    token = world.credential()
    assert verify(client, token[:-8]) == (400, ["malformed"])


def test_stripped_signature_is_refused(world: World, client: AppClient) -> None:
    head, payload, _ = world.credential().split(".")
    assert verify(client, f"{head}.{payload}.") == (400, ["malformed"])


def test_non_canonical_base64_in_the_signature_is_refused(world: World, client: AppClient) -> None:
    token = world.credential()
    # 64 bytes encode to 86 characters; the last one carries 2 spare bits, set them.
    head, payload, signature = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    mutated = signature[:-1] + alphabet[last | 0b11]
    assert mutated != signature
    status, codes = verify(client, f"{head}.{payload}.{mutated}")
    assert status == 400
    assert codes == ["malformed"]


def test_padding_and_whitespace_inside_a_token_are_refused(world: World, client: AppClient) -> None:
    # Whitespace around the token is trimmed (pasted or scanned text); inside, it is not.
    token = world.credential()
    for mutated in (token + "=", token.replace(".", ".\n", 1), token.replace(".", " .", 1)):
        status, codes = verify(client, mutated)
        assert status == 400, mutated
        assert codes == ["malformed"], mutated


def test_duplicate_alg_members_in_the_header_are_refused(world: World, client: AppClient) -> None:
    token = world.credential()
    head = b64url_encode(
        f'{{"alg":"ES256","typ":"vc+jwt","kid":"{world.issuer.kid}","alg":"none"}}'.encode()
    )
    _, payload, signature = token.split(".")
    assert verify(client, f"{head}.{payload}.{signature}") == (400, ["malformed"])


def test_crit_b64_false_unencoded_payload_is_refused(world: World, client: AppClient) -> None:
    forged = tamper(world.credential(), header={"crit": ["b64"], "b64": False})
    assert verify(client, forged) == (400, ["header_not_allowed"])
    assert _fetched(world) == []


def test_compressed_payload_zip_header_is_refused(world: World, client: AppClient) -> None:
    token = world.credential()
    head, payload, signature = token.split(".")
    deflated = b64url_encode(zlib.compress(b64url_decode(payload)))
    header = {**json.loads(b64url_decode(head)), "zip": "DEF"}
    status, codes = verify(client, f"{segment(header)}.{deflated}.{signature}")
    assert status == 400
    assert codes == ["malformed"]  # the verifier never inflates
    assert _fetched(world) == []


def test_five_part_jwe_is_refused(world: World, client: AppClient) -> None:
    jwe = ".".join([segment({"alg": "RSA-OAEP", "enc": "A256GCM"}), "AAAA", "AAAA", "AAAA", "AAAA"])
    assert verify(client, jwe)[1][0] == "malformed"
    assert _fetched(world) == []


def test_jws_json_serialization_is_refused(world: World, client: AppClient) -> None:
    head, payload, signature = world.credential().split(".")
    general = {"payload": payload, "signatures": [{"protected": head, "signature": signature}]}
    status, codes = verify(client, general)
    assert status == 400
    assert codes == ["malformed"]
    assert _fetched(world) == []


def test_token_over_the_size_limit_is_refused_before_parsing(
    world: World, client: AppClient
) -> None:
    big = world.signed(world.document(padding="x" * 300_000))
    response = client.post("/credentials/verify", json={"verifiableCredential": big})
    assert response.status_code in (400, 413), response.text
    body = response.json()
    code = body.get("code") or body["problemDetails"][0]["code"]
    assert code == "too_large"
    assert _fetched(world) == []


def test_presentation_token_submitted_as_a_credential_is_refused(
    world: World, client: AppClient
) -> None:
    vp = build_presentation(
        [world.credential()],
        world.citizen.key,
        world.citizen.did,
        audience="https://verifier.example",
        nonce="n",
        now=world.now,
    )
    status, codes = verify(client, vp)
    assert status == 400
    assert codes == ["malformed"]
    assert _fetched(world) == []


def test_status_list_token_submitted_as_a_citizens_credential_is_refused(
    world: World, client: AppClient
) -> None:
    state = world.issuer.status_list("revocation")
    token = world.issuer.list_token(state.url, world.now)
    status, codes = verify(client, token)
    assert status == 400
    assert codes == ["type_not_accredited"]


def test_typ_header_swapped_to_jwt_cannot_downgrade_the_format(
    world: World, client: AppClient
) -> None:
    # A vc+jwt payload relabelled as a VC-JWT 1.1 token (typ JWT) breaks the signature
    # and the 1.1 shape alike: refused, never read with the other format's rules.
    forged = tamper(world.credential(), header={"typ": "JWT"})
    status, codes = verify(client, forged)
    assert status == 400
    assert codes == ["malformed"]


def test_kid_with_control_characters_is_refused(world: World, client: AppClient) -> None:
    forged = tamper(world.credential(), header={"kid": f"{world.issuer.kid}\u0000\u202e"})
    status, codes = verify(client, forged)
    assert status == 400
    assert codes == ["unknown_key"]
    for url in _fetched(world):
        assert "\u0000" not in url
        assert "%00" not in url
