"""Subresource Integrity strings (vct#integrity): the strongest algorithm counts."""

from __future__ import annotations

import base64
import hashlib

import pytest

from vcore.errors import SchemaInvalidError, TypeMetadataIntegrityError
from vcore.integrity import check_integrity, integrity_of

BODY = b'{"vct": "https://issuer.example/types/T"}'


def _sri(alg: str, body: bytes = BODY, *, url: bool = False) -> str:
    digest = hashlib.new(alg, body).digest()
    encoded = base64.urlsafe_b64encode(digest).rstrip(b"=") if url else base64.b64encode(digest)
    return f"{alg}-{encoded.decode()}"


@pytest.mark.parametrize(
    "claim",
    [
        _sri("sha256"),
        _sri("sha384"),
        _sri("sha512"),
        _sri("sha256", url=True),  # base64url without padding is read alike
        f"{_sri('sha256')}?ct=application/json",
        f"{_sri('sha256', b'other')} {_sri('sha384')}",  # sha384 is stronger: it decides
        f"md5-AAAA {_sri('sha256')}",  # an unknown algorithm is ignored
        f"  {_sri('sha512')}  {_sri('sha512', b'x')}",  # any token of the strongest matches
    ],
)
def test_valid_integrity_matches(claim: str) -> None:
    check_integrity(claim, integrity_of(BODY))


@pytest.mark.parametrize(
    "claim",
    [
        _sri("sha256", b"other bytes"),
        f"{_sri('sha256')} {_sri('sha384', b'other')}",  # the stronger one does not match
        "sha256-",
        "sha256-not base64!",
        "sha256-" + base64.b64encode(b"short").decode(),  # wrong digest length
        "md5-" + base64.b64encode(hashlib.md5(BODY).digest()).decode(),  # noqa: S324
        "sha256",
        "",
        "   ",
        "x" * 3000,
        42,
        ["sha256-abc"],
    ],
)
def test_invalid_integrity_is_refused_with_a_stable_code(claim: object) -> None:
    with pytest.raises(TypeMetadataIntegrityError) as caught:
        check_integrity(claim, integrity_of(BODY))
    assert caught.value.code == "vct_integrity_mismatch"
    assert isinstance(caught.value, SchemaInvalidError)


def test_integrity_of_names_each_algorithm_once() -> None:
    assert integrity_of(BODY) == {_sri("sha256"), _sri("sha384"), _sri("sha512")}
