"""trustid_http.json: strict request JSON, refused with the line and column of the fault."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from trustid_http.json import loads_request, locate_refusal
from vcore.errors import MalformedError
from vcore.jsontext import loads_strict


def _refusal(data: str | bytes) -> str:
    with pytest.raises(MalformedError) as caught:
        loads_request(data)
    return caught.value.detail


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            b'{\n  "type": "A",\n  "id": 1,\n  "type": "B"\n}',
            "duplicate JSON member 'type' at line 4, column 3",
            id="duplicate member",
        ),
        pytest.param(
            b'{"a": [1, {"b": 1, "b": 2}]}',
            "duplicate JSON member 'b' at line 1, column 20",
            id="duplicate in a nested object",
        ),
        pytest.param(
            b'{"a": 1, "b": [\n  1,\n  NaN\n]}',
            "non-finite number is not JSON at line 3, column 3",
            id="NaN",
        ),
        pytest.param(
            b'{"a": -Infinity}', "non-finite number is not JSON at line 1, column 7", id="-Infinity"
        ),
        pytest.param(
            b'{"name": "\\udc00"}',
            "JSON string holds a lone surrogate (not Unicode text) at line 1, column 10",
            id="lone surrogate value",
        ),
        pytest.param(
            b'{"a": {"\\ud800": 1}}',
            "JSON string holds a lone surrogate (not Unicode text) at line 1, column 8",
            id="lone surrogate key",
        ),
        pytest.param(
            b"[" * 33 + b"]" * 33, "JSON nested deeper than 32 at line 1, column 33", id="depth 33"
        ),
        pytest.param(
            b"[" * 200_000, "JSON nested deeper than 32 at line 1, column 33", id="deeper than C"
        ),
        pytest.param(
            b'{"a": 1\n "b": 2}', "Expecting ',' delimiter at line 2, column 2", id="syntax"
        ),
        pytest.param(b'{"a": 1,}', "at line 1, column 9", id="trailing comma"),
        pytest.param(b"", "Expecting value at line 1, column 1", id="empty"),
        pytest.param(
            b'{"a": "\xc3\x28"}', "not UTF-8 text (byte 7) at line 1, column 8", id="utf8"
        ),
        pytest.param(
            b'{"a": 1, "a": 2, oops',
            "duplicate JSON member 'a' at line 1, column 10",
            id="first fault wins over a later syntax error",
        ),
        pytest.param(
            b'{"a": oops, "a": 2}',
            "Expecting value at line 1, column 7",
            id="first fault wins over a later duplicate",
        ),
    ],
)
def test_refusals_name_line_and_column(data: bytes, expected: str) -> None:
    assert expected in _refusal(data)
    # The same text is refused by the core rule, so positions add to it, never loosen it.
    with pytest.raises(MalformedError):
        loads_strict(data)


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [True, False, None, -1.5e3, "x"], "c": {}},
        [[[]]],
        "\U0001f600 paired surrogates are fine",
        {"nested": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
        0,
    ],
)
def test_acceptable_bodies_parse_as_json_loads_does(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=3, ensure_ascii=False)):
        assert loads_request(text) == json.loads(text)
        assert loads_request(text.encode("utf-8")) == json.loads(text)
        assert locate_refusal(text) is None


def test_utf16_bodies_are_decoded_as_json_loads_does() -> None:
    text = '{"a": 1,\n "a": 2}'
    assert "at line 2, column 2" in _refusal(text.encode("utf-16"))


def _random_value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(6 if depth < 5 else 4)
    if kind == 0:
        return rng.randint(-(10**6), 10**6)
    if kind == 1:
        return rng.choice(["x", "é", "a\nb", "\U0001f600", ""])
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.random()
    if kind == 4:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randrange(4))}


def test_the_reported_position_is_where_the_duplicate_was_put() -> None:
    # Independent oracle: place a duplicate member at a known offset of json.dumps output.
    rng = random.Random(7)  # noqa: S311 - test data, not secrets
    for _ in range(200):
        value = {"head": _random_value(rng, 0), "dup": 1, "tail": _random_value(rng, 0)}
        text = json.dumps(value, indent=rng.choice([None, 1, 2]), ensure_ascii=rng.random() < 0.5)
        cut = text.rindex("}")
        injected = text[:cut].rstrip() + ', "dup": 2' + text[cut:]
        offset = injected.index('"dup": 2')
        line = injected.count("\n", 0, offset) + 1
        column = offset - (injected.rfind("\n", 0, offset) + 1) + 1
        fault = locate_refusal(injected)
        assert fault is not None
        assert (fault.reason, fault.line, fault.column) == (
            "duplicate JSON member 'dup'",
            line,
            column,
        )
