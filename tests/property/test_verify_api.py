"""Property tests over the verifier's HTTP verify endpoints: never a 500.

Garbled tokens and bodies, envelopes of every shape, and, the deep part, credentials and
presentations that are *validly signed* by a trust-listed issuer (ES256, ES384, PS256,
EdDSA) but carry hostile claims: dates such as ``9999-12-31T23:59:59-23:59``, huge or
mistyped ``exp``/``iat``/``nbf``, odd status entries. Every answer must be a 4xx
problem+json with a code, or a verification result whose failures carry codes.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from tests.asgi_client import AppClient
from tests.property.strategies import (
    bounded,
    dates,
    garbled_tokens,
    huge_numbers,
    json_values,
)
from tests.verifier.support import (
    RESIDENT,
    Clock,
    FakeWeb,
    Holder,
    Issuer,
    app_client,
    public_resolver,
    trust_document,
    write_json,
)
from vcore import jose
from vcore.dids import holder_kid
from vcore.signing import SoftwareSigner
from verifier.app import create_app
from verifier.settings import VerifierSettings

pytestmark = pytest.mark.property

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
AUDIENCE = "https://verifier.example"
VC2 = "https://www.w3.org/ns/credentials/v2"
_NONCES = itertools.count()


class Api:
    def __init__(self, tmp_path: Path) -> None:
        self.clock = Clock(NOW)
        self.web = FakeWeb(self.clock)
        self.issuers = [
            self.web.add(Issuer("https://registry.example")),
            self.web.add(Issuer(None, alg="ES384")),
            self.web.add(Issuer(None, alg="PS256")),
            self.web.add(Issuer(None, alg="EdDSA")),
        ]
        self.holder = Holder()
        trust = trust_document(*((i, [RESIDENT]) for i in self.issuers))
        settings = VerifierSettings(
            trust_list=str(write_json(tmp_path / "trust.json", trust)),
            data_dir=tmp_path / "var",
            verifier_url=AUDIENCE,
            verifier_status_max_age=0,
        )
        self.app = create_app(
            settings,
            transport=self.web.transport(),
            host_resolver=public_resolver,
            clock=self.clock,
        )


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Api:
    return Api(tmp_path_factory.mktemp("verifier"))


@pytest.fixture(scope="module")
def client(api: Api) -> Iterator[AppClient]:
    with app_client(api.app) as c:
        yield c


# -- what every answer must look like --------------------------------------------------------


def _check_report(report: Any) -> None:
    assert isinstance(report, dict), report
    assert isinstance(report["verified"], bool)
    event("verified" if report["verified"] else "refused")
    if not report["verified"]:
        problems = report["problemDetails"]
        assert problems, report
        for problem in problems:
            assert isinstance(problem["code"], str), problem
            assert problem["code"], problem
            event(f"code {problem['code']}")


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    body = response.json()
    if response.headers["content-type"].startswith("application/problem+json"):
        assert 400 <= response.status_code < 500
        assert isinstance(body["code"], str)
        assert body["code"]
        event(f"problem {response.status_code} {body['code']}")
        return
    assert response.status_code in (200, 400), response.text
    if "results" in body:
        for result in body["results"]:
            _check_report(result)
    else:
        _check_report(body)
        assert (response.status_code == 200) is body["verified"]


# -- validly signed, hostile content ---------------------------------------------------------

_CLAIM_VALUES: dict[str, Any] = {
    "validFrom": dates,
    "validUntil": dates,
    "issuanceDate": dates,
    "expirationDate": dates,
    "exp": huge_numbers,
    "iat": huge_numbers,
    "nbf": huge_numbers,
    "issuer": st.one_of(json_values, st.just({"id": "did:web:registry.example"})),
    "type": st.one_of(
        json_values, st.just("VerifiableCredential"), st.just(["VerifiableCredential", RESIDENT])
    ),
    "@context": st.one_of(json_values, st.just([VC2, {"@vocab": "x"}])),
    "credentialSubject": st.one_of(json_values, st.lists(json_values, max_size=3)),
    "credentialStatus": st.one_of(
        json_values,
        st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["BitstringStatusListEntry", "x"]),
                    "statusPurpose": st.sampled_from(["revocation", "suspension", "message", ""]),
                    "statusListIndex": st.one_of(huge_numbers, st.text(max_size=25)),
                    "statusListCredential": st.one_of(
                        st.just("https://registry.example/status-lists/rev1"), st.text(max_size=40)
                    ),
                }
            ),
            max_size=3,
        ),
    ),
    "credentialSchema": json_values,
    "id": json_values,
    "vc": json_values,
    "sub": json_values,
    "jti": json_values,
}
claim_changes = st.dictionaries(
    st.sampled_from(sorted(_CLAIM_VALUES)), st.just(None), max_size=5
).flatmap(
    lambda keys: st.fixed_dictionaries({k: _CLAIM_VALUES[k] for k in keys}) if keys else st.just({})
)


def _base_credential(api: Api, issuer: Issuer) -> dict[str, Any]:
    return {
        "@context": [VC2],
        "id": "urn:uuid:3f1e2d4c-1b2a-4c3d-8e9f-0a1b2c3d4e5f",
        "type": ["VerifiableCredential", RESIDENT],
        "issuer": issuer.did,
        "validFrom": "2026-11-01T00:00:00Z",
        "validUntil": "2027-11-01T00:00:00Z",
        "credentialSubject": {"id": api.holder.did, "givenName": "Mei", "familyName": "Chen"},
    }


def _signed(api: Api, issuer_index: int, typ: str, changes: dict[str, Any], vc11: bool) -> str:
    issuer = api.issuers[issuer_index % len(api.issuers)]
    credential = _base_credential(api, issuer)
    if vc11:
        payload: dict[str, Any] = {"iss": issuer.did, "vc": credential, "nbf": 1_790_000_000}
    else:
        payload = credential
    payload.update(changes)
    return jose.sign(payload, SoftwareSigner(issuer.key, issuer.kid), typ=typ)


signed_credentials = st.builds(
    lambda *args: args,
    st.integers(0, 3),
    st.sampled_from(["vc+jwt", "JWT", "application/vc+jwt", "vp+jwt"]),
    claim_changes,
    st.booleans(),
)
# Mostly well-formed tokens with one or two hostile claims, so the checks after the
# signature (dates, status, schema, trust) are reached, not only the parser.
_DEEP_KEYS = [
    "validFrom",
    "validUntil",
    "exp",
    "iat",
    "nbf",
    "credentialStatus",
    "issuanceDate",
    "expirationDate",
    "credentialSubject",
    "type",
]
deep_changes = st.lists(st.sampled_from(_DEEP_KEYS), min_size=1, max_size=2, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({k: _CLAIM_VALUES[k] for k in keys})
)
deep_credentials = st.tuples(st.integers(0, 3), st.booleans(), deep_changes).map(
    lambda t: (t[0], "JWT" if t[1] else "vc+jwt", t[2], t[1])
)

_MEDIA = ["application/vc+jwt", "application/jwt", "application/vp+jwt", "text/plain", ""]


def _envelope(token: str, media: str, context: Any, kind: Any) -> dict[str, Any]:
    return {"@context": context, "type": kind, "id": f"data:{media},{token}"}


def envelopes(tokens: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        tokens,
        st.builds(lambda t, m: f"data:{m},{t}", tokens, st.sampled_from(_MEDIA)),
        st.builds(
            _envelope,
            tokens,
            st.sampled_from(_MEDIA),
            st.one_of(st.just([VC2]), json_values),
            st.one_of(st.just("EnvelopedVerifiableCredential"), json_values),
        ),
        json_values,
    )


@bounded(60)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_raw_bodies(client: AppClient, body: bytes) -> None:
    for path in ("/credentials/verify", "/presentations/verify", "/credentials/verify/batch"):
        _check(client.post(path, content=body, headers={"content-type": "application/json"}))


@bounded(80)
@given(envelopes(garbled_tokens), json_values)
def test_garbled_credentials(client: AppClient, value: Any, options: Any) -> None:
    _check(client.post("/credentials/verify", json={"verifiableCredential": value}))
    _check(
        client.post("/credentials/verify", json={"verifiableCredential": value, "options": options})
    )


@bounded(80)
@given(deep_credentials)
# Found by this test: a non-object status entry was a 500 (TypeError in the status plan);
# a date that leaves the datetime range once in UTC was a 500 (OverflowError).
@example((0, "vc+jwt", {"credentialStatus": False}, False))
@example((1, "vc+jwt", {"credentialStatus": [1]}, False))
@example((2, "vc+jwt", {"credentialSchema": "x"}, False))
@example((3, "JWT", {"credentialStatus": None}, True))
@example((0, "vc+jwt", {"validUntil": "9999-12-31T23:59:59-23:59"}, False))
@example((0, "vc+jwt", {"validFrom": "0001-01-01T00:00:00+23:59"}, False))
@example((1, "JWT", {"nbf": 10**400, "exp": -(2**63)}, True))
def test_validly_signed_hostile_credentials(
    api: Api, client: AppClient, args: tuple[int, str, dict[str, Any], bool]
) -> None:
    token = _signed(api, *args)
    _check(client.post("/credentials/verify", json={"verifiableCredential": token}))


@bounded(60)
@given(st.data())
def test_validly_signed_credentials_in_hostile_envelopes(
    api: Api, client: AppClient, data: st.DataObject
) -> None:
    token = _signed(api, *data.draw(signed_credentials))
    value = data.draw(envelopes(st.just(token)))
    _check(client.post("/credentials/verify", json={"verifiableCredential": value}))


@bounded(40)
@given(st.lists(st.data(), min_size=1, max_size=1))
def test_batches(api: Api, client: AppClient, draws: list[st.DataObject]) -> None:
    data = draws[0]
    items = data.draw(
        st.lists(
            st.one_of(
                json_values,
                envelopes(garbled_tokens).map(lambda v: {"verifiableCredential": v}),
                signed_credentials.map(lambda a: {"verifiableCredential": _signed(api, *a)}),
            ),
            min_size=0,
            max_size=6,
        )
    )
    _check(client.post("/credentials/verify/batch", json={"items": items}))


_VP_CHANGES: dict[str, Any] = {
    "iat": huge_numbers,
    "exp": huge_numbers,
    "nbf": huge_numbers,
    "nonce": json_values,
    "aud": json_values,
    "holder": json_values,
    "type": json_values,
    "@context": json_values,
    "verifiableCredential": json_values,
    "vp": json_values,
}
vp_changes = st.dictionaries(
    st.sampled_from(sorted(_VP_CHANGES)), st.just(None), max_size=4
).flatmap(
    lambda keys: st.fixed_dictionaries({k: _VP_CHANGES[k] for k in keys}) if keys else st.just({})
)


@bounded(70)
@given(st.data())
def test_presentations(api: Api, client: AppClient, data: st.DataObject) -> None:
    nonce = f"n-{next(_NONCES)}"  # nonces are single-use: a fresh one per example
    credential = _signed(api, *data.draw(st.one_of(deep_credentials, signed_credentials)))
    payload: dict[str, Any] = {
        "@context": [VC2],
        "type": ["VerifiablePresentation"],
        "holder": api.holder.did,
        "verifiableCredential": [
            {
                "@context": [VC2],
                "type": "EnvelopedVerifiableCredential",
                "id": f"data:application/vc+jwt,{credential}",
            }
        ],
        "nonce": nonce,
        "aud": AUDIENCE,
        "iat": int(NOW.timestamp()),
        **data.draw(vp_changes),
    }
    typ = data.draw(st.sampled_from(["vp+jwt", "JWT", "vc+jwt"]))
    token = jose.sign(payload, SoftwareSigner(api.holder.key, holder_kid(api.holder.did)), typ=typ)
    value = data.draw(
        st.one_of(
            st.just(token),
            st.just(f"data:application/vp+jwt,{token}"),
            st.builds(
                lambda c, k: {"@context": c, "type": k, "id": f"data:application/vp+jwt,{token}"},
                st.one_of(st.just([VC2]), json_values),
                st.one_of(st.just("EnvelopedVerifiablePresentation"), json_values),
            ),
            garbled_tokens,
            json_values,
        )
    )
    options = data.draw(
        st.one_of(
            st.just({"challenge": nonce, "domain": AUDIENCE}),
            st.fixed_dictionaries({"challenge": json_values}, optional={"domain": json_values}),
            json_values,
        )
    )
    _check(
        client.post(
            "/presentations/verify", json={"verifiablePresentation": value, "options": options}
        )
    )


def test_a_plain_valid_credential_still_verifies(api: Api, client: AppClient) -> None:
    """The harness itself works: without hostile changes, each issuer's credential passes."""
    for index in range(len(api.issuers)):
        token = _signed(api, index, "vc+jwt", {}, False)
        response = client.post("/credentials/verify", json={"verifiableCredential": token})
        assert response.status_code == 200, response.text
        body = json.loads(response.text)
        assert body["verified"] is True
