"""What the citizen sees: tables, details, verification checks, and QR codes.

JSON shapes (``--json``) are built here too, so the table and the JSON always agree.
Every value that came from a credential, an issuer or a verifier passes through
:func:`wallet_cli.terminal.clean` here (one line, no control or bidi character), and the
console these functions draw on is a :class:`wallet_cli.terminal.SafeConsole`, which
strips such characters again from everything it renders.

An issuer is shown by the name a verifier's trust list gave it; any other name (its
OpenID4VCI metadata, the credential's ``issuer.name``, its host) carries the marker
``(self-declared)`` (:func:`issuer_label`).
Texts come from :mod:`wallet_cli.messages` in the locale the caller passes (English by
default); a type's name and its claim labels from the Type Metadata the wallet kept at
receipt (``display`` in that locale), else from the type's identifier and the claim names.
``--json`` shapes carry identifiers only, the same in every locale.
QR codes are planned with :mod:`vcore.qr` (so the wallet can say which version a code
needs before drawing it) and drawn with ``qrcode``: on the terminal with half-block
characters (two modules per character cell, explicitly black on white so dark terminal
themes do not invert the code), or as a PNG.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from vcore.credentials import DEFAULT_LEEWAY
from vcore.errors import QRError, QRTooLargeError
from vcore.i18n import Locale, claim_label, type_display_name
from vcore.portrait import PortraitError, parse_portrait
from wallet_cli.messages import message
from wallet_cli.records import (
    NAME_FROM_VERIFIER,
    NAME_SELF_DECLARED,
    CredentialRecord,
    holder_name_of,
    issuer_name_of,
)
from wallet_cli.terminal import clean

if TYPE_CHECKING:
    from vcore.qr import QRPlan  # vcore.qr loads every format: only when a QR is drawn

__all__ = [
    "Encoding",
    "QRCodeText",
    "credential_json",
    "display_type",
    "issuer_label",
    "overall_status",
    "plan_qr_text",
    "print_checks",
    "print_credential",
    "print_credentials",
    "print_qr",
    "qr_png",
    "render_qr_lines",
    "status_label",
    "type_label",
]


class Encoding(StrEnum):
    """Which QR text to use: the plain token when it fits (else compact), or force one."""

    auto = "auto"
    plain = "plain"
    compact = "compact"


def _date(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d")


def display_type(credential_type: str) -> str:
    """``ResidentIdentityCredential`` -> ``Resident Identity``: how a person names it."""
    name = credential_type.removesuffix("Credential") or credential_type
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    return words.strip()


def type_label(record: CredentialRecord, locale: Locale = Locale.EN) -> str:
    """The type's name in ``locale`` from its Type Metadata, else from its identifier."""
    return clean(
        type_display_name(record.type_metadata, locale) or display_type(record.view.credential_type)
    )


def claim_name(record: CredentialRecord, dotted: str, locale: Locale = Locale.EN) -> str:
    """A claim's label in ``locale`` from the Type Metadata, else its dotted name."""
    label = claim_label(record.type_metadata, dotted.split("."), locale)
    return clean(label or dotted)


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


SELF_DECLARED_MARK = "(self-declared)"
SELF_ISSUED_MARK = "(self-issued, self-declared)"


def issuer_label(
    record: CredentialRecord, limit: int | None = None, locale: Locale = Locale.EN
) -> str:
    """The issuer as the citizen reads it: the name a trust list gave it, else whatever
    it calls itself (metadata, ``issuer.name``, host or DID) followed by the marker.

    ``limit`` shortens the name, never the marker. A credential whose issuer is its own
    holder is always marked, whatever name it was stored under.
    """
    name = clean(record.issuer_name or issuer_name_of(record.view)) or clean(record.view.issuer)
    if limit is not None:
        name = _short(name, limit)
    if record.issuer_trusted:
        return name
    mark = message(locale, "mark.self_issued" if record.self_issued else "mark.self_declared")
    return f"{name} {mark}" if locale is Locale.EN else f"{name}{mark}"


def overall_status(record: CredentialRecord, now: datetime) -> str:
    """One word for a credential: revoked, suspended, expired, not_yet_valid, unknown, valid.

    ``unknown`` means it has a status list entry that has never been checked successfully.
    """
    view = record.view
    if record.status.revocation:
        return "revoked"
    if record.status.suspension:
        return "suspended"
    if view.valid_until is not None and view.valid_until < now - DEFAULT_LEEWAY:
        return "expired"
    if view.valid_from is not None and view.valid_from > now + DEFAULT_LEEWAY:
        return "not_yet_valid"
    if view.status_entries and record.status.checked_at is None:
        return "unknown"
    return "valid"


def status_label(record: CredentialRecord, now: datetime, locale: Locale = Locale.EN) -> str:
    """The status with the time it is known as of, e.g. ``revoked (as of 2026-11-23 10:31 UTC)``."""
    state = overall_status(record, now)
    label = message(locale, f"status.{state}")
    checked = record.status.checked_at
    if state in ("valid", "revoked", "suspended"):
        if not record.view.status_entries:
            label = message(locale, "status.no_list", status=label)
        elif checked:
            time = clean(checked[:16]).replace("T", " ")
            label = message(locale, "status.as_of", status=label, time=time)
    return label


def credential_json(record: CredentialRecord, now: datetime) -> dict[str, Any]:
    """The ``list --json`` object for one credential (DESIGN §3 "Wallet")."""
    view = record.view
    return {
        "id": record.id,
        "shortId": record.short_id,
        "type": view.credential_type,
        "types": view.types,
        "issuer": view.issuer,
        "issuerName": record.issuer_name,
        "issuerNameSource": NAME_FROM_VERIFIER if record.issuer_trusted else NAME_SELF_DECLARED,
        "issuerTrusted": record.issuer_trusted,
        "selfIssued": record.self_issued,
        "holder": view.holder,
        "holderName": holder_name_of(view),
        "validFrom": view.credential.get("validFrom"),
        "validUntil": view.credential.get("validUntil"),
        "status": overall_status(record, now),
        "revoked": record.status.revocation,
        "suspended": record.status.suspension,
        "statusCheckedAt": record.status.checked_at,
        "statusError": record.status.error,
        "format": view.format,
        "receivedAt": record.received_at,
    }


_STATUS_STYLE = {
    "valid": "green",
    "revoked": "bold red",
    "suspended": "yellow",
    "expired": "red",
    "not_yet_valid": "yellow",
    "unknown": "dim",
}


_TABLE_ROWS = 50
"""Up to this many credentials, ``list`` draws a Rich table; beyond, aligned columns:
Rich measures every cell of a table twice (about 1 s for 1,000 rows on the reference
machine), aligned columns cost milliseconds (issue 8: ``list`` of 1,000 <= KDF + 0.3 s)."""
_CELL_LIMIT = 40


def print_credentials(
    console: Console,
    records: Sequence[CredentialRecord],
    now: datetime,
    locale: Locale = Locale.EN,
) -> None:
    """The ``list`` table."""
    if not records:
        console.print(message(locale, "list.empty"))
        return
    rows = [_list_row(record, now, locale) for record in records]
    title = message(locale, "list.title", count=len(records))
    header = tuple(message(locale, key) for key in _LIST_HEADER)
    if len(rows) > _TABLE_ROWS:
        _print_columns(console, title, header, rows)
        return
    table = Table(title=title, title_justify="left")
    table.add_column(header[0], no_wrap=True)
    for name in header[1:]:
        table.add_column(name, overflow="fold")
    for cells, state in rows:
        table.add_row(*cells[:-1], Text(cells[-1], style=_STATUS_STYLE.get(state, "")))
    console.print(table)


_LIST_HEADER = ("col.id", "col.type", "col.issuer", "col.holder", "col.valid_until", "col.status")


def _list_row(
    record: CredentialRecord, now: datetime, locale: Locale
) -> tuple[tuple[str, ...], str]:
    view = record.view
    cells = (
        clean(record.short_id),
        type_label(record, locale),
        issuer_label(record, 28, locale),
        clean(holder_name_of(view, locale)) or "-",
        _date(view.valid_until) if view.valid_until else message(locale, "no_expiry"),
        status_label(record, now, locale),
    )
    return cells, overall_status(record, now)


def _print_columns(
    console: Console,
    title: str,
    header: tuple[str, ...],
    rows: Sequence[tuple[tuple[str, ...], str]],
) -> None:
    """A long list as aligned columns in one Text (same cells, no box)."""
    from rich.cells import cell_len

    short = [tuple(clean(c, _CELL_LIMIT) for c in cells) for cells, _ in rows]
    widths = [max(cell_len(cells[i]) for cells in (header, *short)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(cells, widths, strict=False))

    text = Text(title + "\n", style="italic")
    text.append(line(header).rstrip() + "\n", style="bold")
    for cells, (_, state) in zip(short, rows, strict=True):
        text.append(line(cells[:-1]) + "  ")
        text.append(cells[-1], style=_STATUS_STYLE.get(state, ""))
        text.append("\n")
    console.print(text, soft_wrap=True, end="")


def _flatten(value: object, prefix: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{index}]")
    else:
        yield clean(prefix), clean(_summary(value))


def _summary(value: object) -> object:
    # A portrait is thousands of base64 characters: say what it is instead.
    if isinstance(value, str) and value.startswith("data:image/"):
        try:
            portrait = parse_portrait(value)
        except PortraitError:
            return value
        return f"[{portrait.media_type}, {len(portrait.data):,} bytes]"
    return value


def print_credential(
    console: Console,
    record: CredentialRecord,
    now: datetime,
    holder_did: str,
    locale: Locale = Locale.EN,
) -> None:
    """The ``show`` view: what it is, who issued it, to whom, until when, its status, claims."""
    view = record.view
    state = overall_status(record, now)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column(overflow="fold")
    holder = clean(view.holder) if view.holder else message(locale, "holder.bearer")
    if view.holder and view.holder.split("#")[0] == holder_did:
        holder += "\n" + message(locale, "holder.this_wallet")
    issuer = f"{issuer_label(record, locale=locale)}\n{clean(view.issuer)}"
    kind = type_label(record, locale)
    rows: list[tuple[str, str | Text]] = [
        ("row.type", f"{kind}\n{clean(view.credential_type)}"),
        ("row.id", clean(record.id)),
        ("row.issuer", issuer),
        ("row.holder", holder),
    ]
    name = holder_name_of(view, locale)
    if name:
        rows.append(("row.name", clean(name)))
    rows += [
        ("row.valid_from", clean(view.credential.get("validFrom")) or "-"),
        (
            "row.valid_until",
            clean(view.credential.get("validUntil")) or message(locale, "no_expiry"),
        ),
        (
            "row.status",
            Text(status_label(record, now, locale), style=_STATUS_STYLE.get(state, "")),
        ),
        ("row.format", clean(view.format)),
        ("row.received", clean(record.received_at)),
    ]
    if record.status.error:
        rows.append(("row.status_error", clean(record.status.error)))
    rows.extend(("row.note", clean(note)) for note in record.notes)
    for key, value in rows:
        head.add_row(message(locale, key), value)
    console.print(head)
    claims = Table(title=message(locale, "claims.title"), title_justify="left")
    claims.add_column(message(locale, "claims.claim"), style="bold")
    claims.add_column(message(locale, "claims.value"), overflow="fold")
    for dotted, text in _flatten({k: v for k, v in view.subject.items() if k != "id"}):
        claims.add_row(claim_name(record, dotted, locale), text)
    console.print(claims)


_CHECK_STYLE = {"passed": "green", "failed": "bold red", "skipped": "dim"}


def print_checks(console: Console, report: Mapping[str, Any], locale: Locale = Locale.EN) -> None:
    """A verifier's report: verdict, then each check with its outcome and detail."""
    verified = bool(report.get("verified"))
    verdict = Text(
        message(locale, "checks.verified" if verified else "checks.not_verified"),
        style="bold green" if verified else "bold red",
    )
    console.print(verdict)
    table = Table()
    table.add_column(message(locale, "checks.check"))
    table.add_column(message(locale, "checks.result"))
    table.add_column(message(locale, "checks.detail"), overflow="fold")
    checks = report.get("checks")
    for check in checks if isinstance(checks, list) else []:
        if not isinstance(check, Mapping):
            continue
        status = clean(check.get("status", ""))
        table.add_row(
            clean(check.get("id", "")),
            Text(status, style=_CHECK_STYLE.get(status, "")),
            clean(check.get("detail", "")),
        )
    console.print(table)
    warnings = report.get("warnings")
    for warning in warnings if isinstance(warnings, list) else []:
        lead = message(locale, "warning")
        console.print(Text.assemble((lead, "yellow"), clean(warning)), soft_wrap=True)


# -- QR codes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QRCodeText:
    """The text chosen for a QR code, its plan, and whether it is the compact form."""

    text: str
    plan: QRPlan
    compact: bool

    def describe(self) -> str:
        form = "compact TID1 form" if self.compact else "plain token"
        return f"{self.plan.describe()}, {form}"


def plan_qr_text(token: str, encoding: Encoding = Encoding.auto) -> QRCodeText:
    """Choose the QR text that makes the smallest code (DESIGN §2 "QR budget").

    ``auto`` takes whichever form needs the lower QR version (the compact ``TID1`` form
    that TrustID verifiers read, in practice; the plain token on a tie): a smaller code
    scans more reliably off a phone screen. ``plain`` keeps the token itself, which any
    scanner reads.

    Raises:
        QRTooLargeError: neither form fits in one QR code (with both sizes).
    """
    from vcore.qr import best_plan, encode_qr_text

    candidates: list[QRCodeText] = []
    if encoding in (Encoding.auto, Encoding.plain):
        candidates.append(QRCodeText(token, best_plan(token), compact=False))
    if encoding in (Encoding.auto, Encoding.compact):
        try:
            text = encode_qr_text(token, compact=True)
        except QRError:
            if encoding is Encoding.compact:
                raise
        else:
            candidates.append(QRCodeText(text, best_plan(text), compact=True))
    fitting = [c for c in candidates if c.plan.fits]
    if fitting:
        return min(fitting, key=lambda c: (c.plan.version or 41, c.plan.ecc != "M", c.compact))
    sizes = ", ".join(
        f"{'compact' if c.compact else 'plain'} {c.plan.length:,} characters" for c in candidates
    )
    raise QRTooLargeError(
        f"too large for one QR code ({sizes}; at most {candidates[-1].plan.capacity:,} fit)"
    )


def _make_qr(chosen: QRCodeText, box_size: int = 1) -> Any:
    import qrcode
    import qrcode.constants
    import qrcode.util

    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    code = qrcode.QRCode(
        version=chosen.plan.version,
        error_correction=levels[chosen.plan.ecc],
        box_size=box_size,
        border=4,
    )
    # qrcode.util.MODE_ALPHA_NUM is 2 and MODE_8BIT_BYTE 4; its stubs type them as int.
    mode: Literal[2, 4] = 2 if chosen.plan.mode == "alphanumeric" else 4
    code.add_data(qrcode.util.QRData(chosen.text, mode=mode))
    code.make(fit=False)
    return code


def render_qr_lines(chosen: QRCodeText) -> list[str]:
    """The QR code as text lines: each character is two modules stacked (dark = ink)."""
    matrix: list[list[bool]] = _make_qr(chosen).get_matrix()
    blocks = {
        (False, False): " ",
        (True, False): "\u2580",
        (False, True): "\u2584",
        (True, True): "\u2588",
    }
    lines = []
    for y in range(0, len(matrix), 2):
        top = matrix[y]
        bottom = matrix[y + 1] if y + 1 < len(matrix) else [False] * len(top)
        lines.append("".join(blocks[(t, b)] for t, b in zip(top, bottom, strict=True)))
    return lines


def print_qr(console: Console, chosen: QRCodeText) -> None:
    """Draw the code on the terminal, black ink on white so any theme scans."""
    lines = render_qr_lines(chosen)
    width = len(lines[0]) if lines else 0
    if console.is_terminal and console.width < width:
        console.print(
            f"this code is {width} columns wide and the terminal has {console.width}: "
            "widen the window or use --png FILE",
            style="yellow",
        )
    for line in lines:
        console.print(Text(line, style="black on white"), soft_wrap=True, highlight=False)


def qr_png(chosen: QRCodeText, box_size: int = 6) -> bytes:
    """The code as a PNG (``box_size`` pixels per module, 4-module quiet zone)."""
    image = _make_qr(chosen, box_size=box_size).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
