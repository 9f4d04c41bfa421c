"""The four JWS JSON serialisation vectors (RFC 9901 §8) of shared/vectors/sd-jwt, valid
and tampered (flattened and general, from the RFC examples and the reference test cases).

``sd_jwt_presentation.json`` / ``sd_jwt_issuance.json`` hold the JSON text as a JSON string.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.core.test_sdjwt_vectors import _issuer_key, _kb_context
from vcore.errors import AudienceMismatchError, BadSignatureError, NonceMismatchError
from vcore.keys import b64url_decode, b64url_encode, public_key_from_jwk
from vcore.sdjwt import (
    DisclosureDuplicateError,
    DisclosureInvalidError,
    DisclosureUnreferencedError,
    KeyBindingRequiredError,
    SdHashMismatchError,
    SdJwtError,
    make_disclosure,
    read_json_sd_jwt,
    verify_sd_jwt,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "sd_jwt"
CASES = sorted(p.parent for p in DATA.glob("*/json_serialization_*/sd_jwt_presentation.json"))


def _document(case: Path, name: str = "sd_jwt_presentation.json") -> dict[str, Any]:
    inner = json.loads((case / name).read_text(encoding="utf-8"))
    document: dict[str, Any] = json.loads(inner)
    return document


def _verify(case: Path, document: object, **kw: Any) -> dict[str, Any]:
    nonce, aud, now = _kb_context(case)
    kw = {"require_key_binding": True, "nonce": nonce, "audience": aud, "now": now} | kw
    claims: dict[str, Any] = verify_sd_jwt(
        read_json_sd_jwt(document), _issuer_key(case), **kw
    ).claims
    return claims


def _header(document: dict[str, Any]) -> dict[str, Any]:
    node = document["signatures"][0] if "signatures" in document else document
    header: dict[str, Any] = node["header"]
    return header


def test_there_are_four_json_cases_flattened_and_general() -> None:
    assert len(CASES) == 4
    assert {c.name for c in CASES} == {"json_serialization_flattened", "json_serialization_general"}


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_presentation_verifies_to_verified_contents(case: Path) -> None:
    expected = json.loads((case / "verified_contents.json").read_text(encoding="utf-8"))
    assert _verify(case, _document(case)) == expected
    # Its JSON text is read alike.
    text = json.dumps(_document(case))
    assert _verify(case, text) == expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_issuance_form_verifies_with_every_disclosure(case: Path) -> None:
    document = _document(case, "sd_jwt_issuance.json")
    parts = read_json_sd_jwt(document)
    assert parts.kb_jwt is None
    claims = verify_sd_jwt(parts, _issuer_key(case)).claims
    assert "birthdate" in claims


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_invalid_tampered_variants_are_refused(case: Path) -> None:
    good = _document(case)

    def variant(change: Any) -> dict[str, Any]:
        document = json.loads(json.dumps(good))
        change(document)
        return document

    stray = make_disclosure("given_name", "Mallory").encoded
    with pytest.raises(DisclosureUnreferencedError):
        _verify(case, variant(lambda d: _header(d)["disclosures"].append(stray)))
    with pytest.raises(DisclosureDuplicateError):
        _verify(
            case,
            variant(lambda d: _header(d)["disclosures"].append(_header(d)["disclosures"][0])),
        )
    with pytest.raises(DisclosureInvalidError):
        _verify(case, variant(lambda d: _header(d)["disclosures"].append("bm90IGpzb24")))
    # A changed payload: the first signature no longer holds.
    claims = json.loads(b64url_decode(good["payload"]))
    forged = b64url_encode(json.dumps({**claims, "iss": "https://attacker.example"}).encode())
    with pytest.raises(BadSignatureError):
        _verify(case, variant(lambda d: d.update(payload=forged)))
    # One Disclosure dropped: sd_hash no longer matches.
    with pytest.raises(SdHashMismatchError):
        _verify(case, variant(lambda d: _header(d)["disclosures"].pop()))
    with pytest.raises(KeyBindingRequiredError):
        _verify(case, variant(lambda d: _header(d).pop("kb_jwt")))
    with pytest.raises(NonceMismatchError):
        _verify(case, good, nonce="another")
    with pytest.raises(AudienceMismatchError):
        _verify(case, good, audience="https://other.example")


GENERAL = [c for c in CASES if c.name.endswith("general")]


class _Loader(yaml.SafeLoader):
    """YAML with the generator's ``!sd`` tags read as plain values."""


_Loader.add_multi_constructor("!", lambda loader, _suffix, node: loader.construct_scalar(node))


def _second_issuer_key(case: Path) -> Any:
    spec = yaml.load((case / "specification.yml").read_text(encoding="utf-8"), _Loader)  # noqa: S506
    settings = (case.parent / "settings.yml").read_text(encoding="utf-8")
    overrides = spec.get("settings_override") or yaml.load(settings, _Loader)  # noqa: S506
    jwk = dict(overrides["key_settings"]["issuer_keys"][1])
    return public_key_from_jwk({k: jwk[k] for k in ("kty", "crv", "x", "y")})


@pytest.mark.parametrize("case", GENERAL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_general_only_the_first_signature_counts(case: Path) -> None:
    document = _document(case)
    assert len(document["signatures"]) == 2
    # The first signature is issuer key 1's: key 2 does not verify it.
    with pytest.raises(BadSignatureError):
        verify_sd_jwt(read_json_sd_jwt(document), _second_issuer_key(case))
    # Disclosures moved to the second signature's header are refused.
    moved = json.loads(json.dumps(document))
    moved["signatures"][1]["header"]["disclosures"] = _header(moved)["disclosures"]
    with pytest.raises(SdJwtError, match="first signature"):
        read_json_sd_jwt(moved)
    # The signatures swapped: the first is now key 2's and key 1 refuses it.
    swapped = json.loads(json.dumps(document))
    first, second = swapped["signatures"]
    second["header"] = {
        **second["header"],
        **{k: first["header"].pop(k) for k in ("disclosures", "kb_jwt")},
    }
    swapped["signatures"] = [second, first]
    with pytest.raises(BadSignatureError):
        _verify(case, swapped)


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        [],
        {"payload": "x"},
        {"payload": "", "protected": "a", "signature": "b"},
        {"payload": "a", "protected": "b", "signature": "c", "header": []},
        {"payload": "a", "protected": "b", "signature": "c", "header": {"disclosures": "d"}},
        {"payload": "a", "protected": "b", "signature": "c", "header": {"disclosures": [""]}},
        {"payload": "a", "protected": "b", "signature": "c", "header": {"kb_jwt": "no-dots"}},
        {"payload": "a", "signatures": []},
        {"payload": "a", "signatures": ["x"]},
        {"payload": "a", "signatures": [{"protected": "b", "signature": "c"}], "signature": "d"},
        "{" + " " * 70_000 + "}",
    ],
)
def test_invalid_json_shapes_are_refused_with_sd_jwt_invalid(document: object) -> None:
    with pytest.raises(SdJwtError) as caught:
        read_json_sd_jwt(document)
    assert caught.value.code == "sd_jwt_invalid"
