"""A verification report of an SD-JWT VC carries the type's name and claim labels per
locale (``credential.display``), from the Type Metadata the verifier fetched and checked
against ``vct#integrity``: what the counter page shows in its reader's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.verifier.test_sd_jwt_api import World, make_world


@pytest.fixture
def world(tmp_path: Path, fixed_now: datetime) -> Iterator[World]:
    with make_world(tmp_path, fixed_now) as made:
        yield made


def test_report_names_the_disclosed_claims_in_both_locales(world: World) -> None:
    response = world.verify_presentation(["age_over_18", "familyName"])
    assert response.status_code == 200, response.text
    credential = response.json()["credentials"][0]["credential"]
    display = credential["display"]
    assert display["name"] == {"en": "Resident Identity", "zh-Hans": "居民身份证明"}
    assert display["claims"]["age_over_18"] == {"en": "Over 18", "zh-Hans": "年满18周岁"}
    assert display["claims"]["familyName"] == {"en": "Family name", "zh-Hans": "姓"}
    assert display["claims"]["address.locality"]["zh-Hans"] == "区"


def test_labels_of_a_tampered_type_metadata_are_not_reported(
    tmp_path: Path, fixed_now: datetime
) -> None:
    # Another document than the one the issuer signed the digest of: the schema check
    # fails, the credential is not verified and its labels are not passed on.
    def forged(body: bytes) -> bytes:
        return body.replace("年满18周岁".encode(), "已认证".encode())

    with make_world(tmp_path, fixed_now, type_metadata=forged) as world:
        response = world.verify_presentation(["age_over_18"])
        report = response.json()
        assert report["verified"] is False
        assert "已认证" not in response.text
