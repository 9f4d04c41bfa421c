"""OpenID4VCI pre-authorized flow on the issuer: metadata, offers, token, nonce, credential."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.issuer.support import EXAMPLES, LICENCE, RESIDENT, Harness
from vcore.dids import did_jwk_for, did_key_for, holder_kid
from vcore.formats import parse_credential_unverified
from vcore.jose import decode_unverified
from vcore.keys import PrivateKey, generate_key
from vcore.oid4vci import PRE_AUTHORIZED_GRANT, create_dpop_proof, create_key_proof

ISSUER = "http://issuer.test:8100"
SD_JWT = f"{RESIDENT}_sd_jwt"
VC_JWT = f"{RESIDENT}_jwt_vc_json"


def make_offer(issuer: Harness, **body: Any) -> httpx.Response:
    agency = issuer.agencies["Resident Registry"]
    payload = {"type": RESIDENT, "credentialSubject": EXAMPLES[RESIDENT], **body}
    return issuer.client.post("/credential-offers", json=payload, headers=agency.headers)


def offer_code(issuer: Harness, offer: dict[str, Any]) -> str:
    uri = parse_qs(urlsplit(offer["offer"]).query)["credential_offer_uri"][0]
    assert uri == offer["credentialOfferUri"]
    document = issuer.client.get(urlsplit(uri).path).json()
    code: str = document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    return code


def get_token(
    issuer: Harness,
    code: str,
    tx_code: str | None,
    dpop_key: PrivateKey,
    *,
    url: str = f"{ISSUER}/token",
    proof: str | None = None,
) -> httpx.Response:
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    dpop = proof or create_dpop_proof(
        dpop_key, method="POST", url=url, now=issuer.services.ctx.clock()
    )
    return issuer.client.post("/token", data=form, headers={"DPoP": dpop})


def nonce(issuer: Harness) -> str:
    response = issuer.client.post("/nonce")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    value: str = response.json()["c_nonce"]
    return value


def request_credential(
    issuer: Harness,
    token: str,
    dpop_key: PrivateKey,
    body: dict[str, Any],
    *,
    proof: str | None = None,
) -> httpx.Response:
    dpop = proof or create_dpop_proof(
        dpop_key,
        method="POST",
        url=f"{ISSUER}/credential",
        now=issuer.services.ctx.clock(),
        access_token=token,
    )
    return issuer.client.post(
        "/credential", json=body, headers={"Authorization": f"DPoP {token}", "DPoP": dpop}
    )


def key_proof(issuer: Harness, key: PrivateKey, **overrides: Any) -> str:
    args: dict[str, Any] = {
        "audience": ISSUER,
        "nonce": nonce(issuer),
        "now": issuer.services.ctx.clock(),
    }
    args.update(overrides)
    return create_key_proof(key, **args)


def redeemed_token(issuer: Harness, dpop_key: PrivateKey, **offer: Any) -> str:
    made = make_offer(issuer, **offer).json()
    response = get_token(issuer, offer_code(issuer, made), made["txCode"], dpop_key)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def error_of(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    assert "error_description" in response.json()
    code: str = response.json()["error"]
    return code


# -- metadata -----------------------------------------------------------------------------


def test_issuer_metadata_has_one_configuration_per_type_and_format(issuer: Harness) -> None:
    metadata = issuer.client.get("/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == ISSUER
    assert metadata["credential_endpoint"] == f"{ISSUER}/credential"
    assert metadata["nonce_endpoint"] == f"{ISSUER}/nonce"
    assert metadata["batch_credential_issuance"] == {"batch_size": 5}
    assert {d["locale"] for d in metadata["display"]} == {"en", "zh-Hans"}
    configs = metadata["credential_configurations_supported"]
    sd = configs[SD_JWT]
    assert sd["format"] == "dc+sd-jwt"
    assert sd["vct"] == f"{ISSUER}/types/{RESIDENT}"
    assert sd["cryptographic_binding_methods_supported"] == ["jwk"]
    assert sd["proof_types_supported"] == {
        "jwt": {"proof_signing_alg_values_supported": ["ES256", "EdDSA"]}
    }
    names = {d["locale"]: d["name"] for d in sd["credential_metadata"]["display"]}
    assert names == {"en": "Resident Identity", "zh-Hans": "居民身份证明"}
    locality = next(
        c for c in sd["credential_metadata"]["claims"] if c["path"] == ["address", "locality"]
    )
    assert {"name": "区", "locale": "zh-Hans"} in locality["display"]
    vc = configs[VC_JWT]
    assert vc["format"] == "jwt_vc_json"
    assert vc["credential_definition"] == {"type": ["VerifiableCredential", RESIDENT]}
    assert "did:key" in vc["cryptographic_binding_methods_supported"]
    assert f"{LICENCE}_sd_jwt" in configs


def test_signed_metadata_is_a_jwt_by_the_issuer_key(issuer: Harness) -> None:
    response = issuer.client.get(
        "/.well-known/openid-credential-issuer", headers={"Accept": "application/jwt"}
    )
    assert response.headers["content-type"].startswith("application/jwt")
    parsed = decode_unverified(response.text, max_size=256 * 1024)
    assert parsed.typ == "openidvci-issuer-metadata+jwt"
    assert parsed.payload["sub"] == ISSUER
    assert parsed.kid is not None
    assert parsed.kid.startswith(issuer.services.ctx.issuer_did)


def test_authorization_server_metadata(issuer: Harness) -> None:
    metadata = issuer.client.get("/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == ISSUER
    assert metadata["token_endpoint"] == f"{ISSUER}/token"
    assert metadata["pre-authorized_grant_anonymous_access_supported"] is True
    assert "ES256" in metadata["dpop_signing_alg_values_supported"]


# -- offers -------------------------------------------------------------------------------


def test_offer_is_made_and_served_with_tx_code(issuer: Harness) -> None:
    response = make_offer(issuer, formats=["dc+sd-jwt", "jwt_vc_json"])
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["offer"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert len(made["txCode"]) == 6
    assert made["txCode"].isdigit()
    document = issuer.client.get(urlsplit(made["credentialOfferUri"]).path).json()
    assert document["credential_issuer"] == ISSUER
    assert document["credential_configuration_ids"] == [SD_JWT, VC_JWT]
    grant = document["grants"][PRE_AUTHORIZED_GRANT]
    assert grant["tx_code"]["length"] == 6
    assert grant["tx_code"]["input_mode"] == "numeric"
    qr = issuer.client.get(
        f"/credential-offers/{made['offerId']}/qr.png",
        headers=issuer.agencies["Resident Registry"].headers,
    )
    assert qr.status_code == 200
    assert qr.content.startswith(b"\x89PNG")


def test_offer_needs_an_accredited_agency_and_valid_claims(issuer: Harness) -> None:
    assert issuer.client.post("/credential-offers", json={"type": RESIDENT}).status_code == 401
    assert make_offer(issuer, type=LICENCE).status_code == 403
    bad = issuer.client.post(
        "/credential-offers",
        json={"type": RESIDENT, "credentialSubject": {"givenName": "Wei"}},
        headers=issuer.agencies["Resident Registry"].headers,
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "schema_invalid"
    assert make_offer(issuer, formats=["ldp_vc"]).status_code == 422


# -- token --------------------------------------------------------------------------------


def test_full_flow_issues_bound_credentials_in_both_formats(issuer: Harness) -> None:
    dpop_key = generate_key("ES256")
    token = redeemed_token(issuer, dpop_key, formats=["dc+sd-jwt", "jwt_vc_json"])
    holders = [generate_key("ES256"), generate_key("EdDSA")]
    sd = request_credential(
        issuer,
        token,
        dpop_key,
        {
            "credential_configuration_id": SD_JWT,
            "proofs": {"jwt": [key_proof(issuer, k) for k in holders]},
        },
    )
    assert sd.status_code == 200, sd.text
    credentials = [c["credential"] for c in sd.json()["credentials"]]
    assert len(credentials) == 2
    indexes = set()
    for key, token_text in zip(holders, credentials, strict=True):
        view = parse_credential_unverified(token_text)
        assert (
            view.confirmation == {"jwk": key.public_key().to_jwk()}
            or view.confirmation["jwk"]["x"] == key.public_key().to_jwk()["x"]
        )
        indexes.add(view.claims["status"]["status_list"]["idx"])
    assert len(indexes) == 2  # each copy its own status index
    holder = generate_key("ES256")
    did = did_key_for(holder.public_key())
    vc = request_credential(
        issuer,
        token,
        dpop_key,
        {
            "credential_configuration_id": VC_JWT,
            "proofs": {"jwt": [key_proof(issuer, holder, kid=holder_kid(did))]},
        },
    )
    assert vc.status_code == 200, vc.text
    view = parse_credential_unverified(vc.json()["credentials"][0]["credential"])
    assert view.holder == did
    # Everything offered is issued: the token is used up and the claims are gone.
    again = request_credential(
        issuer,
        token,
        dpop_key,
        {"credential_configuration_id": VC_JWT, "proofs": {"jwt": [key_proof(issuer, holder)]}},
    )
    assert again.status_code == 401
    assert error_of(again) == "invalid_token"
    from issuer.storage.tables import CredentialOfferRow

    with issuer.services.ctx.sessions() as session:
        rows = session.query(CredentialOfferRow).all()
        assert [r.claims_sealed for r in rows] == [None]


def test_wrong_tx_code_is_counted_then_locks_the_offer(issuer: Harness) -> None:
    made = make_offer(issuer).json()
    code = offer_code(issuer, made)
    key = generate_key("ES256")
    wrong = "000000" if made["txCode"] != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = get_token(issuer, code, wrong, key)
        assert response.status_code == 400
        assert error_of(response) == "invalid_grant"
        assert f"{left} tries left" in response.json()["error_description"]
    assert "locked" in get_token(issuer, code, wrong, key).json()["error_description"]
    locked = get_token(issuer, code, made["txCode"], key)
    assert error_of(locked) == "invalid_grant"
    assert issuer.client.get(urlsplit(made["credentialOfferUri"]).path).status_code == 400


def test_missing_tx_code_and_replayed_code(issuer: Harness) -> None:
    made = make_offer(issuer).json()
    code = offer_code(issuer, made)
    key = generate_key("ES256")
    assert error_of(get_token(issuer, code, None, key)) == "invalid_request"
    assert get_token(issuer, code, made["txCode"], key).status_code == 200
    replay = get_token(issuer, code, made["txCode"], key)
    assert replay.status_code == 400
    assert error_of(replay) == "invalid_grant"


def test_expired_offer_is_refused(issuer: Harness, clock: Any) -> None:
    made = make_offer(issuer).json()
    code = offer_code(issuer, made)
    clock.advance(seconds=901)
    response = get_token(issuer, code, made["txCode"], generate_key("ES256"))
    assert error_of(response) == "invalid_grant"


def test_token_refuses_bad_dpop_proofs(issuer: Harness) -> None:
    made = make_offer(issuer).json()
    code = offer_code(issuer, made)
    key = generate_key("ES256")
    other_url = get_token(issuer, code, made["txCode"], key, url=f"{ISSUER}/credential")
    assert error_of(other_url) == "invalid_dpop_proof"
    no_proof = issuer.client.post(
        "/token", data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    )
    assert error_of(no_proof) == "invalid_dpop_proof"
    proof = create_dpop_proof(
        key, method="POST", url=f"{ISSUER}/token", now=issuer.services.ctx.clock()
    )
    assert get_token(issuer, code, made["txCode"], key, proof=proof).status_code == 200
    made2 = make_offer(issuer).json()
    replayed = get_token(issuer, offer_code(issuer, made2), made2["txCode"], key, proof=proof)
    assert error_of(replayed) == "invalid_dpop_proof"
    assert "replay" in replayed.json()["error_description"]


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({"grant_type": PRE_AUTHORIZED_GRANT}, "invalid_request"),
        ({"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": "nope"}, "invalid_grant"),
    ],
)
def test_token_bad_forms(issuer: Harness, form: dict[str, str], error: str) -> None:
    key = generate_key("ES256")
    dpop = create_dpop_proof(
        key, method="POST", url=f"{ISSUER}/token", now=issuer.services.ctx.clock()
    )
    response = issuer.client.post("/token", data=form, headers={"DPoP": dpop})
    assert response.status_code == 400
    assert error_of(response) == error


def test_token_needs_a_form_body(issuer: Harness) -> None:
    response = issuer.client.post("/token", json={"grant_type": PRE_AUTHORIZED_GRANT})
    assert response.status_code == 400
    assert error_of(response) == "invalid_request"


# -- credential ---------------------------------------------------------------------------


def test_credential_refuses_bad_key_proofs(issuer: Harness) -> None:
    dpop_key = generate_key("ES256")
    token = redeemed_token(issuer, dpop_key)
    holder = generate_key("ES256")

    def ask(proof: str, config: str = SD_JWT) -> httpx.Response:
        return request_credential(
            issuer,
            token,
            dpop_key,
            {"credential_configuration_id": config, "proofs": {"jwt": [proof]}},
        )

    assert error_of(ask(key_proof(issuer, holder, nonce="made-up"))) == "invalid_nonce"
    assert error_of(ask(key_proof(issuer, holder, audience="https://other.example"))) == (
        "invalid_proof"
    )
    old = issuer.services.ctx.clock().replace(year=2020)
    assert error_of(ask(key_proof(issuer, holder, now=old))) == "invalid_proof"
    rsa = generate_key("PS256")
    assert error_of(ask(key_proof(issuer, rsa))) == "invalid_proof"  # key type not allowed
    forged = key_proof(issuer, holder)
    head, payload, _sig = forged.split(".")
    other = key_proof(issuer, generate_key("ES256")).split(".")[2]
    assert error_of(ask(f"{head}.{payload}.{other}")) == "invalid_proof"
    unknown = ask(key_proof(issuer, holder), config="NoSuchCredential_sd_jwt")
    assert error_of(unknown) == "unknown_credential_configuration"
    not_offered = ask(key_proof(issuer, holder), config=VC_JWT)
    assert error_of(not_offered) == "unknown_credential_configuration"
    used_nonce = nonce(issuer)
    assert ask(key_proof(issuer, holder, nonce=used_nonce)).status_code == 200
    # The offer is redeemed now; a replayed request finds the token used up.
    assert error_of(ask(key_proof(issuer, holder, nonce=used_nonce))) == "invalid_token"


def test_credential_refuses_bad_tokens_and_dpop(issuer: Harness) -> None:
    dpop_key = generate_key("ES256")
    token = redeemed_token(issuer, dpop_key)
    holder = generate_key("ES256")
    body = {"credential_configuration_id": SD_JWT, "proofs": {"jwt": [key_proof(issuer, holder)]}}
    bearer = issuer.client.post(
        "/credential", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert bearer.status_code == 401
    assert error_of(bearer) == "invalid_token"
    assert bearer.headers["www-authenticate"].startswith("DPoP")
    thief = generate_key("ES256")  # a stolen token with the thief's own DPoP key
    stolen = request_credential(issuer, token, thief, body)
    assert stolen.status_code == 401
    assert error_of(stolen) == "invalid_token"
    wrong_url = create_dpop_proof(
        dpop_key,
        method="POST",
        url=f"{ISSUER}/token",
        now=issuer.services.ctx.clock(),
        access_token=token,
    )
    other = request_credential(issuer, token, dpop_key, body, proof=wrong_url)
    assert other.status_code == 401
    assert error_of(other) == "invalid_dpop_proof"
    no_ath = create_dpop_proof(
        dpop_key, method="POST", url=f"{ISSUER}/credential", now=issuer.services.ctx.clock()
    )
    assert error_of(request_credential(issuer, token, dpop_key, body, proof=no_ath)) == (
        "invalid_dpop_proof"
    )
    bad_body = request_credential(issuer, token, dpop_key, {"proofs": {"jwt": []}})
    assert error_of(bad_body) == "invalid_credential_request"
    too_many = request_credential(
        issuer,
        token,
        dpop_key,
        {
            "credential_configuration_id": SD_JWT,
            "proofs": {"jwt": [key_proof(issuer, generate_key("ES256")) for _ in range(6)]},
        },
    )
    assert error_of(too_many) == "invalid_proof"
    good = request_credential(issuer, token, dpop_key, body)
    assert good.status_code == 200, good.text
    assert did_jwk_for(holder.public_key())


# -- hostile input: the spec's error JSON, never a 500 ---------------------------------------


@pytest.mark.parametrize(
    "dpop",
    [
        "",
        "x",
        "a.b.c",
        "e30.e30.e30",
        "eyJhbGciOiJub25lIn0.e30.",
        "." * 5000,
        "\u00e9.\u00e9.\u00e9",
    ],
)
def test_garbage_dpop_headers_are_invalid_dpop_proof(issuer: Harness, dpop: str) -> None:
    made = make_offer(issuer).json()
    form = {
        "grant_type": PRE_AUTHORIZED_GRANT,
        "pre-authorized_code": offer_code(issuer, made),
        "tx_code": made["txCode"],
    }
    headers = {"DPoP": dpop.encode("utf-8")} if dpop else {}
    response = issuer.client.post("/token", data=form, headers=headers)
    assert response.status_code == 400
    assert error_of(response) == "invalid_dpop_proof"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"credential_configuration_id": 5}',
        b'{"credential_configuration_id": "ResidentIdentityCredential_sd_jwt", "proofs": {"jwt": [5]}}',
        b'{"credential_configuration_id": "ResidentIdentityCredential_sd_jwt", "proofs": {"ldp_vp": []}}',
        b'{"credential_configuration_id": "ResidentIdentityCredential_sd_jwt", "proof": {}}',
        b'{"credential_identifier": "x"}',
        b'{"a": ' * 40 + b"1" + b"}" * 40,
    ],
)
def test_malformed_credential_requests_are_4xx(issuer: Harness, body: bytes) -> None:
    dpop_key = generate_key("ES256")
    token = redeemed_token(issuer, dpop_key)
    dpop = create_dpop_proof(
        dpop_key,
        method="POST",
        url=f"{ISSUER}/credential",
        now=issuer.services.ctx.clock(),
        access_token=token,
    )
    response = issuer.client.post(
        "/credential",
        content=body,
        headers={
            "Authorization": f"DPoP {token}",
            "DPoP": dpop,
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400, response.text
    assert error_of(response) in {"invalid_credential_request", "invalid_proof"}


def test_unknown_offer_documents_and_qr(issuer: Harness) -> None:
    assert error_of(issuer.client.get("/credential-offer/nope")) == "invalid_grant"
    headers = issuer.agencies["Resident Registry"].headers
    assert issuer.client.get("/credential-offers/nope/qr.png", headers=headers).status_code == 404
    other = issuer.agency("Licence Office", [LICENCE])
    made = make_offer(issuer).json()
    # Another agency cannot show (or learn) this offer's QR code.
    qr = issuer.client.get(f"/credential-offers/{made['offerId']}/qr.png", headers=other.headers)
    assert qr.status_code == 404


def test_expired_offers_lose_their_claims(issuer: Harness, clock: Any) -> None:
    from issuer.storage.tables import CredentialOfferRow

    make_offer(issuer)
    clock.advance(seconds=901)
    make_offer(issuer)  # any new offer sweeps the expired ones
    with issuer.services.ctx.sessions() as session:
        rows = sorted(session.query(CredentialOfferRow).all(), key=lambda r: r.created_at)
        assert [r.claims_sealed is None for r in rows] == [True, False]
        assert rows[0].state == "expired"
    clock.advance(seconds=901)
    nonce(issuer)  # so does a wallet asking for a nonce
    with issuer.services.ctx.sessions() as session:
        assert [r.claims_sealed for r in session.query(CredentialOfferRow).all()] == [None, None]


def test_a_disabled_agency_issues_nothing_from_its_offers(issuer: Harness) -> None:
    dpop_key = generate_key("ES256")
    token = redeemed_token(issuer, dpop_key)
    issuer.services.agencies.disable(issuer.agencies["Resident Registry"].agency_id, reason="test")
    response = request_credential(
        issuer,
        token,
        dpop_key,
        {
            "credential_configuration_id": SD_JWT,
            "proofs": {"jwt": [key_proof(issuer, generate_key("ES256"))]},
        },
    )
    assert response.status_code == 400
    assert error_of(response) == "credential_request_denied"


def test_flow_and_single_use_on_sqlite_and_postgres(any_issuer: Harness) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from vcore.errors import InvalidGrantError

    made = make_offer(any_issuer).json()
    code = offer_code(any_issuer, made)
    offers = any_issuer.services.offers

    def redeem(_: int) -> str:
        proof = create_dpop_proof(
            generate_key("ES256"),
            method="POST",
            url=f"{ISSUER}/token",
            now=any_issuer.services.ctx.clock(),
        )
        form = {
            "grant_type": PRE_AUTHORIZED_GRANT,
            "pre-authorized_code": code,
            "tx_code": made["txCode"],
        }
        try:
            return offers.token(form, dpop=proof, url=f"{ISSUER}/token").access_token
        except InvalidGrantError:
            return ""

    with ThreadPoolExecutor(4) as pool:
        tokens = [t for t in pool.map(redeem, range(4)) if t]
    assert len(tokens) == 1  # the pre-authorized code is single use, whatever the race
    other = make_offer(any_issuer).json()
    other_code = offer_code(any_issuer, other)
    bad = "999999" if other["txCode"] != "999999" else "888888"
    for _ in range(5):
        get_token(any_issuer, other_code, bad, generate_key("ES256"))
    locked = get_token(any_issuer, other_code, other["txCode"], generate_key("ES256"))
    assert error_of(locked) == "invalid_grant"
    assert "locked" in locked.json()["error_description"]


def test_openapi_documents_the_protocol_endpoints(issuer: Harness) -> None:
    paths = issuer.client.get("/openapi.json").json()["paths"]
    for path in (
        "/.well-known/openid-credential-issuer",
        "/.well-known/oauth-authorization-server",
        "/credential-offers",
        "/credential-offers/{offer_id}/qr.png",
        "/credential-offer/{offer_id}",
        "/token",
        "/nonce",
        "/credential",
    ):
        assert path in paths, path
    token = paths["/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    assert "400" in token["responses"]
    assert "401" in paths["/credential"]["post"]["responses"]


def test_a_replayed_dpop_proof_at_the_credential_endpoint_is_refused(issuer: Harness) -> None:
    dpop_key = generate_key("ES256")
    token = redeemed_token(issuer, dpop_key, formats=["dc+sd-jwt", "jwt_vc_json"])
    proof = create_dpop_proof(
        dpop_key,
        method="POST",
        url=f"{ISSUER}/credential",
        now=issuer.services.ctx.clock(),
        access_token=token,
    )
    first = request_credential(
        issuer,
        token,
        dpop_key,
        {
            "credential_configuration_id": SD_JWT,
            "proofs": {"jwt": [key_proof(issuer, generate_key("ES256"))]},
        },
        proof=proof,
    )
    assert first.status_code == 200, first.text
    replayed = request_credential(
        issuer,
        token,
        dpop_key,
        {
            "credential_configuration_id": VC_JWT,
            "proofs": {"jwt": [key_proof(issuer, generate_key("ES256"))]},
        },
        proof=proof,
    )
    assert replayed.status_code == 401
    assert error_of(replayed) == "invalid_dpop_proof"
    assert 'error="invalid_dpop_proof"' in replayed.headers["www-authenticate"]


def test_type_metadata_names_and_labels_speak_both_locales(issuer: Harness) -> None:
    document = issuer.client.get(f"/types/{RESIDENT}").json()
    assert {d["locale"]: d["name"] for d in document["display"]} == {
        "en": "Resident Identity",
        "zh-Hans": "居民身份证明",
    }
    family = next(c for c in document["claims"] if c["path"] == ["familyName"])
    assert {d["locale"]: d["label"] for d in family["display"]} == {
        "en": "Family name",
        "zh-Hans": "姓",
    }
    over = next(c for c in document["claims"] if c["path"] == ["age_over_18"])
    assert {"locale": "zh-Hans", "label": "年满18周岁"} in over["display"]
