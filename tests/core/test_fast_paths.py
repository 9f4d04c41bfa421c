"""The verify path's memos and fast paths decide exactly as the slow paths did.

Strict JSON skips its walks only when the text cannot hold what they look for; a schema
is compiled once per schema object; a cached status list is inflated once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vcore.errors import MalformedError, SchemaInvalidError
from vcore.jsontext import MAX_DEPTH, loads_strict
from vcore.status import BitstringStatusList, build_status_list_credential
from vcore.status.mechanism import StatusListSnapshot
from vcore.status.registry import lookup
from vcore.verify.schema import compiled_validator

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"givenName": {"type": "string"}},
}


@pytest.mark.parametrize(
    "text",
    [
        '["\\ud800"]',
        '{"a": "x\\uDBFF"}',
        '["\\udc00 after"]',
        '["\ud800"]',
    ],
)
def test_lone_surrogates_are_still_refused(text: str) -> None:
    with pytest.raises(MalformedError, match="surrogate"):
        loads_strict(text)
    if "\ud800" not in text:
        with pytest.raises(MalformedError, match="surrogate"):
            loads_strict(text.encode("utf-8"))


def test_escaped_backslashes_and_pairs_are_still_accepted() -> None:
    assert loads_strict('["\\\\ud800"]') == ["\\ud800"]
    assert loads_strict('["\\ud83d\\ude00"]') == ["\U0001f600"]


def test_depth_is_still_refused_past_the_limit_and_accepted_at_it() -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads_strict(at_limit) is not None
    with pytest.raises(MalformedError, match="deeper"):
        loads_strict("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(MalformedError, match="deeper"):
        loads_strict(("{" + '"a":') * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1))
    # Many containers, shallow: walked, and accepted.
    assert len(loads_strict("[" + ",".join(["[]"] * 100) + "]")) == 100


def test_bytes_in_other_encodings_and_with_a_bom_parse_as_before() -> None:
    assert loads_strict('{"a": 1}'.encode("utf-16")) == {"a": 1}
    assert loads_strict(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    with pytest.raises(MalformedError):
        loads_strict(b'{"a": 1, "a": 2}')


def test_a_schema_is_compiled_once_per_schema_object() -> None:
    schema = dict(SCHEMA)
    first = compiled_validator(schema)
    assert compiled_validator(schema) is first
    assert compiled_validator(dict(SCHEMA)) is not first
    assert first.is_valid({"givenName": "Mei"})
    assert not first.is_valid({"givenName": 3})


def test_an_invalid_schema_is_refused_every_time() -> None:
    bad = {"type": "no-such-type"}
    for _ in range(2):
        with pytest.raises(SchemaInvalidError, match="itself is invalid"):
            compiled_validator(bad)


def test_a_cached_status_list_snapshot_is_inflated_once() -> None:
    url = "https://issuer.example/status-lists/rev1"
    bits = BitstringStatusList()
    bits.set(7, 1)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    payload = build_status_list_credential(
        list_id=url,
        issuer="did:web:issuer.example",
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from="2026-01-01T00:00:00Z",
        valid_until=None,
    )
    snapshot = StatusListSnapshot(url, "did:web:issuer.example", payload, now)
    mechanism = lookup("BitstringStatusListEntry")
    assert mechanism is not None
    entry = mechanism.parse_entry(
        {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "7",
            "statusListCredential": url,
        }
    )
    assert mechanism.value_at(snapshot, entry, snapshot.decoded) == 1
    assert len(snapshot.decoded) == 1
    decoded = next(iter(snapshot.decoded.values()))
    assert mechanism.value_at(snapshot, entry, snapshot.decoded) == 1
    assert next(iter(snapshot.decoded.values())) is decoded
    stale = snapshot.with_stale(True)
    assert stale.decoded is snapshot.decoded
    assert stale.fetched_at - now == timedelta(0)
