r"""Strict JSON request bodies, refused with the line and column of the fault.

The rules are :func:`vcore.jsontext.loads_strict`'s (no duplicate member names, no
NaN/Infinity, nesting at most :data:`~vcore.jsontext.MAX_DEPTH`, no lone surrogates);
this module adds *where*: a client whose 40-line body is refused is told
``duplicate JSON member 'type' at line 12, column 5`` rather than "not valid JSON".

Bodies that pass (nearly all) are parsed once, by the C parser. Only a refused body is
walked a second time (:func:`locate_refusal`) to find the first fault in document
order; the walk is iterative, so a body nested a million levels deep costs no recursion.
"""

from __future__ import annotations

import json
import re
from typing import Any

from vcore.errors import MalformedError
from vcore.jsontext import MAX_DEPTH, loads_strict

__all__ = ["JSONFault", "loads_request", "locate_refusal"]

_WS = re.compile(r"[ \t\n\r]*")
_CONSTANTS = ("NaN", "Infinity", "-Infinity")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DECODER = json.JSONDecoder()


class JSONFault:
    """Where a JSON text is refused: 1-based ``line`` and ``column`` and the ``reason``."""

    __slots__ = ("column", "line", "reason")

    def __init__(self, reason: str, line: int, column: int) -> None:
        self.reason = reason
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.reason} at line {self.line}, column {self.column}"

    def __repr__(self) -> str:
        return f"JSONFault({self.reason!r}, {self.line}, {self.column})"


def _at(text: str, index: int, reason: str) -> JSONFault:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return JSONFault(reason, line, column)


def _decode(data: str | bytes) -> str | JSONFault:
    """The text ``json.loads`` would parse, or the fault of undecodable bytes."""
    if isinstance(data, str):
        return data
    try:
        return data.decode(json.detect_encoding(data), "surrogatepass")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return JSONFault(f"not {exc.encoding.upper()} text (byte {exc.start})", line, column)


def locate_refusal(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> JSONFault | None:
    """The first thing in ``data`` that :func:`vcore.jsontext.loads_strict` refuses.

    Returns None when nothing is found (the text is acceptable). Positions count
    characters of the decoded text, like :class:`json.JSONDecodeError`.
    """
    text = _decode(data)
    if isinstance(text, JSONFault):
        return text
    try:
        _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        syntax: JSONFault | None = JSONFault(exc.msg, exc.lineno, exc.colno)
    except RecursionError:
        syntax = None  # too deep for the C parser; the walk below finds the depth
    else:
        syntax = None
    semantic = _walk(text, max_depth)
    if semantic is None:
        return syntax
    if syntax is None or (semantic.line, semantic.column) <= (syntax.line, syntax.column):
        return semantic
    return syntax


def _skip(text: str, index: int) -> int:
    match = _WS.match(text, index)
    return match.end() if match else index


def _string_fault(text: str, index: int, value: str) -> JSONFault | None:
    if _SURROGATE.search(value):
        return _at(text, index, "JSON string holds a lone surrogate (not Unicode text)")
    return None


def _walk(text: str, max_depth: int) -> JSONFault | None:
    """Find a duplicate member, a non-finite number, excess depth or a lone surrogate.

    Stops quietly (None) at the first syntax error: the parser reports those.
    """
    stack: list[set[str] | None] = []  # member names seen per open object; None for arrays
    i = _skip(text, 0)
    expect_key = False
    while True:
        if expect_key:
            # A member name, then ':', then its value.
            if not text.startswith('"', i):
                return None
            try:
                name, end = _DECODER.raw_decode(text, i)
            except json.JSONDecodeError:
                return None
            fault = _string_fault(text, i, name)
            if fault is not None:
                return fault
            seen = stack[-1]
            assert seen is not None  # noqa: S101 - keys are only expected inside objects
            if name in seen:
                return _at(text, i, f"duplicate JSON member {name!r}")
            seen.add(name)
            i = _skip(text, end)
            if not text.startswith(":", i):
                return None
            i = _skip(text, i + 1)
            expect_key = False
        # A value starts at i.
        if text.startswith(_CONSTANTS, i):
            return _at(text, i, "non-finite number is not JSON")
        char = text[i : i + 1]
        if char in ("{", "["):
            if len(stack) + 1 > max_depth:
                return _at(text, i, f"JSON nested deeper than {max_depth}")
            closer = "}" if char == "{" else "]"
            j = _skip(text, i + 1)
            if text.startswith(closer, j):
                i = j + 1
            else:
                stack.append(set() if char == "{" else None)
                i = j
                expect_key = char == "{"
                continue
        else:
            try:
                value, end = _DECODER.raw_decode(text, i)
            except json.JSONDecodeError:
                return None
            if isinstance(value, str):
                fault = _string_fault(text, i, value)
                if fault is not None:
                    return fault
            i = end
        # After a value: ',' (next item), a closer, or the end of the text.
        while True:
            i = _skip(text, i)
            if not stack:
                return None
            char = text[i : i + 1]
            in_object = stack[-1] is not None
            if char == ",":
                i = _skip(text, i + 1)
                expect_key = in_object
                break
            if char == ("}" if in_object else "]"):
                stack.pop()
                i += 1
                continue
            return None


def loads_request(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a request body as strict JSON.

    Raises:
        MalformedError: the body is refused; ``detail`` names the fault and, where one
            can be given, its line and column (``... at line 3, column 7``).
    """
    try:
        return loads_strict(data, max_depth=max_depth)
    except MalformedError as exc:
        fault = locate_refusal(data, max_depth=max_depth)
        if fault is None:
            raise
        raise MalformedError(str(fault)) from exc
