"""Property tests: evidence bundles (verifier.resolution.evidence) parse or refuse with a code.

A bundle is read from a file someone hands the verifier (``verify --offline``), so any
JSON in any member either yields a bundle that writes back to itself or raises an
:class:`~verifier.errors.EvidenceError` (``evidence_invalid``), never anything else.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.property.strategies import bounded, dates, json_values
from verifier.errors import EvidenceError
from verifier.resolution import EvidenceBundle

pytestmark = pytest.mark.property

_HEAD = {"type": st.just("TrustIDVerificationEvidence"), "version": st.just(1)}
_CODES = st.sampled_from(["unknown_key", "status_unavailable", "no_such_code", "", "did_invalid"])
_ERRORS = st.one_of(json_values, st.fixed_dictionaries({"code": _CODES, "detail": st.text()}))
_TIMES = st.one_of(dates, json_values)


def _entry(fields: dict[str, Any]) -> Any:
    return st.one_of(json_values, st.fixed_dictionaries({}, optional=fields))


_DOCUMENTS = _entry(
    {
        "did": st.one_of(st.just("did:web:a.example"), json_values),
        "url": st.one_of(st.none(), st.text(max_size=20), json_values),
        "kind": st.one_of(st.sampled_from(["did", "jwks", "x509"]), json_values),
        "fetchedAt": _TIMES,
        "document": json_values,
        "error": _ERRORS,
    }
)
_LISTS = _entry(
    {
        "url": st.one_of(st.just("https://a.example/l/1"), json_values),
        "fetchedAt": _TIMES,
        "stale": json_values,
        "token": json_values,
        "error": _ERRORS,
    }
)
_SCHEMAS = _entry(
    {
        "url": st.one_of(st.just("https://a.example/s"), json_values),
        "fetchedAt": _TIMES,
        "schema": json_values,
        "error": _ERRORS,
    }
)
_BUNDLES = st.fixed_dictionaries(
    _HEAD,
    optional={
        "verifiedAt": _TIMES,
        "trustList": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {}, optional={"location": json_values, "document": json_values, "fetchedAt": _TIMES}
            ),
        ),
        "didDocuments": st.one_of(json_values, st.lists(_DOCUMENTS, max_size=3)),
        "statusLists": st.one_of(json_values, st.lists(_LISTS, max_size=3)),
        "schemas": st.one_of(json_values, st.lists(_SCHEMAS, max_size=3)),
    },
)


def _parse(document: object) -> EvidenceBundle | None:
    try:
        return EvidenceBundle.from_json(document)
    except EvidenceError as exc:
        code = exc.code
    assert code == "evidence_invalid"
    return None


@bounded(150)
@given(_BUNDLES)
def test_any_bundle_parses_or_is_refused_with_a_code(document: dict[str, Any]) -> None:
    bundle = _parse(document)
    if bundle is not None:
        # What parsed writes back to a bundle that parses to the same thing.
        again = EvidenceBundle.from_json(bundle.to_json())
        assert again.to_json() == bundle.to_json()


@bounded(100)
@given(json_values)
def test_any_json_parses_or_is_refused_with_a_code(document: object) -> None:
    _parse(document)
