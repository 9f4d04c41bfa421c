"""The one sanitiser (wallet_cli.terminal) and the rule that nothing prints around it."""

from __future__ import annotations

import ast
import io
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.table import Table
from rich.text import Text

import wallet_cli
from wallet_cli.terminal import SafeConsole, clean, dumps_json, is_unsafe, strip_unsafe

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
HOSTILE = [
    "\x1b[2J\x1b[H",  # clear screen, cursor home
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]0;title\x07",  # OSC set title, BEL
    "VALID\rREVOKED",  # carriage-return overwrite
    "abc\x08\x08\x08xyz",  # backspaces
    "\u202egnp.exe",  # right-to-left override
    "\x9b2J\x9d0;t\x9c",  # C1 CSI / OSC / ST
    "a\x7fb\x00c",  # DEL, NUL
    "zero\u200bwidth\ufeffbom\u2060joiner",
    "tag\U000e0041\U000e0042",  # tag characters (invisible)
    "line\u2028sep\u2029para\x85nel",
]


def _unsafe_in(text: str, *, newlines_ok: bool = True) -> list[str]:
    return [c for c in text if is_unsafe(c) and not (newlines_ok and c == "\n")]


@pytest.mark.parametrize("attack", HOSTILE)
def test_clean_leaves_one_line_without_controls_or_bidi(attack: str) -> None:
    cleaned = clean(attack)
    assert _unsafe_in(cleaned, newlines_ok=False) == []
    assert "\n" not in cleaned
    assert "\x1b" not in cleaned
    assert "\r" not in cleaned


def test_every_bidi_control_is_removed_and_letters_stay() -> None:
    name = f"Zhang{BIDI}Wei 张伟 محمد Ελένη नमस्ते"
    assert clean(name) == "ZhangWei 张伟 محمد Ελένη नमस्ते"
    # ZWNJ / ZWJ are kept: Persian names and emoji need them, they hide nothing.
    kept = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001f469\u200d\U0001f4bb"
    assert clean(kept) == kept


def test_clean_folds_line_breaks_and_limits_length() -> None:
    assert clean("Registry\n\n  of\tBeijing") == "Registry of Beijing"
    assert clean("x" * 50, 10) == "xxxxxxx..."
    assert clean(None) == ""
    assert clean(42) == "42"


def test_strip_unsafe_keeps_the_wallets_own_newlines() -> None:
    assert strip_unsafe("a\x1b[1mb\nc\rd") == "a[1mb\nc d"


@given(st.text())
def test_nothing_unsafe_survives_any_text(text: str) -> None:
    assert _unsafe_in(clean(text), newlines_ok=False) == []
    assert _unsafe_in(strip_unsafe(text)) == []


@given(
    st.recursive(
        st.text() | st.integers() | st.none(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_dumps_json_is_the_same_value_and_terminal_safe(value: object) -> None:
    for indent in (None, 2):
        text = dumps_json(value, indent=indent)
        assert json.loads(text) == value
        assert _unsafe_in(text) == []


def test_plain_json_escaping_does_not_neutralise_c1_and_bidi() -> None:
    """Why dumps_json exists: json.dumps(ensure_ascii=False) leaves these raw."""
    raw = json.dumps({"name": "\u202eevil\x9b2J"}, ensure_ascii=False)
    assert "\u202e" in raw
    assert "\x9b" in raw
    safe = dumps_json({"name": "\u202eevil\x9b2J"})
    assert "\u202e" not in safe
    assert "\\u202e" in safe
    assert "\\u009b" in safe


def _render(renderable: object, *, terminal: bool) -> str:
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, force_terminal=terminal, width=100)
    console.print(renderable)
    return buffer.getvalue()


@pytest.mark.parametrize("terminal", [False, True])
def test_safe_console_strips_content_even_when_a_caller_forgot(terminal: bool) -> None:
    table = Table("Claim", "Value")
    for attack in HOSTILE:
        table.add_row(attack, Text(attack, style="bold"))
    out = _render(table, terminal=terminal) + _render("\x1b[2J" + BIDI, terminal=terminal)
    if terminal:
        # Rich's own style codes are the only escapes: SGR "ESC [ ... m", nothing else.
        import re

        out = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert _unsafe_in(out) == [], [unicodedata.name(c, hex(ord(c))) for c in _unsafe_in(out)]
    assert "[2J" in out  # the harmless remainder stays visible: tampering shows


# -- nothing prints around the sanitiser -----------------------------------------------------

_ALLOWED = {"terminal.py"}


def _calls(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = func.value if isinstance(func, ast.Attribute) else None
            owner_name = getattr(owner, "id", getattr(owner, "attr", "")) if owner else ""
            if name in {"echo", "secho", "confirm", "prompt"} and owner_name in {"typer", "click"}:
                found.append((node.lineno, f"{owner_name}.{name}"))
            elif name == "print" and owner is None:
                found.append((node.lineno, "print"))
            elif name == "Console":
                found.append((node.lineno, "Console"))
            elif name == "write" and owner_name in {"stdout", "stderr"}:
                found.append((node.lineno, f"{owner_name}.write"))
    return found


def test_no_module_writes_to_the_terminal_except_through_wallet_cli_terminal() -> None:
    root = Path(wallet_cli.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name in _ALLOWED:
            continue
        for line, call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(root)}:{line}: {call}")
    assert offenders == [], "print through wallet_cli.terminal / Session instead: " + "; ".join(
        offenders
    )


def test_the_guard_itself_sees_a_bypass() -> None:
    tree = ast.parse("import typer, sys\ntyper.echo(x)\nprint(y)\nsys.stdout.write(z)\nConsole()")
    assert [c for _, c in _calls(tree)] == ["typer.echo", "print", "stdout.write", "Console"]
