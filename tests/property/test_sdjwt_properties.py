"""Property tests for vcore.sdjwt (issue 10): issue -> choose Disclosures -> KB-JWT -> verify
round-trips for random claim sets and random choices, and every tamper of a Disclosure, a
digest or the KB-JWT is refused with a stable code, never an unexpected exception.

Bounded (about 50 examples each) and derandomised: the same examples on every run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.property.strategies import bounded
from vcore.errors import TrustIDError
from vcore.keys import b64url_decode, b64url_encode, generate_key
from vcore.sdjwt import (
    CompactSdJwt,
    Selective,
    create_kb_jwt,
    issue_sd_jwt,
    join_sd_jwt,
    make_disclosure,
    present_sd_jwt,
    verify_sd_jwt,
)
from vcore.signing import SoftwareSigner

pytestmark = pytest.mark.property

PROPERTY = settings(bounded(50), derandomize=True)
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
NONCE = "n-4f1c2a"
AUD = "https://verifier.example"
ISSUER = generate_key("ES256")
HOLDER = generate_key("ES256")
OTHER = generate_key("ES256")
ISSUER_SIGNER = SoftwareSigner(ISSUER, "did:web:issuer.example#k1")
HOLDER_SIGNER = SoftwareSigner(HOLDER, "holder")

# Every code an SD-JWT refusal may carry (a tamper may surface at any of these layers).
CODES = {
    "malformed",
    "sd_jwt_invalid",
    "sd_jwt_disclosure_invalid",
    "sd_jwt_disclosure_unreferenced",
    "sd_jwt_disclosure_duplicate",
    "sd_alg_unsupported",
    "bad_signature",
    "alg_not_allowed",
    "header_not_allowed",
    "too_large",
    "kb_jwt_invalid",
    "kb_jwt_required",
    "kb_jwt_bad_signature",
    "kb_jwt_stale",
    "sd_hash_mismatch",
    "nonce_mismatch",
    "audience_mismatch",
}
_RESERVED = {"_sd", "...", "_sd_alg", "cnf", "iss", "iat"}

names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda n: n not in _RESERVED
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.text(max_size=20),
)
plain = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def selective_values(draw: st.DrawFn) -> Any:
    """A value, possibly an object some of whose members are themselves selective."""
    if draw(st.booleans()):
        return draw(plain)
    members = draw(st.dictionaries(names, plain, min_size=1, max_size=3))
    return {k: Selective(v) if draw(st.booleans()) else v for k, v in members.items()}


@st.composite
def claim_sets(draw: st.DrawFn, min_selective: int = 0) -> tuple[dict[str, Any], list[str]]:
    """Claims (top-level ones plain or :class:`Selective`) and the selective names."""
    kinds = st.booleans() if min_selective == 0 else st.just(True)
    chosen = draw(st.dictionaries(names, kinds, min_size=max(min_selective, 1), max_size=3))
    chosen = {**draw(st.dictionaries(names, st.booleans(), max_size=4)), **chosen}
    claims: dict[str, Any] = {}
    selective: list[str] = []
    for name, is_selective in chosen.items():
        if is_selective:
            claims[name] = Selective(draw(selective_values()))
            selective.append(name)
        else:
            claims[name] = draw(plain)
    return claims, selective


def _unwrap(value: Any) -> Any:
    if isinstance(value, Selective):
        return _unwrap(value.value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _issue(claims: dict[str, Any]) -> str:
    body = {"iss": "did:web:issuer.example", "cnf": {"jwk": HOLDER.public_key().to_jwk()}}
    return issue_sd_jwt({**body, **claims}, ISSUER_SIGNER, typ="dc+sd-jwt").text


def _present(issued: str, shown: list[str]) -> str:
    return present_sd_jwt(issued, shown, signer=HOLDER_SIGNER, nonce=NONCE, audience=AUD, now=NOW)


def _verify(text: str, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "require_key_binding": True,
        "nonce": NONCE,
        "audience": AUD,
        "now": NOW,
    } | kw
    return verify_sd_jwt(text, ISSUER.public_key(), **args).claims


def _refused(text: str, **kw: Any) -> str:
    """The code ``text`` is refused with; fails on acceptance or a non-TrustID exception."""
    with pytest.raises(TrustIDError) as caught:
        _verify(text, **kw)
    code = caught.value.code
    assert code in CODES, (code, caught.value)
    event(f"code {code}")
    return code


@PROPERTY
@given(claim_sets(), st.data())
def test_round_trip_discloses_exactly_the_chosen_claims(
    case: tuple[dict[str, Any], list[str]], data: st.DataObject
) -> None:
    claims, selective = case
    shown = data.draw(
        st.lists(st.sampled_from(selective), unique=True) if selective else st.just([])
    )
    presented = _present(_issue(claims), shown)
    verified = _verify(presented)
    expected = {
        name: _unwrap(value)
        for name, value in claims.items()
        if not isinstance(value, Selective) or name in shown
    }
    # A chosen claim comes with everything below it; nothing else is shown.
    got = {k: v for k, v in verified.items() if k not in ("iss", "cnf", "_sd_alg")}
    assert got == expected
    event(f"{len(shown)} of {len(selective)} shown")


@PROPERTY
@given(claim_sets())
def test_the_issued_form_verifies_with_every_claim(case: tuple[dict[str, Any], list[str]]) -> None:
    claims, _ = case
    verified = verify_sd_jwt(_issue(claims), ISSUER.public_key()).claims
    assert {k: v for k, v in verified.items() if k not in ("iss", "cnf")} == _unwrap(claims)


EXPECTED = {
    "flip a disclosure character": {"sd_jwt_disclosure_invalid", "sd_jwt_disclosure_unreferenced"},
    "foreign disclosure": {"sd_jwt_disclosure_unreferenced"},
    "duplicate disclosure": {"sd_jwt_disclosure_duplicate"},
    # A parent's Disclosure dropped leaves its members' Disclosures unreferenced.
    "drop a disclosure": {"sd_hash_mismatch", "sd_jwt_disclosure_unreferenced"},
    "swap a disclosure for another value": {"sd_jwt_disclosure_unreferenced"},
    # A digest of a sent Disclosure: unreferenced; of a withheld claim or decoy: signature.
    "change a digest": {"sd_jwt_disclosure_unreferenced", "bad_signature"},
    "flip a KB-JWT character": {"kb_jwt_invalid", "kb_jwt_bad_signature"},
    "KB-JWT by another key": {"kb_jwt_bad_signature"},
    "KB-JWT for another nonce": {"nonce_mismatch"},
    "KB-JWT for another audience": {"audience_mismatch"},
    "KB-JWT for another SD-JWT": {"sd_hash_mismatch"},
    "KB-JWT too old": {"kb_jwt_stale"},
    "no KB-JWT": {"kb_jwt_required"},
}
"""Each tamper and the codes it may be refused with."""
TAMPERS = list(EXPECTED)


def _flip(text: str, position: int) -> str:
    position %= len(text)
    replacement = "A" if text[position] != "A" else "B"
    return text[:position] + replacement + text[position + 1 :]


def _tampered(presented: str, tamper: str, data: st.DataObject) -> tuple[str, dict[str, Any]]:
    parts = CompactSdJwt.parse(presented)
    kb = parts.kb_jwt or ""
    disclosures = list(parts.disclosures)
    pick = data.draw(st.integers(min_value=0, max_value=max(len(disclosures) - 1, 0)))
    where = data.draw(st.integers(min_value=0, max_value=10**6))
    if tamper == "flip a disclosure character":
        encoded = [d.encoded for d in disclosures]
        encoded[pick] = _flip(encoded[pick], where)
        return join_sd_jwt(parts.jwt, encoded, kb), {}
    if tamper == "foreign disclosure":
        stray = make_disclosure(disclosures[pick].name, "forged")
        return join_sd_jwt(parts.jwt, [*disclosures, stray], kb), {}
    if tamper == "duplicate disclosure":
        return join_sd_jwt(parts.jwt, [*disclosures, disclosures[pick]], kb), {}
    if tamper == "drop a disclosure":
        del disclosures[pick]
        return join_sd_jwt(parts.jwt, disclosures, kb), {}
    if tamper == "swap a disclosure for another value":
        disclosures[pick] = make_disclosure(disclosures[pick].name, ["other"])
        without = join_sd_jwt(parts.jwt, disclosures)
        # Even re-bound by the holder, the swapped Disclosure is not the issuer's.
        return without + create_kb_jwt(
            without, HOLDER_SIGNER, nonce=NONCE, audience=AUD, now=NOW
        ), {}
    if tamper == "change a digest":
        head, payload, signature = parts.jwt.split(".")
        claims = json.loads(b64url_decode(payload))
        digests = _digests(claims)
        target = digests[where % len(digests)]
        forged = json.dumps(claims).replace(target, b64url_encode(b"\x00" * 32))
        jwt = ".".join([head, b64url_encode(forged.encode()), signature])
        return join_sd_jwt(jwt, disclosures, kb), {}
    if tamper == "flip a KB-JWT character":
        return parts.without_kb + _flip(kb, where), {}
    if tamper == "KB-JWT by another key":
        return parts.without_kb + create_kb_jwt(
            parts.without_kb, SoftwareSigner(OTHER, "x"), nonce=NONCE, audience=AUD, now=NOW
        ), {}
    if tamper == "KB-JWT for another nonce":
        return presented, {"nonce": "another-nonce"}
    if tamper == "KB-JWT for another audience":
        return presented, {"audience": "https://elsewhere.example"}
    if tamper == "KB-JWT for another SD-JWT":
        other = join_sd_jwt(parts.jwt, disclosures[:pick])  # another selection
        kb_other = create_kb_jwt(other, HOLDER_SIGNER, nonce=NONCE, audience=AUD, now=NOW)
        return parts.without_kb + kb_other, {}
    if tamper == "KB-JWT too old":
        return presented, {"now": NOW + timedelta(hours=1)}
    if tamper == "no KB-JWT":
        return parts.without_kb, {}
    raise AssertionError(tamper)


def _digests(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        found.extend(node.get("_sd", []))
        if set(node) == {"..."}:
            found.append(node["..."])
        for value in node.values():
            found.extend(_digests(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_digests(item))
    return found


NEEDS_A_DISCLOSURE = {t for t in TAMPERS if "disclosure" in t} | {"change a digest"}


@pytest.mark.parametrize("tamper", TAMPERS)
@settings(bounded(15), derandomize=True)
@given(claim_sets(min_selective=1), st.data())
def test_every_tamper_is_refused_with_a_stable_code(
    tamper: str, case: tuple[dict[str, Any], list[str]], data: st.DataObject
) -> None:
    claims, selective = case
    shown = data.draw(st.lists(st.sampled_from(selective), min_size=1, unique=True))
    presented = _present(_issue(claims), shown)
    if tamper in NEEDS_A_DISCLOSURE and not CompactSdJwt.parse(presented).disclosures:
        return
    text, kw = _tampered(presented, tamper, data)
    code = _refused(text, **kw)
    assert code in EXPECTED[tamper], (tamper, code)
    event(f"{tamper}: {code}")


@PROPERTY
@given(claim_sets(), st.integers(min_value=0), st.sampled_from("A_-~.x=0"))
def test_any_single_character_change_is_refused_or_changes_nothing(
    case: tuple[dict[str, Any], list[str]], where: int, char: str
) -> None:
    """A change anywhere in the text: refused with a known code, or (a no-op change)
    exactly the original claims."""
    claims, selective = case
    presented = _present(_issue(claims), selective)
    position = where % len(presented)
    text = presented[:position] + char + presented[position + 1 :]
    code: str | None = None
    try:
        verified = _verify(text)
    except TrustIDError as exc:
        code = exc.code
    if code is not None:
        assert code in CODES, code
        event(f"code {code}")
        return
    assert text == presented
    assert verified == _verify(presented)
