"""Type Metadata and OpenID4VCI metadata name every type and claim in en and zh-Hans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from issuer.credential_types import load_types
from issuer.service.type_metadata import localised_displays, type_metadata
from tests.issuer.support import Harness
from vcore.i18n import Locale, claim_label, type_display_name

TYPES_DIR = Path(__file__).resolve().parents[2] / "issuer" / "types"
SHIPPED = sorted(p.stem for p in TYPES_DIR.glob("*.json"))
LOCALES = {"en", "zh-Hans"}


def _has_han(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


@pytest.mark.parametrize("name", SHIPPED)
def test_served_type_metadata_is_bilingual(issuer: Harness, name: str) -> None:
    response = issuer.client.get(f"/types/{name}")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    display = {d["locale"]: d for d in document["display"]}
    assert set(display) == LOCALES
    assert _has_han(display["zh-Hans"]["name"])
    assert not _has_han(display["en"]["name"])
    assert document["claims"]
    for claim in document["claims"]:
        labels = {d["locale"]: d["label"] for d in claim["display"]}
        assert set(labels) == LOCALES, claim["path"]
        assert _has_han(labels["zh-Hans"]), claim["path"]
        # Only the English entry carries the schema's (English) description.
        zh = next(d for d in claim["display"] if d["locale"] == "zh-Hans")
        assert "description" not in zh


def test_labels_read_back_through_vcore(issuer: Harness) -> None:
    document = issuer.client.get("/types/ResidentIdentityCredential").json()
    assert type_display_name(document, Locale.ZH_HANS) == "居民身份证明"
    assert type_display_name(document, Locale.EN) == "Resident Identity"
    assert claim_label(document, ["familyName"], Locale.ZH_HANS) == "姓"
    assert claim_label(document, ["address", "locality"], Locale.ZH_HANS) == "区"
    assert claim_label(document, ["age_over_18"], Locale.ZH_HANS) == "年满18周岁"
    assert claim_label(document, ["age_over_18"], Locale.EN) == "Over 18"


def test_openid4vci_and_type_metadata_agree(issuer: Harness) -> None:
    metadata = issuer.client.get("/.well-known/openid-credential-issuer").json()
    for config in metadata["credential_configurations_supported"].values():
        if "vct" not in config:
            continue
        document = issuer.client.get(config["vct"].split("8100", 1)[1]).json()
        vci = {d["locale"]: d["name"] for d in config["credential_metadata"]["display"]}
        tm = {d["locale"]: d["name"] for d in document["display"]}
        assert vci == tm
        for claim in config["credential_metadata"]["claims"]:
            vci_labels = {d["locale"]: d["name"] for d in claim.get("display", [])}
            for locale, label in vci_labels.items():
                assert claim_label(document, claim["path"], Locale(locale)) == label


def test_a_type_without_display_gets_derived_english(tmp_path: Path) -> None:
    schema = json.loads((TYPES_DIR / "ResidentIdentityCredential.json").read_text("utf-8"))
    del schema["x-trustid-display"]
    schema["title"] = "LibraryCardCredential"
    (tmp_path / "LibraryCardCredential.json").write_text(json.dumps(schema), "utf-8")
    ctype = load_types(tmp_path)["LibraryCardCredential"]
    assert [(d.locale, d.name) for d in localised_displays(ctype)] == [("en", "Library card")]
    document = type_metadata(ctype, "https://issuer.example/types/LibraryCardCredential")
    assert document["display"][0]["locale"] == "en"
    given = next(c for c in document["claims"] if c["path"] == ["givenName"])
    assert given["display"] == [
        {"locale": "en", "label": "Given name", "description": "Given name(s) as registered."}
    ]


def test_a_partial_translation_falls_back_per_claim(tmp_path: Path) -> None:
    schema = json.loads((TYPES_DIR / "ResidentIdentityCredential.json").read_text("utf-8"))
    schema["title"] = "PartialCredential"
    schema["x-trustid-display"]["zh-Hans"]["claims"] = {"familyName": "姓"}
    (tmp_path / "PartialCredential.json").write_text(json.dumps(schema), "utf-8")
    document = type_metadata(load_types(tmp_path)["PartialCredential"], "https://i.example/t")
    assert claim_label(document, ["familyName"], Locale.ZH_HANS) == "姓"
    # No Chinese label: the English one is shown rather than nothing.
    assert claim_label(document, ["givenName"], Locale.ZH_HANS) == "Given name"


@pytest.mark.parametrize("name", SHIPPED)
def test_an_independent_reader_sees_both_locales(issuer: Harness, name: str) -> None:
    """@sd-jwt/sd-jwt-vc's own Type Metadata schema accepts the document and reads each
    display entry's locale (member `locale`, the current draft's name)."""
    from tests.sd_jwt_node import require_sd_jwt_node, sd_jwt_node

    require_sd_jwt_node()
    document = issuer.client.get(f"/types/{name}").json()
    answer = sd_jwt_node({"op": "typeMetadata", "document": document})
    assert answer["valid"] is True, answer
    assert set(answer["display"]) == LOCALES
    for claim in answer["claims"]:
        assert set(claim["labels"]) == LOCALES, claim
    # The same reader refuses a claim display entry with no locale at all.
    broken = json.loads(json.dumps(document))
    del broken["claims"][0]["display"][0]["locale"]
    refused = sd_jwt_node({"op": "typeMetadata", "document": broken})
    assert refused["valid"] is False
