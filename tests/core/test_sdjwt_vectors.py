"""RFC 9901 / SD-JWT VC / reference test-case vectors, run valid and tampered.

Vectors: tests/data/sd_jwt/ (provenance in tests/data/PROVENANCE.md). Every compact
presentation must verify (issuer signature, Disclosures, KB-JWT with sd_hash) to exactly
``verified_contents.json``; every tampered variant must be refused with its code.
The KB-JWT ``iat`` is the vectors' generation time, so the clock is set from it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from vcore.clock import from_timestamp
from vcore.errors import AudienceMismatchError, BadSignatureError, NonceMismatchError, TrustIDError
from vcore.keys import PublicKey, b64url_decode, b64url_encode, public_key_from_jwk
from vcore.sdjwt import (
    CompactSdJwt,
    DisclosureDuplicateError,
    DisclosureUnreferencedError,
    KeyBindingRequiredError,
    KeyBindingSignatureError,
    KeyBindingTimeError,
    SdAlgUnsupportedError,
    SdHashMismatchError,
    join_sd_jwt,
    make_disclosure,
    verify_sd_jwt,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "sd_jwt"
CASES = sorted(p.parent for p in DATA.glob("*/*/sd_jwt_presentation.txt"))
KB_CASES = [c for c in CASES if (c / "kb_jwt_payload.json").exists()]


def _keys(case: Path) -> dict[str, Any]:
    keys: dict[str, Any] = json.loads((case.parent / "keys.json").read_text(encoding="utf-8"))
    return keys


def _issuer_key(case: Path) -> PublicKey:
    return public_key_from_jwk(_keys(case)["issuer_key"])


def _text(case: Path) -> str:
    return (case / "sd_jwt_presentation.txt").read_text(encoding="utf-8").strip()


def _kb_context(case: Path) -> tuple[str, str, datetime]:
    kb = json.loads((case / "kb_jwt_payload.json").read_text(encoding="utf-8"))
    return kb["nonce"], kb["aud"], from_timestamp(kb["iat"])


def _verify(case: Path, text: str | None = None, **kw: Any) -> dict[str, Any]:
    text = _text(case) if text is None else text
    if (case / "kb_jwt_payload.json").exists():
        nonce, aud, now = _kb_context(case)
        kw = {"require_key_binding": True, "nonce": nonce, "audience": aud, "now": now} | kw
    return verify_sd_jwt(text, _issuer_key(case), **kw).claims


def test_there_are_31_compact_cases() -> None:
    assert len(CASES) == 31
    assert len(KB_CASES) >= 5


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_presentation_verifies_to_verified_contents(case: Path) -> None:
    expected = json.loads((case / "verified_contents.json").read_text(encoding="utf-8"))
    assert _verify(case) == expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_issuance_form_verifies_with_every_disclosure(case: Path) -> None:
    issued = (case / "sd_jwt_issuance.txt").read_text(encoding="utf-8").strip()
    claims = verify_sd_jwt(issued, _issuer_key(case)).claims
    assert isinstance(claims, dict)


def _parts(case: Path) -> CompactSdJwt:
    return CompactSdJwt.parse(_text(case))


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_invalid_foreign_disclosure_is_refused(case: Path) -> None:
    parts = _parts(case)
    stray = make_disclosure("given_name", "Mallory")
    text = join_sd_jwt(parts.jwt, [*parts.disclosures, stray], parts.kb_jwt or "")
    with pytest.raises(DisclosureUnreferencedError):
        _verify(case, text, require_key_binding=False)


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_invalid_duplicated_disclosure_is_refused(case: Path) -> None:
    parts = _parts(case)
    if not parts.disclosures:
        pytest.skip("no disclosure to duplicate")
    text = join_sd_jwt(parts.jwt, [*parts.disclosures, parts.disclosures[0]], "")
    with pytest.raises(DisclosureDuplicateError):
        _verify(case, text, require_key_binding=False)


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_invalid_payload_changed_is_refused(case: Path) -> None:
    parts = _parts(case)
    head, payload, sig = parts.jwt.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["iss"] = "https://attacker.example"
    forged = ".".join([head, b64url_encode(json.dumps(claims).encode()), sig])
    with pytest.raises(BadSignatureError):
        _verify(case, join_sd_jwt(forged, parts.disclosures), require_key_binding=False)


@pytest.mark.parametrize("case", KB_CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_invalid_key_binding_variants(case: Path) -> None:
    parts = _parts(case)
    _, _, now = _kb_context(case)
    with pytest.raises(NonceMismatchError):
        _verify(case, nonce="another")
    with pytest.raises(AudienceMismatchError):
        _verify(case, audience="https://other.example")
    with pytest.raises(KeyBindingTimeError):
        _verify(case, now=from_timestamp(int(now.timestamp()) + 3600))
    # Other Disclosures (reordered, or one dropped): the KB-JWT's sd_hash no longer matches.
    if parts.disclosures:
        other = parts.disclosures[::-1] if len(parts.disclosures) > 1 else ()
        moved = join_sd_jwt(parts.jwt, other, parts.kb_jwt or "")
        with pytest.raises(SdHashMismatchError):
            _verify(case, moved)
    # No KB-JWT where one is required.
    with pytest.raises(KeyBindingRequiredError):
        _verify(case, parts.without_kb)
    # A KB-JWT signed by another key than cnf (the issuer's signature bytes).
    kb_head, kb_body, _ = (parts.kb_jwt or "..").split(".")
    other_sig = parts.jwt.split(".")[2]
    with pytest.raises(KeyBindingSignatureError):
        _verify(case, parts.without_kb + f"{kb_head}.{kb_body}.{other_sig}")


def test_unknown_sd_alg_is_refused() -> None:
    from vcore.sdjwt import process_disclosures

    with pytest.raises(SdAlgUnsupportedError):
        process_disclosures({"_sd_alg": "md5", "_sd": []}, [])


def test_every_refusal_has_a_stable_code() -> None:
    codes = {
        DisclosureUnreferencedError.code,
        DisclosureDuplicateError.code,
        SdAlgUnsupportedError.code,
        KeyBindingRequiredError.code,
        KeyBindingSignatureError.code,
        KeyBindingTimeError.code,
        SdHashMismatchError.code,
    }
    assert len(codes) == 7
    assert all(issubclass(e, TrustIDError) for e in (DisclosureUnreferencedError,))
