"""Property tests: the VC Data Model 2.0 checks (vcore.vcdm) refuse with a code, never crash.

Any JSON in any member of a credential or presentation either passes or raises a
:class:`~vcore.errors.DataModelError` (whose code names the rule); where it passes, the
document really has the shape the rules promise.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.property.strategies import bounded, dates, json_values
from vcore.errors import DataModelError
from vcore.vcdm import (
    VC2_CONTEXT,
    check_credential,
    check_envelope,
    check_presentation,
    is_url,
    parse_date_time_stamp,
)

pytestmark = pytest.mark.property

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
_BASE: dict[str, Any] = {
    "@context": [VC2_CONTEXT],
    "type": ["VerifiableCredential"],
    "issuer": "did:web:issuer.example",
    "credentialSubject": {"id": "did:example:subject"},
}
# Values near the rules: contexts, typed objects, language values, related resources.
_near = st.one_of(
    json_values,
    dates,
    st.lists(st.one_of(st.just(VC2_CONTEXT), json_values), max_size=4),
    st.fixed_dictionaries({"type": json_values}, optional={"id": json_values}),
    st.fixed_dictionaries(
        {"@value": json_values}, optional={"@language": json_values, "@direction": json_values}
    ),
    st.fixed_dictionaries(
        {"id": json_values},
        optional={
            "digestSRI": json_values,
            "digestMultibase": json_values,
            "mediaType": json_values,
        },
    ),
)


def _code_of(call: Any, *args: Any, **kwargs: Any) -> str | None:
    """None when ``call`` passed, else the code of the DataModelError it raised."""
    try:
        call(*args, **kwargs)
    except DataModelError as exc:
        error = exc
    else:
        return None
    return error.code


def _refused_with_a_code(check: Any, document: Any) -> bool:
    code = _code_of(check, document, resources={"did:example:subject": b"x"})
    assert code is None or code.startswith("vcdm_")
    return code is not None


@bounded(400)
@given(st.dictionaries(st.sampled_from(_MEMBERS), _near, min_size=1, max_size=4))
def test_any_member_values(members: dict[str, Any]) -> None:
    document = {**_BASE, **members}
    if not _refused_with_a_code(check_credential, document):
        # Passing means the §4 shape holds.
        contexts = document["@context"]
        assert (contexts[0] if isinstance(contexts, list) else contexts) == VC2_CONTEXT
        types = document["type"]
        assert "VerifiableCredential" in (types if isinstance(types, list) else [types])
        issuer = document["issuer"]
        assert is_url(issuer["id"] if isinstance(issuer, dict) else issuer)


@bounded(200)
@given(json_values)
def test_any_document(document: Any) -> None:
    _refused_with_a_code(check_credential, document)
    _refused_with_a_code(check_presentation, document)
    assert _code_of(check_envelope, document) in {None, "envelope_invalid"}


@bounded(200)
@given(
    st.dictionaries(
        st.sampled_from(["@context", "id", "type", "holder", "verifiableCredential", "proof"]),
        _near,
        max_size=4,
    )
)
def test_any_presentation_members(members: dict[str, Any]) -> None:
    document = {"@context": [VC2_CONTEXT], "type": ["VerifiablePresentation"], **members}
    _refused_with_a_code(check_presentation, document)


@bounded(300)
@given(dates)
def test_date_time_stamps(value: Any) -> None:
    code = _code_of(parse_date_time_stamp, value, "validFrom")
    assert code in {None, "vcdm_validity"}
    if code is None:
        assert parse_date_time_stamp(value, "validFrom").tzinfo is not None
