"""DCQL (OpenID4VP 1.0 §6, §7): the parser's rules, valid and invalid queries side by side,
claims path pointers, the wallet's selection and the verifier's check, and the presets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.portrait_images import JPEG_URL
from vcore.credentials import build_credential, new_credential_id
from vcore.dcql import (
    Preset,
    check_presented,
    match_credential,
    parse_dcql_query,
    preset_query,
    requested_claims,
    select_claims,
    select_credentials,
)
from vcore.dids import did_key_for
from vcore.errors import DcqlQueryError, DcqlUnsatisfiedError
from vcore.formats import (
    DisclosureMode,
    DisclosurePolicy,
    SecuredCredential,
    SelectiveDisclosureFormat,
    lookup,
    parse_credential_unverified,
    sign_credential,
)
from vcore.keys import PrivateKey, generate_key
from vcore.sdjwt import present_sd_jwt
from vcore.signing import SoftwareSigner

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ISSUER = "did:web:issuer.example"
BASE = "https://issuer.example"
VCT = f"{BASE}/types/ResidentIdentityCredential"
LICENCE_VCT = f"{BASE}/types/DrivingLicenceCredential"
SUBJECT = {
    "givenName": "Mei",
    "familyName": "Lin",
    "birthDate": "1990-01-02",
    "age_over_18": True,
    "residentNumber": "11010519900314123X",
    "address": {"streetAddress": "1 Main St", "locality": "Chaoyang", "country": "CN"},
    "nationalities": ["CHN", "SGP"],
}


def _query(**credential: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]}}
    base.update(credential)
    return {"credentials": [base]}


VALID = [
    _query(),
    _query(claims=[{"path": ["givenName"]}, {"path": ["address", "locality"]}]),
    _query(claims=[{"path": ["nationalities", None]}, {"path": ["nationalities", 0]}]),
    _query(claims=[{"path": ["age_over_18"], "values": [True]}]),
    _query(
        claims=[{"id": "a", "path": ["givenName"]}, {"id": "b", "path": ["birthDate"]}],
        claim_sets=[["a", "b"], ["a"]],
    ),
    {
        "credentials": [
            {"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]}},
            {"id": "dl", "format": "dc+sd-jwt", "meta": {"vct_values": [LICENCE_VCT]}},
        ],
        "credential_sets": [
            {"options": [["pid"], ["dl"]]},
            {"options": [["dl"]], "required": False},
        ],
    },
    {
        "credentials": [
            {
                "id": "w3c",
                "format": "jwt_vc_json",
                "meta": {"type_values": [["ResidentIdentityCredential"]]},
                "claims": [{"path": ["credentialSubject", "givenName"]}],
            }
        ]
    },
    {"credentials": [{"id": "mdl", "format": "mso_mdoc", "meta": {"doctype_value": "x"}}]},
    # The presets go through the same parser and the npm `dcql` check.
    *(preset_query(preset, [BASE]).to_json() for preset in Preset),
]

INVALID = [
    ({}, "credentials is required"),
    ({"credentials": []}, "non-empty array"),
    ({"credentials": [{}]}, "id is required"),
    (_query(id="has space"), "letters, digits"),
    (_query(id=""), "letters, digits"),
    ({"credentials": [_query()["credentials"][0]] * 2}, "unique"),
    (_query(format=""), "non-empty string"),
    (_query(meta={}), "vct_values"),
    (_query(meta={"vct_values": []}), "vct_values"),
    (_query(meta={"vct_values": [VCT], "doctype_value": "x"}), "unknown member"),
    (_query(claims=[]), "non-empty array"),
    (_query(claims=[{"path": []}]), "non-empty array"),
    (_query(claims=[{"path": ["a", -1]}]), "non-negative"),
    (_query(claims=[{"path": ["a", True]}]), "non-negative"),
    (_query(claims=[{"path": ["a"], "values": [{"x": 1}]}]), "a value is"),
    (_query(claims=[{"path": ["a"], "values": []}]), "non-empty array"),
    (_query(claims=[{"values": [1]}]), "path is required"),
    (_query(claim_sets=[["a"]]), "without claims"),
    (_query(claims=[{"path": ["a"]}], claim_sets=[["a"]]), "needs an id"),
    (_query(claims=[{"id": "a", "path": ["a"]}], claim_sets=[["b"]]), "names no claim"),
    (_query(claims=[{"id": "a", "path": ["a"]}, {"id": "a", "path": ["b"]}]), "unique"),
    (_query(multiple="yes"), "boolean"),
    (_query(purpose="x"), "unknown member"),
    ({**_query(), "credential_sets": [{"options": [["nope"]]}]}, "names no credential query"),
    ({**_query(), "credential_sets": [{"options": []}]}, "non-empty array"),
    ({**_query(), "credential_sets": [{"options": [["pid"]], "required": 1}]}, "boolean"),
    ({**_query(), "extra": 1}, "unknown member"),
    (
        {"credentials": [{"id": "w", "format": "jwt_vc_json", "meta": {"type_values": ["X"]}}]},
        "type_values",
    ),
    ("not an object", "must be an object"),
]


@pytest.mark.parametrize("query", VALID)
def test_valid_queries_parse_and_round_trip(query: dict[str, Any]) -> None:
    parsed = parse_dcql_query(query)
    assert parse_dcql_query(parsed.to_json()) == parsed


@pytest.mark.parametrize(("query", "message"), INVALID)
def test_invalid_queries_are_refused_with_the_place(query: object, message: str) -> None:
    with pytest.raises(DcqlQueryError, match=message) as caught:
        parse_dcql_query(query)
    assert caught.value.code == "dcql_invalid"


def test_path_pointer_selects_members_indexes_and_all_items() -> None:
    root = {"a": {"b": [1, 2, {"c": 3}]}, "n": None}
    assert select_claims(root, ["a", "b", 0]) == [1]
    assert select_claims(root, ["a", "b", None]) == [1, 2, {"c": 3}]
    assert select_claims(root, ["a", "b", None, "c"]) == [3]
    assert select_claims(root, ["a", "b", 7]) == []
    assert select_claims(root, ["a", "x"]) == []
    assert select_claims(root, ["a", 0]) == []  # an index on an object selects nothing
    assert select_claims(root, ["n"]) == [None]


@pytest.fixture(scope="module")
def issuer_key() -> PrivateKey:
    return generate_key("ES256")


@pytest.fixture(scope="module")
def holder_key() -> PrivateKey:
    return generate_key("ES256")


def _sd_jwt(issuer_key: PrivateKey, holder_key: PrivateKey, vct: str = VCT, **claims: Any) -> str:
    document = build_credential(
        issuer=ISSUER,
        credential_type=vct.rsplit("/", 1)[1],
        subject={**SUBJECT, **claims},
        holder=did_key_for(holder_key.public_key()),
        credential_id=new_credential_id(),
        valid_from=NOW - timedelta(hours=1),
        valid_until=NOW + timedelta(days=30),
    )
    securing = lookup("dc+sd-jwt")
    assert isinstance(securing, SelectiveDisclosureFormat)
    policy = DisclosurePolicy({}, default=DisclosureMode.SELECTIVE)
    return securing.sign_selective(
        document, SoftwareSigner(issuer_key, f"{ISSUER}#k1"), policy=policy, vct=vct
    )


def _presented(token: str, names: list[str], holder_key: PrivateKey) -> SecuredCredential:
    shown = present_sd_jwt(
        token,
        names,
        signer=SoftwareSigner(holder_key, "did:example:h#0"),
        nonce="n",
        audience="x",
        now=NOW,
    )
    return parse_credential_unverified(shown.rsplit("~", 1)[0] + "~")


def test_wallet_selects_the_credential_and_the_first_claim_set_it_meets(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    held = parse_credential_unverified(_sd_jwt(issuer_key, holder_key))
    licence = parse_credential_unverified(_sd_jwt(issuer_key, holder_key, LICENCE_VCT))
    query = parse_dcql_query(
        _query(
            claims=[
                {"id": "photo", "path": ["portrait"]},
                {"id": "name", "path": ["givenName"]},
                {"id": "city", "path": ["address", "locality"]},
            ],
            claim_sets=[["photo", "name"], ["name", "city"]],
        )
    )
    chosen = select_credentials(query, [("dl", licence), ("pid", held)])
    assert chosen["pid"].key == "pid"
    assert [c.label for c in chosen["pid"].claims] == ["givenName", "address.locality"]
    assert requested_claims(query.credentials[0], held, chosen["pid"].claims) == {
        "givenName": "Mei",
        "address.locality": "Chaoyang",
    }


def test_wallet_cannot_answer_a_query_for_another_type_or_a_missing_claim(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    held = parse_credential_unverified(_sd_jwt(issuer_key, holder_key))
    other = parse_dcql_query(_query(meta={"vct_values": [LICENCE_VCT]}))
    with pytest.raises(DcqlUnsatisfiedError, match="no credential answers"):
        select_credentials(other, [("pid", held)])
    lacking = parse_dcql_query(_query(claims=[{"path": ["portrait"]}]))
    with pytest.raises(DcqlUnsatisfiedError):
        select_credentials(lacking, [("pid", held)])
    wrong_value = parse_dcql_query(_query(claims=[{"path": ["age_over_18"], "values": [1]}]))
    assert match_credential(wrong_value.credentials[0], held) is None  # true is not 1


def test_optional_credential_set_is_answered_only_when_it_can_be(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    held = parse_credential_unverified(_sd_jwt(issuer_key, holder_key))
    query = parse_dcql_query(VALID[5])
    assert list(select_credentials(query, [("pid", held)])) == ["pid"]
    required_dl = parse_dcql_query({**VALID[5], "credential_sets": [{"options": [["dl"]]}]})
    with pytest.raises(DcqlUnsatisfiedError, match="credential set 0 is required"):
        select_credentials(required_dl, [("pid", held)])


def test_verifier_accepts_exactly_the_requested_disclosures(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    token = _sd_jwt(issuer_key, holder_key)
    query = parse_dcql_query(preset_query(Preset.AGE_OVER_18, [BASE]).to_json())
    shown = _presented(token, ["age_over_18"], holder_key)
    met = check_presented(query, {"age": [shown]})
    assert requested_claims(query.credentials[0], shown, met["age"][0]) == {"age_over_18": True}
    # More disclosed than asked: still only the requested claim is reported.
    more = _presented(token, ["age_over_18", "birthDate"], holder_key)
    met = check_presented(query, {"age": [more]})
    assert requested_claims(query.credentials[0], more, met["age"][0]) == {"age_over_18": True}


@pytest.mark.parametrize(
    ("presented", "message"),
    [
        ({"age": []}, "no presentation"),
        ({"other": ["x"]}, "was not asked"),
        ({}, "no credential answers"),
    ],
)
def test_verifier_refuses_a_response_of_the_wrong_shape(
    presented: dict[str, list[Any]], message: str
) -> None:
    query = preset_query(Preset.AGE_OVER_18, [BASE])
    with pytest.raises(DcqlUnsatisfiedError, match=message):
        check_presented(query, presented)


def test_verifier_refuses_a_missing_claim_and_an_unasked_second_credential(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    token = _sd_jwt(issuer_key, holder_key)
    query = preset_query(Preset.AGE_OVER_18, [BASE])
    without = _presented(token, ["birthDate"], holder_key)
    with pytest.raises(DcqlUnsatisfiedError, match="lacks what was asked: age_over_18"):
        check_presented(query, {"age": [without]})
    shown = _presented(token, ["age_over_18"], holder_key)
    with pytest.raises(DcqlUnsatisfiedError, match="only one credential"):
        check_presented(query, {"age": [shown, shown]})


def test_jwt_vc_json_matches_on_type_values_and_vc_paths(issuer_key: PrivateKey) -> None:
    document = build_credential(
        issuer=ISSUER,
        credential_type="ResidentIdentityCredential",
        subject={"givenName": "Mei"},
        holder="did:example:h",
        credential_id=new_credential_id(),
        valid_from=NOW,
        valid_until=NOW + timedelta(days=1),
    )
    token = sign_credential(document, SoftwareSigner(issuer_key, f"{ISSUER}#k1"), fmt="jwt_vc_json")
    credential = parse_credential_unverified(token)
    query = parse_dcql_query(VALID[6])
    assert match_credential(query.credentials[0], credential) is not None
    other = parse_dcql_query(
        {
            "credentials": [
                {"id": "w", "format": "jwt_vc_json", "meta": {"type_values": [["Degree"]]}}
            ]
        }
    )
    assert match_credential(other.credentials[0], credential) is None


def test_presets_parse_and_ask_only_what_they_need() -> None:
    for preset in Preset:
        query = preset_query(preset, [BASE, "https://other.example/"])
        assert parse_dcql_query(query.to_json()) == query
    age = preset_query(Preset.AGE_OVER_18, [BASE])
    assert [c.label for c in age.credentials[0].claims or ()] == ["age_over_18"]
    with pytest.raises(ValueError, match="issuer URL"):
        preset_query(Preset.IDENTITY, [])


def test_identity_preset_asks_for_the_portrait_but_answers_without_one(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    query = preset_query(Preset.IDENTITY, [BASE])
    identity = query.credentials[0]
    names = ["givenName", "familyName", "birthDate", "residentNumber"]
    assert [[c.label for c in o] for o in identity.claim_options()] == [
        [*names, "portrait"],
        names,
    ]
    with_photo = _sd_jwt(issuer_key, holder_key, portrait=JPEG_URL)
    chosen = select_credentials(query, [("pid", parse_credential_unverified(with_photo))])
    assert [c.label for c in chosen["identity"].claims] == [*names, "portrait"]
    shown = _presented(with_photo, [*names, "portrait"], holder_key)
    met = check_presented(query, {"identity": [shown]})
    assert requested_claims(identity, shown, met["identity"][0])["portrait"] == JPEG_URL
    # A photo withheld, or never issued: the second claim set, and no portrait reported.
    for token in (with_photo, _sd_jwt(issuer_key, holder_key)):
        held = parse_credential_unverified(token)
        shown = _presented(token, names, holder_key)
        met = check_presented(query, {"identity": [shown]})
        assert "portrait" not in requested_claims(identity, shown, met["identity"][0])
        if token != with_photo:
            chosen = select_credentials(query, [("pid", held)])
            assert [c.label for c in chosen["identity"].claims] == names
    # The portrait never replaces a required claim.
    partial = _presented(with_photo, ["givenName", "portrait"], holder_key)
    with pytest.raises(DcqlUnsatisfiedError, match="lacks what was asked"):
        check_presented(query, {"identity": [partial]})


def test_only_the_identity_preset_asks_for_the_portrait() -> None:
    for preset in (Preset.AGE_OVER_18, Preset.DRIVING_LICENCE):
        claims = preset_query(preset, [BASE]).credentials[0].claims or ()
        assert "portrait" not in [c.label for c in claims]


# Where TrustID refuses what npm `dcql` 3.0.0 accepts, and why: OpenID4VP 1.0 B.3.5 makes
# `vct_values` REQUIRED and non-empty; §6.3 makes `values` a non-empty array and claim ids
# unique within a credential query; unknown members are refused here on purpose (a member
# not understood could be a constraint silently dropped).
_VALUES_EMPTY = _query(claims=[{"path": ["a"], "values": []}])
_DUPLICATE_CLAIM_IDS = _query(claims=[{"id": "a", "path": ["a"]}, {"id": "a", "path": ["b"]}])
STRICTER_THAN_NPM_DCQL = [
    *(q for q, message in INVALID if message in ("vct_values", "unknown member")),
    _VALUES_EMPTY,
    _DUPLICATE_CLAIM_IDS,
]


def test_agrees_with_npm_dcql_on_every_query_but_the_stricter_ones() -> None:
    import json
    import shutil
    import subprocess

    from tests.independent_jose import NODE_DIR

    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "dcql").is_dir():
        pytest.skip("node or tests/node/node_modules/dcql is absent: run `npm ci` in tests/node")
    invalid = [q for q, _message in INVALID]
    result = subprocess.run(
        ["node", str(NODE_DIR / "dcql_check.mjs")],
        input=json.dumps(VALID + invalid),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=NODE_DIR,
    )
    assert result.returncode == 0, result.stderr
    verdicts = [v["ok"] for v in json.loads(result.stdout)]
    assert verdicts[: len(VALID)] == [True] * len(VALID)
    accepted_by_npm = [q for q, ok in zip(invalid, verdicts[len(VALID) :], strict=True) if ok]

    def key(query: object) -> str:
        return json.dumps(query, sort_keys=True)

    assert sorted(map(key, accepted_by_npm)) == sorted(map(key, STRICTER_THAN_NPM_DCQL))
