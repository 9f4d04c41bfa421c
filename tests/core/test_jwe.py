"""ECDH-ES JWE (vcore.jwe) against node `jose`, both ways, and the refusals."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.independent_jose import NODE_DIR
from vcore.errors import JweError
from vcore.jwe import decrypt_jwe, encrypt_jwe, read_jwe_header_unverified
from vcore.keys import b64url_decode, b64url_encode, generate_key


def _node(request: dict[str, Any]) -> dict[str, Any]:
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "jose").is_dir():
        pytest.skip("node or tests/node/node_modules/jose is absent: run `npm ci` in tests/node")
    result = subprocess.run(
        ["node", str(NODE_DIR / "jwe.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=NODE_DIR,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


@pytest.mark.parametrize("enc", ["A128GCM", "A256GCM"])
def test_node_decrypts_ours_and_we_decrypt_nodes(enc: str) -> None:
    key = generate_key("ES256")
    ours = encrypt_jwe(b'{"vp_token":{}}', key.public_key(), enc=enc, kid="k1")
    answer = _node({"op": "decrypt", "jwk": key.to_jwk(), "jwe": ours})
    assert answer["plaintext"] == '{"vp_token":{}}'
    assert answer["header"]["kid"] == "k1"
    theirs = _node(
        {
            "op": "encrypt",
            "jwk": key.public_key().to_jwk(),
            "enc": enc,
            "kid": "k1",
            "plaintext": "hello",
        }
    )["jwe"]
    header, plaintext = decrypt_jwe(theirs, key)
    assert plaintext == b"hello"
    assert header["enc"] == enc


def _with_header(token: str, **changes: Any) -> str:
    parts = token.split(".")
    header = json.loads(b64url_decode(parts[0]))
    header.update(changes)
    parts[0] = b64url_encode(json.dumps(header).encode())
    return ".".join(parts)


def test_refusals() -> None:
    key = generate_key("ES256")
    token = encrypt_jwe(b"x", key.public_key())
    with pytest.raises(JweError, match="does not decrypt"):
        decrypt_jwe(token, generate_key("ES256"))
    with pytest.raises(JweError, match="not ECDH-ES"):
        decrypt_jwe(_with_header(token, alg="ECDH-ES+A128KW"), key)
    with pytest.raises(JweError, match="not accepted"):
        decrypt_jwe(token, key, enc_values=("A256GCM",))
    with pytest.raises(JweError, match="crit"):
        decrypt_jwe(_with_header(token, crit=["x"]), key)
    with pytest.raises(JweError, match="does not decrypt"):
        decrypt_jwe(_with_header(token, kid="swapped"), key)  # the header is authenticated
    parts = token.split(".")
    with pytest.raises(JweError, match="no encrypted key"):
        decrypt_jwe(".".join([parts[0], "AAAA", *parts[2:]]), key)
    with pytest.raises(JweError, match="five parts"):
        read_jwe_header_unverified("a.b.c")
    with pytest.raises(JweError, match="P-256"):
        encrypt_jwe(b"x", generate_key("EdDSA").public_key())
