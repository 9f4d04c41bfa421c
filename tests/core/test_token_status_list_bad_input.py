"""Bad Token Status Lists and bad ``status.status_list`` entries through the pipeline
(issue 10, "Bad input"): each one refused with a stable code, never an exception.

A list of the wrong type (a W3C Bitstring list, another ``typ``), of a bit width the IETF
draft does not define, without ``status_list``, past its ``exp``; an entry index outside
the list or not a non-negative integer.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.test_sd_jwt_vc import (
    ISSUER,
    KID,
    LIST_URL,
    NOW,
    POLICY,
    VCT,
    _document,
    _resolvers,
    _status_list,
)
from vcore.clock import format_datetime
from vcore.dids import did_key_for
from vcore.formats import SelectiveDisclosureFormat, lookup
from vcore.jose import sign
from vcore.keys import PrivateKey, generate_key
from vcore.signing import SoftwareSigner
from vcore.status import BitstringStatusList, TokenStatusList, build_status_list_credential
from vcore.verify import verify_credential_token

ISSUER_KEY = generate_key("ES256")
HOLDER = did_key_for(generate_key("ES256").public_key())


def _issued(idx: object = 7) -> str:
    securing = lookup("dc+sd-jwt")
    assert isinstance(securing, SelectiveDisclosureFormat)
    document = _document(HOLDER, idx=idx)  # type: ignore[arg-type]
    return securing.sign_selective(
        document, SoftwareSigner(ISSUER_KEY, KID), policy=POLICY, vct=VCT
    )


def _codes(token: str, listed: str | None = None) -> list[str]:
    key_for, status_for = _resolvers(ISSUER_KEY, {}, token=listed)
    report = verify_credential_token(
        token, trust=None, key_for=key_for, status_for=status_for, now=NOW
    )
    return report.codes


def _bitstring_list() -> str:
    credential = build_status_list_credential(
        list_id=LIST_URL,
        issuer=ISSUER,
        purpose="revocation",
        encoded_list=BitstringStatusList(131072).encode(),
        valid_from=format_datetime(NOW),
    )
    return sign(credential, SoftwareSigner(ISSUER_KEY, KID), typ="vc+jwt", cty="vc")


def _token_list(key: PrivateKey = ISSUER_KEY, **changes: Any) -> str:
    return _status_list(key, {}, **changes)


def _other_typ() -> str:
    payload = {"iss": ISSUER, "sub": LIST_URL, "iat": int(NOW.timestamp()) - 60}
    payload["status_list"] = TokenStatusList(131072, bits=2).to_claim()
    return sign(payload, SoftwareSigner(ISSUER_KEY, KID), typ="example+jwt")


LISTS = {
    "a W3C Bitstring list (wrong type)": (_bitstring_list, "status_list_invalid"),
    "another typ": (_other_typ, "status_list_invalid"),
    "bits 3": (
        lambda: _token_list(status_list={"bits": 3, "lst": "eNoDAAAAAAE"}),
        "status_list_invalid",
    ),
    "bits 16": (
        lambda: _token_list(status_list={"bits": 16, "lst": "eNoDAAAAAAE"}),
        "status_list_invalid",
    ),
    "bits 0": (
        lambda: _token_list(status_list={"bits": 0, "lst": "eNoDAAAAAAE"}),
        "status_list_invalid",
    ),
    "bits as text": (
        lambda: _token_list(status_list={"bits": "2", "lst": "eNoDAAAAAAE"}),
        "status_list_invalid",
    ),
    "no status_list": (lambda: _token_list(status_list=None), "status_list_invalid"),
    "lst not zlib": (
        lambda: _token_list(status_list={"bits": 2, "lst": "bm90IHpsaWI"}),
        "status_list_invalid",
    ),
    "another sub": (
        lambda: _token_list(sub="https://issuer.example/statuslists/2"),
        "status_list_invalid",
    ),
    "index past a 4-entry list": (
        lambda: _token_list(status_list=TokenStatusList(4, bits=2).to_claim()),
        "status_list_invalid",
    ),
    # 60 s of clock leeway (draft §8.3), then fail closed.
    "past its exp": (lambda: _token_list(exp=int(NOW.timestamp()) - 61), "status_unavailable"),
    "exp not a number": (lambda: _token_list(exp="tomorrow"), "status_list_invalid"),
    # A list that does not verify cannot say anything: unavailable, as a failed fetch.
    "signed by another key": (lambda: _token_list(generate_key("ES256")), "status_unavailable"),
}


@pytest.mark.parametrize("case", sorted(LISTS))
def test_invalid_status_lists_fail_closed_with_a_stable_code(case: str) -> None:
    make, code = LISTS[case]
    codes = _codes(_issued(), make())
    assert codes, case
    assert set(codes) == {code}, (case, codes)


def test_exp_within_the_leeway_passes() -> None:
    assert _codes(_issued(), _token_list(exp=int(NOW.timestamp()) - 30)) == []


def test_valid_list_at_its_last_index_passes() -> None:
    assert _codes(_issued(idx=131071), _token_list()) == []
    assert _codes(_issued(idx=0), _token_list()) == []


@pytest.mark.parametrize("idx", [-1, 131072, 2**53, "7", True, 7.0, None, [7]], ids=repr)
def test_invalid_entry_indexes_fail_closed(idx: object) -> None:
    assert set(_codes(_issued(idx), _token_list())) == {"status_list_invalid"}
