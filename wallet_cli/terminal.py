"""Everything the wallet writes to the terminal goes through here, made safe first.

Claims, issuer names, credential types and ids, a verifier's problem details and any
error message quoting them come from outside. A hostile credential must not be able to
clear the screen (``ESC[2J``), plant a hyperlink (OSC 8), overwrite what was printed
(``CR``, backspace), or reorder what the citizen reads (bidi overrides such as U+202E).

Two layers, both built on :func:`strip_unsafe`:

* **The single exit.** :class:`SafeConsole` (every Rich table, line and QR caption;
  the wallet's only :class:`rich.console.Console`) removes unsafe characters from every
  text segment it renders, after layout and after any caller; :func:`echo` does the same
  for plain lines (JSON, tokens, the DID, error lines). No other module prints: a test
  (``tests/wallet_cli/test_terminal.py``) fails if one calls ``print``, ``typer.echo``,
  ``typer.confirm`` or builds its own ``Console``.
* **One line per value.** :func:`clean` also folds line breaks and tabs into spaces, so a
  claim cannot forge an extra table row or status line; renderers apply it to every
  field that did not come from the wallet itself.

``--json`` output is made with :func:`dumps_json`: the JSON module escapes C0 controls
but, with ``ensure_ascii=False``, leaves C1 controls, DEL and bidi characters raw; those
are written as ``\\uXXXX`` escapes, which is the same JSON value, so a script reads the
exact data and a terminal sees nothing it would act on.

Removed: C0 controls (except the line breaks the wallet itself writes), DEL, C1
controls (U+0080..U+009F), every Unicode *format* character (category Cf: bidi embeddings,
overrides and isolates U+202A..U+202E and U+2066..U+2069, marks U+200E/U+200F/U+061C,
zero-width space U+200B, word joiner, BOM, interlinear annotations, tag characters...),
line/paragraph separators, and lone surrogates. Kept: ZWNJ/ZWJ (U+200C/U+200D), which
Persian and Indic names and emoji need and which move or hide nothing on their own.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment

__all__ = ["SafeConsole", "clean", "confirm", "dumps_json", "echo", "is_unsafe", "strip_unsafe"]

_KEEP = frozenset("\u200c\u200d")
_SPACE = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")


@lru_cache(maxsize=8192)
def is_unsafe(char: str) -> bool:
    """True for a character the wallet never writes to a terminal (see the module doc)."""
    if char in _KEEP:
        return False
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return True
    return unicodedata.category(char) in ("Cf", "Cs", "Zl", "Zp")


def _scrub(text: str, *, newlines: bool) -> str:
    if text.isascii() and text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if (char == "\n" and newlines) or not is_unsafe(char):
            out.append(char)
        elif char in _SPACE:
            out.append(" ")
    return "".join(out)


def strip_unsafe(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` without terminal controls and invisible format characters.

    ``keep_newlines`` keeps ``\\n`` (multi-line output the wallet itself lays out);
    other line breaks and tabs become spaces.
    """
    return _scrub(text, newlines=keep_newlines)


def clean(value: object, limit: int | None = None) -> str:
    """One line of safe text for a value from outside (a claim, a name, an id, a detail).

    Unsafe characters are removed, line breaks and tabs become single spaces, runs of
    spaces are folded; ``limit`` shortens with ``...``.
    """
    text = "" if value is None else value if isinstance(value, str) else str(value)
    text = strip_unsafe(text, keep_newlines=False)
    if "  " in text:
        text = re.sub(" {2,}", " ", text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    return text


class SafeConsole(Console):
    """A Rich console that cannot write a control or bidi character from content.

    Every segment Rich renders (also each table cell, which Rich renders through this
    method) has its text passed through :func:`strip_unsafe`; the console's own control
    segments (cursor moves Rich makes itself) carry no content and pass as they are.
    Markup, emoji and highlighting are off: ``[red]`` in a claim is text, not a style.
    """

    def __init__(self, *, stderr: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("emoji", False)
        kwargs.setdefault("highlight", False)
        super().__init__(stderr=stderr, **kwargs)

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control:
                yield segment
            else:
                text = strip_unsafe(segment.text)
                yield segment if text == segment.text else Segment(text, segment.style)


def echo(text: str, *, err: bool = False) -> None:
    """Write one plain line (JSON, a token, the DID, an error line), made safe."""
    typer.echo(strip_unsafe(text), err=err)


def confirm(question: str) -> bool:
    """Ask yes/no on the terminal; the question is made safe first."""
    return typer.confirm(clean(question), default=False)


def _escape(char: str) -> str:
    data = char.encode("utf-16-be", "surrogatepass")
    return "".join(f"\\u{data[i] << 8 | data[i + 1]:04x}" for i in range(0, len(data), 2))


def dumps_json(value: object, *, indent: int | None = None) -> str:
    """JSON text of ``value`` that is safe on a terminal and decodes to the same value.

    Non-ASCII letters stay readable; every unsafe character is a ``\\uXXXX`` escape.
    JSON escapes control characters inside strings itself, so a raw ``\\n`` in its
    output is only ever layout (``indent``) and stays.
    """
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    if text.isascii() and text.replace("\n", "").isprintable():
        return text
    return "".join(_escape(c) if c != "\n" and is_unsafe(c) else c for c in text)
