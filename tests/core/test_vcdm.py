"""VC Data Model 2.0 rules (vcore.vcdm): each rule with valid and invalid documents.

The invalid vectors follow the W3C VCDM 2.0 test suite's fixtures (their ``-fail``
inputs), rewritten here; the digests of related resources are computed in the test from
bytes it holds, never copied.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

import pytest

from vcore.errors import DataModelError, MalformedError
from vcore.vcdm import (
    MAX_CONTEXTS,
    VC2_CONTEXT,
    check_credential,
    check_envelope,
    check_presentation,
    is_url,
    issuer_id_of,
    parse_date_time_stamp,
)

ISSUER = "did:web:issuer.example"


def _vc(**changes: Any) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "credentialSubject": {"id": "did:example:subject"},
    }
    for name, value in changes.items():
        key = "@context" if name == "context" else name
        if value is _DROP:
            credential.pop(key, None)
        else:
            credential[key] = value
    return credential


_DROP = object()


def _code(document: Any, check: Any = check_credential, **kwargs: Any) -> str:
    with pytest.raises(DataModelError) as info:
        check(document, **kwargs)
    return info.value.code


def test_the_minimal_credential_passes() -> None:
    check_credential(_vc())


def test_data_model_errors_are_malformed_input() -> None:
    with pytest.raises(MalformedError):
        check_credential(_vc(type=_DROP))


# -- §4.3 contexts, §5.2 protected terms -----------------------------------------------


@pytest.mark.parametrize(
    "contexts",
    [
        [VC2_CONTEXT, "https://www.w3.org/ns/credentials/examples/v2"],
        [VC2_CONTEXT, {"ExampleVerifiableCredential": "https://example.org/#Example"}],
        [VC2_CONTEXT, {"id": "@id", "type": "@type"}],  # identical redefinition: allowed
        [VC2_CONTEXT, "https://contexts.example/v7", {"@vocab": None, "Z": "ex:Z"}],
        VC2_CONTEXT,
    ],
)
def test_allowed_contexts(contexts: Any) -> None:
    check_credential(_vc(context=contexts))


@pytest.mark.parametrize(
    ("contexts", "code"),
    [
        (_DROP, "vcdm_context"),
        ([], "vcdm_context"),
        (["https://www.w3.org/ns/credentials/examples/v2"], "vcdm_context"),
        (["https://www.w3.org/ns/credentials/examples/v2", VC2_CONTEXT], "vcdm_context"),
        ([VC2_CONTEXT, "https ://not-a-url/contexts/example/v1"], "vcdm_context"),
        ([VC2_CONTEXT, 123192875], "vcdm_context"),
        ([VC2_CONTEXT, VC2_CONTEXT], "vcdm_context"),
        ([VC2_CONTEXT, {"Example": "https ://not-a-url#Example"}], "vcdm_context"),
        ([VC2_CONTEXT, {"@foo": 1}], "vcdm_context"),
        ([VC2_CONTEXT, {"T": {"@id": "https://e.example/T", "@bogus": 1}}], "vcdm_context"),
        ([VC2_CONTEXT, {"x": "y" * 9000}], "vcdm_context"),
        ([VC2_CONTEXT] + [f"https://c.example/{n}" for n in range(MAX_CONTEXTS)], "vcdm_context"),
        ([VC2_CONTEXT, {"VerifiableCredential": "https://e.example/#Bad"}], "vcdm_term_redefined"),
        ([VC2_CONTEXT, {"type": "@id"}], "vcdm_term_redefined"),
        (
            [
                VC2_CONTEXT,
                {"@protected": True, "Example": "https://example.org/#Example"},
                {"Example": "https://example.org/#ExampleBad"},
            ],
            "vcdm_term_redefined",
        ),
    ],
)
def test_refused_contexts(contexts: Any, code: str) -> None:
    assert _code(_vc(context=contexts)) == code


def test_an_unprotected_term_may_be_redefined() -> None:
    contexts = [
        VC2_CONTEXT,
        {"Example": "https://e.example/#A"},
        {"Example": "https://e.example/#B"},
    ]
    check_credential(_vc(context=contexts, type=["VerifiableCredential", "Example"]))


# -- §4.4 identifiers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "https://example.org/credentials/1",
        "urn:uuid:0b7e2c8e-52d2-4c1e-9d0a-3f4b8f0c9a11",
        "did:key:z6Mk",
    ],
)
def test_identifier_urls(value: str) -> None:
    assert is_url(value)
    check_credential(_vc(id=value))


@pytest.mark.parametrize(
    "value",
    [
        None,
        ["https://example.org/credentials/1", "https://example.net/credentials/1"],
        "https ://not-a-url/vcs/343cf54b",
        "fake-issuer",
        "https://",
        "",
        "http:relative",
        "urn:has space",
        "x" * 3000,
        7,
    ],
)
def test_identifiers_that_are_not_single_urls(value: Any) -> None:
    assert not is_url(value)
    assert _code(_vc(id=value)) == "vcdm_identifier"
    assert _code(_vc(credentialSubject={"id": value})) == "vcdm_identifier"


# -- §4.5 types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "types",
    [
        "VerifiableCredential",
        ["VerifiableCredential", "https://example.org/#ExampleCredential"],
        ["https://example.org/#A", "VerifiableCredential", "https://example.org/#B"],
        ["VerifiableCredential", "RelationshipCredential"],  # @vocab of the base context
    ],
)
def test_types(types: Any) -> None:
    check_credential(_vc(type=types))


@pytest.mark.parametrize(
    "types",
    [
        _DROP,
        [],
        ["RelationshipCredential"],
        [2],
        ["VerifiableCredential", ""],
        "has space",
        ["https ://x#T"],
    ],
)
def test_refused_types(types: Any) -> None:
    assert _code(_vc(type=types)) == "vcdm_type"


def test_a_type_must_map_to_an_iri() -> None:
    unmapped = _vc(
        context=[VC2_CONTEXT, {"@vocab": None}], type=["VerifiableCredential", "ExampleTest"]
    )
    assert _code(unmapped) == "vcdm_type"
    mapped = copy.deepcopy(unmapped)
    mapped["@context"].append({"ExampleTest": "https://example.org/#ExampleTest"})
    check_credential(mapped)


# -- §4.6 names and descriptions ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Example Credential",
        {"@value": "Example", "@language": "en"},
        {"@value": "Example", "@language": "en", "@direction": "ltr"},
        [{"@value": "Dog", "@language": "en"}, {"@value": "Chien", "@language": "fr"}],
    ],
)
def test_language_values(value: Any) -> None:
    check_credential(_vc(name=value, description=value))
    check_credential(_vc(issuer={"id": ISSUER, "name": value, "description": value}))


@pytest.mark.parametrize(
    "value",
    [
        {"@value": "Example", "@language": "en", "url": "did:example:credential"},
        {"@language": "en"},
        {"@value": "x", "@direction": "up"},
        {"@value": "x", "@language": "not a tag"},
        [],
        42,
    ],
)
def test_refused_language_values(value: Any) -> None:
    assert _code(_vc(name=value)) == "vcdm_language_value"
    assert _code(_vc(description=value)) == "vcdm_language_value"
    assert _code(_vc(issuer={"id": ISSUER, "name": value})) == "vcdm_language_value"


# -- §4.7 issuer, §4.8 subjects ---------------------------------------------------------------


def test_issuer_shapes() -> None:
    check_credential(_vc(issuer={"id": ISSUER}))
    assert issuer_id_of(_vc(issuer={"id": ISSUER})) == ISSUER
    assert issuer_id_of(_vc()) == ISSUER
    for bad in (_DROP, None, "fake-issuer", {"id": None}, {"id": "fake-issuer"}, {"name": "x"}, []):
        assert _code(_vc(issuer=bad)) == "vcdm_issuer"


def test_subject_shapes() -> None:
    check_credential(_vc(credentialSubject=[{"id": "did:example:a"}, {"id": "did:example:b"}]))
    check_credential(_vc(credentialSubject={"name": "a bearer claim"}))
    for bad in (_DROP, {}, [], [{"id": "did:example:a"}, {}], "did:example:a", [1]):
        assert _code(_vc(credentialSubject=bad)) == "vcdm_subject"


# -- §4.9 validity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-26T01:02:58.447Z",
        "2023-02-25T19:10:39-06:00",
        "4023-02-26T01:02:58Z",
        "2024-02-29T23:59:59+14:00",
    ],
)
def test_date_time_stamps(value: str) -> None:
    parse_date_time_stamp(value, "validFrom")
    check_credential(_vc(validFrom=value))


@pytest.mark.parametrize(
    "value",
    [
        "Sat 25 Feb 2023 07:16:31 PM CST",
        "Sun, 26 Feb 2023 01:22:14 +0000",
        "2023-02-26T01:02:58",  # no timezone: a dateTime, not a dateTimeStamp
        "2023-02-26",
        "2023-02-26 01:02:58Z",
        "20230226T010258Z",
        "2023-02-30T00:00:00Z",
        "2023-13-01T00:00:00Z",
        "2023-01-01T24:00:00Z",
        "2023-01-01T00:00:00+15:00",
        "0000-01-01T00:00:00Z",
        1677373378,
    ],
)
def test_refused_date_times(value: Any) -> None:
    assert _code(_vc(validFrom=value)) == "vcdm_validity"
    assert _code(_vc(validUntil=value)) == "vcdm_validity"


def test_valid_until_not_before_valid_from() -> None:
    check_credential(_vc(validFrom="2023-02-26T01:21:23Z", validUntil="2023-02-25T19:21:29-06:00"))
    check_credential(_vc(validFrom="2023-02-26T01:00:00Z", validUntil="2023-02-26T01:00:00Z"))
    late_start = _vc(validFrom="2027-01-01T00:00:00Z", validUntil="2025-01-01T00:00:00Z")
    assert _code(late_start) == "vcdm_validity"


# -- §4.10 status, §4.11 schemas, §4.12 proofs, §5.4-§5.6 ----------------------------------------

_TYPED_MEMBERS = [
    ("credentialStatus", "vcdm_status"),
    ("termsOfUse", "vcdm_terms_of_use"),
    ("evidence", "vcdm_evidence"),
    ("refreshService", "vcdm_refresh_service"),
    ("proof", "vcdm_type"),
]


@pytest.mark.parametrize(("member", "code"), _TYPED_MEMBERS)
def test_typed_members(member: str, code: str) -> None:
    check_credential(_vc(**{member: {"type": "ExampleType"}}))
    check_credential(
        _vc(**{member: [{"type": "ExampleType", "id": "did:example:1"}, {"type": ["A", "B"]}]})
    )
    for bad in (
        {},
        {"id": "did:example:1"},
        {"type": 2},
        [],
        ["did:example:1"],
        {"type": "T", "id": "a b"},
    ):
        assert _code(_vc(**{member: bad})) == code
    assert _code(_vc(**{member: {"type": "T", "id": ["did:e:1", "did:e:2"]}})) == code


def test_schema_entries_need_type_and_url_id() -> None:
    check_credential(_vc(credentialSchema={"id": "did:example:schemas/1", "type": "JsonSchema"}))
    check_credential(
        _vc(
            credentialSchema=[
                {"id": "https://s.example/1", "type": "JsonSchema"},
                {"id": "urn:x:2", "type": "T"},
            ]
        )
    )
    bad: Any
    for bad in (
        {"id": "did:example:schemas/1"},
        {"type": "JsonSchema"},
        {"type": "JsonSchema", "id": "https ://not-a-url.org/cd28"},
        [],
    ):
        assert _code(_vc(credentialSchema=bad)) == "vcdm_schema"


# -- §5.3 related resources ---------------------------------------------------------------------

_RESOURCE_URL = "https://resources.example/context.jsonld"
_RESOURCE = b'{"@context": {"@vocab": "https://resources.example/#"}}\n'


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def _multibase(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


def test_related_resources_with_matching_digests() -> None:
    resources = {_RESOURCE_URL: _RESOURCE}
    for entry in (
        {"id": _RESOURCE_URL, "digestSRI": _sri(_RESOURCE)},
        {"id": _RESOURCE_URL, "digestMultibase": _multibase(_RESOURCE)},
        [{"id": _RESOURCE_URL, "mediaType": "application/ld+json", "digestSRI": _sri(_RESOURCE)}],
    ):
        check_credential(_vc(relatedResource=entry), resources=resources)


def test_related_resource_shapes() -> None:
    good = {"id": _RESOURCE_URL, "digestSRI": _sri(_RESOURCE)}
    for bad in (
        [_RESOURCE_URL],
        [{"digestMultibase": _multibase(_RESOURCE)}],
        [good, {"id": _RESOURCE_URL, "digestMultibase": _multibase(_RESOURCE)}],
        [{"id": _RESOURCE_URL}],
        [{"id": _RESOURCE_URL, "digestSRI": "sha384-_rCVIV7fSXXTNIvpiq26jRDyj8JG8TDjij"}],
        [{"id": _RESOURCE_URL, "digestSRI": "md5-" + base64.b64encode(b"0" * 16).decode()}],
        [{"id": _RESOURCE_URL, "digestMultibase": "xnot-multibase"}],
        [{"id": _RESOURCE_URL, "digestSRI": _sri(_RESOURCE), "mediaType": 3}],
        [],
    ):
        assert _code(_vc(relatedResource=bad)) == "vcdm_related_resource"


def test_related_resource_digest_mismatch() -> None:
    resources = {_RESOURCE_URL: _RESOURCE}
    other = b"another document"
    for entry in (
        {"id": _RESOURCE_URL, "digestSRI": _sri(other)},
        {"id": _RESOURCE_URL, "digestMultibase": _multibase(other)},
    ):
        document = _vc(relatedResource=entry)
        assert _code(document, resources=resources) == "vcdm_digest_mismatch"
        check_credential(document)  # resource not known locally: shape only


# -- §4.13 presentations and envelopes ------------------------------------------------------------


def _vp(**changes: Any) -> dict[str, Any]:
    presentation: dict[str, Any] = {"@context": [VC2_CONTEXT], "type": ["VerifiablePresentation"]}
    for name, value in changes.items():
        key = "@context" if name == "context" else name
        if value is _DROP:
            presentation.pop(key, None)
        else:
            presentation[key] = value
    return presentation


_ENVELOPE = {
    "@context": VC2_CONTEXT,
    "type": "EnvelopedVerifiableCredential",
    "id": "data:application/vc+jwt,eyJ.eyJ.c2ln",
}


def test_presentations() -> None:
    check_presentation(_vp())
    check_presentation(_vp(id="urn:uuid:9c9a36f8-518f-4976-a934-6649502d0008"))
    check_presentation(_vp(holder="did:key:z6Mkp", verifiableCredential=[_vc(), _ENVELOPE]))
    check_presentation(_vp(holder={"id": "did:key:z6Mkp"}, verifiableCredential=_ENVELOPE))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"context": _DROP}, "vcdm_context"),
        (
            {"context": ["https://www.w3.org/ns/credentials/examples/v2", VC2_CONTEXT]},
            "vcdm_context",
        ),
        ({"type": _DROP}, "vcdm_type"),
        ({"type": ["CredentialManagerPresentation"]}, "vcdm_type"),
        ({"id": "not a url"}, "vcdm_identifier"),
        ({"holder": "z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj"}, "vcdm_holder"),
        ({"holder": {"name": "Acme"}}, "vcdm_holder"),
        ({"holder": {"id": "z6Mkp"}}, "vcdm_holder"),
        ({"verifiableCredential": ["eyJhbGciOiJFUzI1NiJ9.e30.sig"]}, "vcdm_verifiable_credential"),
        (
            {
                "verifiableCredential": [
                    {"@context": VC2_CONTEXT, "id": "data:application/vc+jwt,x"}
                ]
            },
            "vcdm_verifiable_credential",
        ),
        (
            {"verifiableCredential": [{**_ENVELOPE, "id": "eyJ.eyJ.c2ln"}]},
            "vcdm_verifiable_credential",
        ),
        ({"verifiableCredential": [_vc(type=["Other"])]}, "vcdm_type"),
    ],
)
def test_refused_presentations(changes: dict[str, Any], code: str) -> None:
    assert _code(_vp(**changes), check_presentation) == code


def test_envelopes() -> None:
    assert check_envelope(_ENVELOPE).startswith("data:application/vc+jwt,")
    vp_envelope = {
        **_ENVELOPE,
        "type": "EnvelopedVerifiablePresentation",
        "id": "data:application/vp+jwt,x",
    }
    check_envelope(vp_envelope, "EnvelopedVerifiablePresentation")
    for bad in (
        {**_ENVELOPE, "@context": []},
        {**_ENVELOPE, "@context": "https://www.w3.org/ns/credentials/examples/v2"},
        {key: value for key, value in _ENVELOPE.items() if key != "type"},
        {**_ENVELOPE, "type": "VerifiableCredential"},
        {**_ENVELOPE, "id": "eyJ.eyJ.c2ln"},
        {**_ENVELOPE, "id": 5},
        "data:application/vc+jwt,x",
    ):
        assert _code(bad, check_envelope) == "envelope_invalid"
    assert _code(vp_envelope, check_envelope) == "envelope_invalid"


def test_one_envelope_rule_one_code() -> None:
    # vcore.vcdm and the formats' envelope parser check the same VCDM rule (§4.13): one
    # code for both, and either error is caught as the other.
    from vcore.errors import EnvelopeError, VcdmEnvelopeError
    from vcore.formats.envelope import EnvelopeKind, open_envelope

    bad = {**_ENVELOPE, "@context": []}
    with pytest.raises(EnvelopeError) as from_vcdm:
        check_envelope(bad)
    with pytest.raises(EnvelopeError) as from_formats:
        open_envelope(bad, EnvelopeKind.CREDENTIAL)
    assert isinstance(from_vcdm.value, VcdmEnvelopeError)
    assert from_vcdm.value.code == from_formats.value.code == "envelope_invalid"


def test_non_objects_are_refused() -> None:
    value: Any
    for value in (None, [], "x", 1):
        assert _code(value, check_credential) == "vcdm_type"
        assert _code(value, check_presentation) == "vcdm_type"


# -- robustness: arbitrary JSON in every member is refused with a code, never a crash ------


def _random_json(rng: Any, depth: int = 0) -> Any:
    choice = rng.randrange(9 if depth < 3 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False, 0, -1, 2**70, 1.5, float("1e308")])
    if choice in {2, 3}:
        return rng.choice(
            [
                "",
                " ",
                "did:example:x",
                "https://x.example/#T",
                "@id",
                "\x00",
                "é",
                "a:b",
                "2023-01-01T00:00:00Z",
            ]
        )
    if choice == 4:
        return VC2_CONTEXT
    if choice == 5:
        return "u" + "A" * rng.randrange(60)
    if choice == 6:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = [
        "id",
        "type",
        "@value",
        "@language",
        "@direction",
        "@vocab",
        "@protected",
        "@id",
        "name",
        "x",
    ]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(4))}


_MEMBERS = [
    "@context",
    "id",
    "type",
    "name",
    "description",
    "issuer",
    "credentialSubject",
    "validFrom",
    "validUntil",
    "credentialStatus",
    "credentialSchema",
    "proof",
    "evidence",
    "termsOfUse",
    "refreshService",
    "relatedResource",
]


def test_arbitrary_members_never_crash_the_checks() -> None:
    import contextlib
    import random

    rng = random.Random(7)  # noqa: S311 - a fixed seed makes the run reproducible
    for _ in range(3000):
        document = _vc()
        for member in rng.sample(_MEMBERS, rng.randrange(1, 4)):
            document[member] = _random_json(rng)
        with contextlib.suppress(DataModelError):
            check_credential(document, resources={"did:example:x": b"x"})
        presentation = _vp(verifiableCredential=[document], holder=_random_json(rng))
        with contextlib.suppress(DataModelError):
            check_presentation(presentation)


# -- §B.1: the base context's published digest -----------------------------------------------

_REC_BASE_SHA256 = "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
# The digest of an earlier (2024, Candidate Recommendation) revision of the same URL, as
# the W3C test suite's fixture still carries it.
_CR_BASE_SHA256 = "24a18c90e9856d526111f29376e302d970b2bd10182e33959995b0207d7043b9"


def _u(digest_hex: str, multihash: bool = False) -> str:
    raw = bytes.fromhex(digest_hex)
    body = (b"\x12\x20" + raw) if multihash else raw
    return "u" + base64.urlsafe_b64encode(body).decode().rstrip("=")


def test_the_base_context_digest_published_in_the_recommendation() -> None:
    for value in (_u(_REC_BASE_SHA256), _u(_REC_BASE_SHA256, multihash=True)):
        check_credential(_vc(relatedResource={"id": VC2_CONTEXT, "digestMultibase": value}))
    for value in (_u(_CR_BASE_SHA256), _u("00" * 32, multihash=True)):
        document = _vc(relatedResource={"id": VC2_CONTEXT, "digestMultibase": value})
        assert _code(document) == "vcdm_digest_mismatch"
    sha256_sri = "sha256-" + base64.b64encode(bytes.fromhex(_CR_BASE_SHA256)).decode()
    assert _code(_vc(relatedResource={"id": VC2_CONTEXT, "digestSRI": sha256_sri})) == (
        "vcdm_digest_mismatch"
    )
    # No SHA-384 is published: a sha384 SRI of the base context is checked for shape only.
    check_credential(_vc(relatedResource={"id": VC2_CONTEXT, "digestSRI": _sri(b"any")}))
