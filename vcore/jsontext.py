r"""Strict JSON text handling shared by tokens, documents and request bodies.

RFC 8259 leaves duplicate member names undefined; parsers disagree on which one wins,
which lets an attacker show one verifier a different claim than another. We refuse
duplicates, non-finite numbers and nesting deeper than :data:`MAX_DEPTH` (DESIGN §4).

We also refuse lone surrogates (a ``\ud800`` escape with no partner): the JSON grammar
allows them (RFC 8259 §8.2), but the result is not Unicode text, so it cannot be encoded
as UTF-8 (signing, hashing, storing, responding) and I-JSON (RFC 7493 §2.1) forbids it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from vcore.errors import MalformedError

__all__ = ["MAX_DEPTH", "check_depth", "dumps_compact", "loads_strict"]

MAX_DEPTH = 32

# Paired surrogates are joined by the parser; any surrogate left in a string is lone.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Where a surrogate could come from in a text: a raw one, or a \uD800-\uDFFF escape.
# (May match what is not one, e.g. an escaped backslash before "ud800": then the full
# walk decides.)
_MAY_HOLD_SURROGATE = re.compile("[\ud800-\udfff]|\\\\u[dD][89a-fA-F]")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise MalformedError(f"duplicate JSON member {name!r}")
        result[name] = value
    return result


def _no_constant(name: str) -> Any:
    raise MalformedError(f"non-finite number {name} is not JSON")


def check_depth(value: object, max_depth: int = MAX_DEPTH) -> None:
    """Raise :class:`MalformedError` when containers nest deeper than ``max_depth``."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise MalformedError(f"JSON nested deeper than {max_depth}")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def _check_unicode(value: object) -> None:
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise MalformedError("JSON string holds a lone surrogate (not Unicode text)")
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads_strict(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text, refusing duplicates, NaN/Infinity, deep nesting and lone surrogates.

    Raises:
        MalformedError: the text is not acceptable JSON.
    """
    text: str | bytes = data
    if isinstance(data, bytes) and not data.startswith(b"\xef\xbb\xbf"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data  # another encoding, or not text: json.loads and the walks judge
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except MalformedError:
        raise
    except (ValueError, RecursionError) as exc:
        raise MalformedError("not valid JSON") from exc
    # Fast paths (nearly every token and body): fewer containers than the depth limit
    # cannot nest deeper than it, and a text with no surrogate and no surrogate escape
    # cannot hold one; otherwise the values are walked.
    if not isinstance(text, str) or text.count("{") + text.count("[") > max_depth:
        check_depth(value, max_depth)
    if not isinstance(text, str) or _MAY_HOLD_SURROGATE.search(text):
        _check_unicode(value)
    return value


def dumps_compact(value: object) -> str:
    """Serialise without whitespace (smallest tokens and QR codes), UTF-8 kept as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
