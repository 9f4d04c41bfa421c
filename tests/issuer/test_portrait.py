"""The optional ``portrait`` claim: schema, content check, refusals and SD-JWT disclosure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from issuer.credential_types import load_types
from issuer.errors import ClaimsInvalidError, ConfigurationError
from tests.issuer.support import LICENCE, RESIDENT, Harness, issue_body, token_of
from tests.issuer.test_api_errors import assert_problem
from tests.portrait_images import JPEG_BYTES, JPEG_URL, PNG_URL, data_url, png_bytes
from vcore.formats import parse_credential_unverified
from vcore.portrait import MAX_PORTRAIT_BYTES, MAX_PORTRAIT_CHARS, PORTRAIT_PATTERN
from vcore.sdjwt import CompactSdJwt

TYPES = load_types()
HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _subject(type_name: str, **claims: Any) -> dict[str, Any]:
    return {"id": HOLDER, **TYPES[type_name].examples[0], **claims}


@pytest.mark.parametrize("type_name", [RESIDENT, LICENCE])
def test_portrait_is_optional_and_checked_in_both_types(type_name: str) -> None:
    ctype = TYPES[type_name]
    ctype.validate_subject(_subject(type_name))  # existing credentials stay valid
    ctype.validate_subject(_subject(type_name, portrait=JPEG_URL))
    ctype.validate_subject(_subject(type_name, portrait=PNG_URL))
    prop = ctype.schema["properties"]["portrait"]
    assert prop["pattern"] == PORTRAIT_PATTERN
    assert prop["maxLength"] == MAX_PORTRAIT_CHARS
    assert "portrait" not in ctype.schema["required"]
    assert ctype.disclosure.mode("portrait").value == "selective"
    display = ctype.schema["x-trustid-display"]
    assert display["en"]["claims"]["portrait"] == "Photo"
    assert display["zh-Hans"]["claims"]["portrait"] == "照片"


REFUSALS = [
    pytest.param("https://example.com/me.jpg", "schema.pattern", id="a URL"),
    pytest.param("data:image/gif;base64,R0lGODlhAQABAAAAACw=", "schema.pattern", id="gif"),
    pytest.param(
        data_url("image/png", png_bytes() + b"\x00" * MAX_PORTRAIT_BYTES),
        "schema.maxLength",
        id="too large",
    ),
    pytest.param(data_url("image/jpeg", png_bytes()), "content.portrait", id="png as jpeg"),
    pytest.param(data_url("image/png", b"GIF89a..."), "content.portrait", id="not a png"),
    pytest.param("data:image/png;base64,iVBORw0KGgp=", "content.portrait", id="non-canonical"),
]


@pytest.mark.parametrize(("portrait", "kind"), REFUSALS)
def test_refused_portraits_name_the_rule(portrait: str, kind: str) -> None:
    with pytest.raises(ClaimsInvalidError) as info:
        TYPES[RESIDENT].validate_subject(_subject(RESIDENT, portrait=portrait))
    error = info.value.errors[0]
    assert error["type"] == kind
    assert error["loc"] == ["credential", "credentialSubject", "portrait"]
    assert portrait[-12:] not in json.dumps(info.value.errors) + str(info.value.detail)


def test_an_unknown_content_check_stops_the_type_from_loading(tmp_path: Path) -> None:
    schema = json.loads((Path("issuer/types") / f"{RESIDENT}.json").read_text())
    schema["title"] = "PhotoCard"
    schema["properties"]["portrait"]["x-trustid-content"] = "selfie"
    (tmp_path / "PhotoCard.json").write_text(json.dumps(schema))
    with pytest.raises(ConfigurationError, match="x-trustid-content must be one of: portrait"):
        load_types(tmp_path)


def test_issued_dc_sd_jwt_carries_the_portrait_as_a_disclosure(issuer: Harness) -> None:
    body = issue_body(options={"format": "dc+sd-jwt"}, portrait=JPEG_URL)
    compact = CompactSdJwt.parse(token_of(issuer.issue(issuer.agencies["Resident Registry"], body)))
    disclosed = {d.name: d.value for d in compact.disclosures}
    assert disclosed["portrait"] == JPEG_URL
    assert JPEG_URL not in compact.jwt  # only its digest is in the signed payload


def test_issuer_refuses_a_disguised_portrait_with_a_problem(issuer: Harness) -> None:
    before = issuer.counts()
    body = issue_body(options={"format": "dc+sd-jwt"}, portrait=data_url("image/png", JPEG_BYTES))
    problem = assert_problem(
        issuer.issue(issuer.agencies["Resident Registry"], body), 422, "schema_invalid"
    )
    assert problem["errors"][0]["type"] == "content.portrait"
    assert "not image/png" in problem["detail"]
    assert issuer.counts() == before


def test_the_largest_portrait_fits_every_format_and_reader_limit(issuer: Harness) -> None:
    padding = b"\x00" * (MAX_PORTRAIT_BYTES - len(JPEG_BYTES))
    largest = data_url("image/jpeg", JPEG_BYTES + padding)
    assert len(largest) == MAX_PORTRAIT_CHARS
    agency = issuer.agencies["Resident Registry"]
    for fmt in ("dc+sd-jwt", "jwt_vc_json"):
        token = token_of(
            issuer.issue(agency, issue_body(options={"format": fmt}, portrait=largest))
        )
        if fmt == "dc+sd-jwt":
            compact = CompactSdJwt.parse(token)
            (disclosure,) = [d for d in compact.disclosures if d.name == "portrait"]
            assert len(disclosure.encoded) < 8 * 1024  # what an SD-JWT reader accepts
        else:
            assert len(token) <= 16 * 1024


def test_npm_sd_jwt_vc_verifies_and_reads_the_portrait(issuer: Harness) -> None:
    """An independent SD-JWT VC implementation (npm @sd-jwt/sd-jwt-vc) recovers the exact
    data URL from the portrait's Disclosure."""
    from tests.sd_jwt_node import require_sd_jwt_node, sd_jwt_node

    require_sd_jwt_node()
    body = issue_body(options={"format": "dc+sd-jwt"}, portrait=PNG_URL)
    token = token_of(issuer.issue(issuer.agencies["Resident Registry"], body))
    entry = parse_credential_unverified(token).status_entries[0]
    listed = issuer.client.get(entry["uri"].removeprefix("http://issuer.test:8100")).text
    jwks = issuer.client.get("/.well-known/jwks.json").json()
    answer = sd_jwt_node({"op": "verify", "sdjwt": token, "jwks": jwks, "statusList": listed})
    assert "error" not in answer, answer
    assert answer["payload"]["portrait"] == PNG_URL


def test_a_credential_offer_refuses_a_disguised_portrait_and_takes_a_real_one(
    issuer: Harness,
) -> None:
    """The OpenID4VCI offer path checks the claims when the offer is made, not at redemption."""
    from tests.issuer.test_oid4vci import make_offer

    bad = {**TYPES[RESIDENT].examples[0], "portrait": data_url("image/jpeg", b"<svg/>")}
    problem = assert_problem(make_offer(issuer, credentialSubject=bad), 422, "schema_invalid")
    assert problem["errors"][0]["type"] == "content.portrait"
    good = {**TYPES[RESIDENT].examples[0], "portrait": JPEG_URL}
    assert make_offer(issuer, credentialSubject=good).status_code == 201
