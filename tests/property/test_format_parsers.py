"""Property tests over every registered credential and presentation format.

The formats are taken from the registries (``vcore.formats``), so a format registered
later (SD-JWT VC, Data Integrity) is fuzzed without touching this file. For any input,
each step of the :class:`~vcore.formats.CredentialFormat` protocol (recognise, parse,
issuer binding, signature, times, holder binding) and of the presentation formats, the
envelope rules and the registry's detection either succeed or raise a TrustIDError with
a code. The inputs include tokens validly signed by a key of every algorithm, carrying
hostile claims, so the steps after parsing are reached.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.property.strategies import (
    bounded,
    dates,
    garbled_tokens,
    huge_numbers,
    json_values,
)
from vcore import jose
from vcore.dids import did_jwk_for, holder_kid, resolve_offline
from vcore.errors import TrustIDError
from vcore.formats import (
    CREDENTIAL_FORMATS,
    PRESENTATION_FORMATS,
    EnvelopeKind,
    Recognition,
    detect,
    detect_presentation,
    parse_credential_unverified,
    parse_presentation_unverified,
    unwrap_credential,
    unwrap_presentation,
    verify_presentation,
)
from vcore.formats.envelope import open_envelope
from vcore.keys import generate_key
from vcore.signing import SoftwareSigner

pytestmark = pytest.mark.property

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
VC2 = "https://www.w3.org/ns/credentials/v2"
_KEYS = {alg: generate_key(alg) for alg in ("ES256", "ES384", "ES512", "ES256K", "EdDSA", "PS256")}
_DIDS = {alg: did_jwk_for(key.public_key()) for alg, key in _KEYS.items()}
_CREDENTIAL_FORMATS = [CREDENTIAL_FORMATS.lookup(k) for k in CREDENTIAL_FORMATS.keys()]  # noqa: SIM118 - a registry, not a dict
_PRESENTATION_FORMATS = [PRESENTATION_FORMATS.lookup(k) for k in PRESENTATION_FORMATS.keys()]  # noqa: SIM118
_MEDIA = [*CREDENTIAL_FORMATS.media_types(), *PRESENTATION_FORMATS.media_types(), "text/plain"]


def _guard(call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call``'s result, or None when it raised a TrustIDError (which must carry a code)."""
    name = getattr(call, "__name__", "call")
    try:
        result = call(*args, **kwargs)
    except TrustIDError as exc:
        error = exc
    else:
        event(f"{name}: ok")
        return result
    event(f"{name}: {error.code}")
    assert isinstance(error.code, str)
    assert error.code
    return None


# -- inputs ---------------------------------------------------------------------------------

_HOSTILE: dict[str, Any] = {
    "validFrom": dates,
    "validUntil": dates,
    "issuanceDate": dates,
    "expirationDate": dates,
    "exp": huge_numbers,
    "iat": huge_numbers,
    "nbf": huge_numbers,
    "iss": json_values,
    "sub": json_values,
    "jti": json_values,
    "cnf": json_values,
    "vc": json_values,
    "vp": json_values,
    "issuer": json_values,
    "holder": json_values,
    "type": json_values,
    "@context": json_values,
    "credentialSubject": json_values,
    "credentialStatus": json_values,
    "credentialSchema": json_values,
    "verifiableCredential": json_values,
    "nonce": json_values,
    "aud": json_values,
}
hostile_changes = st.lists(
    st.sampled_from(sorted(_HOSTILE)), min_size=0, max_size=3, unique=True
).flatmap(lambda names: st.fixed_dictionaries({n: _HOSTILE[n] for n in names}))


def _signed(alg: str, typ: str, vc11: bool, changes: dict[str, Any]) -> str:
    did = _DIDS[alg]
    document: dict[str, Any] = {
        "@context": [VC2],
        "id": "urn:uuid:3f1e2d4c-1b2a-4c3d-8e9f-0a1b2c3d4e5f",
        "type": ["VerifiableCredential", "ResidentIdentityCredential"],
        "issuer": did,
        "validFrom": "2026-11-01T00:00:00Z",
        "credentialSubject": {"id": _DIDS["ES256"], "givenName": "Mei"},
    }
    payload: dict[str, Any] = (
        {"iss": did, "nbf": 1_790_000_000, "vc": document} if vc11 else document
    )
    payload.update(changes)
    return jose.sign(payload, SoftwareSigner(_KEYS[alg], holder_kid(did)), typ=typ)


signed_tokens = st.builds(
    _signed,
    st.sampled_from(sorted(_KEYS)),
    st.sampled_from(["vc+jwt", "JWT", "vp+jwt", "application/vc+jwt", "dc+sd-jwt"]),
    st.booleans(),
    hostile_changes,
)
# Mostly well-formed: the typ that fits the payload, at most one hostile claim, so that the
# steps after parsing (issuer binding, signature, times, holder binding) are reached.
well_signed_tokens = st.builds(
    lambda alg, vc11, changes: _signed(alg, "JWT" if vc11 else "vc+jwt", vc11, changes),
    st.sampled_from(sorted(_KEYS)),
    st.booleans(),
    st.lists(st.sampled_from(sorted(_HOSTILE)), max_size=1).flatmap(
        lambda names: st.fixed_dictionaries({n: _HOSTILE[n] for n in names})
    ),
)
tokens = st.one_of(signed_tokens, garbled_tokens)
values = st.one_of(
    tokens,
    st.builds(lambda t, m: f"data:{m},{t}", tokens, st.sampled_from(_MEDIA)),
    st.builds(
        lambda t, m, c, k: {"@context": c, "type": k, "id": f"data:{m},{t}"},
        tokens,
        st.sampled_from(_MEDIA),
        st.one_of(st.just([VC2]), json_values),
        st.one_of(
            st.sampled_from(["EnvelopedVerifiableCredential", "EnvelopedVerifiablePresentation"]),
            json_values,
        ),
    ),
    # Documents secured in place (Data Integrity shapes), and plain JSON.
    st.fixed_dictionaries(
        {"@context": st.one_of(st.just([VC2]), json_values), "type": json_values},
        optional={"proof": json_values, "issuer": json_values, "credentialSubject": json_values},
    ),
    json_values,
)


# -- credentials ----------------------------------------------------------------------------


def test_the_registries_hold_the_formats_of_issue_7() -> None:
    assert {"vc+jwt", "jwt_vc_json"} <= set(CREDENTIAL_FORMATS.keys())
    assert {"vp+jwt"} <= set(PRESENTATION_FORMATS.keys())


@bounded(150)
@given(values, st.sampled_from(list(EnvelopeKind)))
def test_envelopes_and_detection(value: object, kind: EnvelopeKind) -> None:
    _guard(open_envelope, value, kind)
    _guard(detect, value)
    _guard(detect_presentation, value)
    _guard(unwrap_credential, value)
    _guard(unwrap_presentation, value)
    _guard(parse_credential_unverified, value)
    _guard(parse_presentation_unverified, value)


@bounded(200)
@given(
    st.one_of(well_signed_tokens, signed_tokens, values), st.sampled_from(sorted(_KEYS)), st.data()
)
def test_every_credential_format_step(value: object, alg: str, data: st.DataObject) -> None:
    for fmt in _CREDENTIAL_FORMATS:
        assert isinstance(fmt.recognise(value), Recognition)  # never raises
        credential = _guard(fmt.parse_unverified, value)
        if credential is None:
            continue
        _guard(fmt.issuer_key_id, credential)
        key = _guard(resolve_offline, credential.key_id) if credential.key_id else None
        _guard(fmt.verify_signature, credential, key or _KEYS[alg].public_key())
        offset = data.draw(st.integers(-(10**6), 10**6), label="now offset (days)")
        _guard(fmt.check_times, credential, NOW + timedelta(days=offset // 100))
        holder = data.draw(st.one_of(st.just(_DIDS["ES256"]), json_values.map(str)))
        _guard(fmt.check_holder_binding, credential, holder)


# -- presentations --------------------------------------------------------------------------


def _presentation(alg: str, typ: str, changes: dict[str, Any], inner: str) -> str:
    did = _DIDS[alg]
    payload: dict[str, Any] = {
        "@context": [VC2],
        "type": ["VerifiablePresentation"],
        "holder": did,
        "verifiableCredential": [
            {
                "@context": [VC2],
                "type": "EnvelopedVerifiableCredential",
                "id": f"data:application/vc+jwt,{inner}",
            }
        ],
        "nonce": "n-1",
        "aud": "https://verifier.example",
        "iat": int(NOW.timestamp()),
        **changes,
    }
    return jose.sign(payload, SoftwareSigner(_KEYS[alg], holder_kid(did)), typ=typ)


signed_presentations = st.builds(
    _presentation,
    st.sampled_from(sorted(_KEYS)),
    st.sampled_from(["vp+jwt", "JWT", "vc+jwt"]),
    hostile_changes,
    st.one_of(well_signed_tokens, signed_tokens),
)


@bounded(150)
@given(st.one_of(signed_presentations, values), st.sampled_from(["n-1", ""]), st.data())
def test_every_presentation_format_step(value: object, nonce: str, data: st.DataObject) -> None:
    for fmt in _PRESENTATION_FORMATS:
        assert isinstance(fmt.recognise(value), Recognition)
        presentation = _guard(fmt.parse_unverified, value)
        if presentation is None:
            continue
        offset = data.draw(st.integers(-(10**5), 10**5), label="now offset (minutes)")
        _guard(
            fmt.verify,
            presentation,
            nonce=nonce,
            audience="https://verifier.example",
            now=NOW + timedelta(minutes=offset),
            key_for=resolve_offline,
        )
    _guard(
        verify_presentation,
        value,
        nonce=nonce,
        audience="https://verifier.example",
        now=NOW,
    )
