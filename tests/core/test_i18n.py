"""vcore.i18n: locale negotiation, display entry choice, name order."""

from __future__ import annotations

import pytest

from vcore.i18n import (
    Locale,
    claim_label,
    display_labels,
    format_person_name,
    locale_from_environment,
    locale_from_tag,
    negotiate,
    pick_display,
    type_display_name,
)

ZH = Locale.ZH_HANS
EN = Locale.EN


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh", ZH),
        ("zh_CN.UTF-8", ZH),
        ("zh-Hans", ZH),
        ("zh-CN", ZH),
        ("ZH-cn", ZH),
        ("zh-Hans-TW", ZH),
        ("zh_SG.GB18030@pinyin", ZH),
        ("en", EN),
        ("en_GB.UTF-8", EN),
        ("en-US", EN),
        ("zh-TW", None),
        ("zh-Hant", None),
        ("zh_HK.UTF-8", None),
        ("fr-FR", None),
        ("", None),
        ("-", None),
        ("C", None),
    ],
)
def test_locale_from_tag(tag: str, expected: Locale | None) -> None:
    assert locale_from_tag(tag) is expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", ZH),
        ("en-US,en;q=0.9,zh-CN;q=0.8", EN),
        ("fr-FR,zh;q=0.5", ZH),
        ("zh-TW,en;q=0.5", EN),
        ("zh-TW", EN),
        ("en;q=0.1, zh-Hans;q=0.9", ZH),
        ("zh;q=0, en", EN),
        ("de, *;q=0.5, zh;q=0.1", EN),
        ("zh;q=abc", ZH),
        ("", EN),
        (None, EN),
        (";;;,,,", EN),
        ("x" * 5000, EN),
    ],
)
def test_negotiate(header: str | None, expected: Locale) -> None:
    assert negotiate(header) is expected


def test_negotiate_default_is_the_callers() -> None:
    assert negotiate("fr", default=ZH) is ZH


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, ZH),
        ({"LANG": "en_US.UTF-8"}, EN),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, ZH),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, ZH),
        ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, EN),
        ({"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, ZH),
        ({"LANGUAGE": "fr:zh", "LANG": "en_US.UTF-8"}, ZH),
        ({"LANGUAGE": "zh_CN", "LANG": "C"}, EN),
        ({"LANGUAGE": "zh_CN"}, EN),
        ({"LANG": "C.UTF-8"}, EN),
        ({"LANG": "POSIX"}, EN),
        ({"LANG": "fr_FR.UTF-8"}, EN),
        ({"LANG": "zh_TW.UTF-8"}, EN),
        ({}, EN),
    ],
)
def test_locale_from_environment(env: dict[str, str], expected: Locale) -> None:
    assert locale_from_environment(env) is expected


DISPLAY = [
    {"lang": "en", "name": "Resident Identity"},
    {"lang": "zh-Hans", "name": "居民身份证明"},
]


def test_pick_display_by_locale_and_both_member_names() -> None:
    assert pick_display(DISPLAY, ZH) == DISPLAY[1]
    assert pick_display(DISPLAY, EN) == DISPLAY[0]
    vci = [{"locale": "en-US", "name": "Licence"}, {"locale": "zh-CN", "name": "驾驶证"}]
    assert pick_display(vci, ZH) == vci[1]
    assert pick_display(vci, EN) == vci[0]


def test_pick_display_fallbacks() -> None:
    only_zh = [{"lang": "zh-Hans", "name": "驾驶证"}]
    assert pick_display(only_zh, EN) == only_zh[0]
    traditional = [{"lang": "zh-TW", "name": "駕駛執照"}, {"lang": "en", "name": "Licence"}]
    assert pick_display(traditional, ZH) == traditional[1]
    untagged = [{"lang": "fr", "name": "Permis"}, {"name": "Licence"}]
    assert pick_display(untagged, ZH) == untagged[1]
    assert pick_display([{"lang": "fr", "name": "Permis"}], ZH) == {"lang": "fr", "name": "Permis"}


@pytest.mark.parametrize(
    "entries",
    [None, "x", {}, [], [1, "a", None], [{"lang": "en"}], [{"lang": "en", "name": 3}]],
)
def test_pick_display_hostile(entries: object) -> None:
    assert pick_display(entries, ZH) is None


METADATA = {
    "vct": "https://issuer.example/types/ResidentIdentityCredential",
    "display": DISPLAY,
    "claims": [
        {
            "path": ["familyName"],
            "display": [{"lang": "en", "label": "Family name"}, {"lang": "zh-Hans", "label": "姓"}],
        },
        {"path": ["address", "locality"], "display": [{"locale": "zh-Hans", "name": "区"}]},
        {"path": ["sex"], "display": "nope"},
        "junk",
    ],
}


def test_type_metadata_labels() -> None:
    assert type_display_name(METADATA, ZH) == "居民身份证明"
    assert type_display_name(METADATA, EN) == "Resident Identity"
    assert claim_label(METADATA, ["familyName"], ZH) == "姓"
    assert claim_label(METADATA, ["familyName"], EN) == "Family name"
    assert claim_label(METADATA, ["address", "locality"], EN) == "区"
    assert claim_label(METADATA, ["address"], ZH) is None
    assert claim_label(METADATA, ["sex"], ZH) is None
    assert claim_label(None, ["sex"], ZH) is None
    assert type_display_name({"display": [{"lang": "en", "name": "  "}]}, EN) is None
    assert type_display_name([], EN) is None


@pytest.mark.parametrize(
    ("given", "family", "locale", "expected"),
    [
        ("伟", "张", ZH, "张伟"),
        ("伟", "张", EN, "张伟"),
        ("小明", "欧阳", ZH, "欧阳小明"),
        ("Wei", "Zhang", ZH, "Zhang Wei"),
        ("Wei", "Zhang", EN, "Wei Zhang"),
        ("Anna", "Müller", EN, "Anna Müller"),
        ("Wei", None, ZH, "Wei"),
        (None, "张", ZH, "张"),
        ("  ", "", EN, None),
        (None, None, ZH, None),
        (" 伟 ", " 张 ", ZH, "张伟"),
    ],
)
def test_format_person_name(
    given: str | None, family: str | None, locale: Locale, expected: str | None
) -> None:
    assert format_person_name(given, family, locale) == expected


def test_display_labels_per_locale() -> None:
    labels = display_labels(METADATA)
    assert labels == {
        "name": {"en": "Resident Identity", "zh-Hans": "居民身份证明"},
        "claims": {
            "familyName": {"en": "Family name", "zh-Hans": "姓"},
            "address.locality": {"zh-Hans": "区"},
        },
    }


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        [],
        {"claims": "x", "display": 3},
        {"claims": [{"path": [1, 2], "display": [{"lang": "en", "label": "x"}]}]},
        {"claims": [{"path": [], "display": [{"lang": "en", "label": "x"}]}]},
        {"claims": [{"path": ["a"], "display": [{"lang": "fr", "label": "x"}]}]},
    ],
)
def test_display_labels_hostile(metadata: object) -> None:
    assert display_labels(metadata) == {"name": {}, "claims": {}}


def test_display_labels_are_bounded() -> None:
    metadata = {
        "display": [{"lang": "en", "name": "n" * 5000}],
        "claims": [
            {"path": [f"c{i}"], "display": [{"lang": "en", "label": "x"}]} for i in range(1000)
        ],
    }
    labels = display_labels(metadata)
    assert len(labels["name"]["en"]) == 200
    assert len(labels["claims"]) == 256
