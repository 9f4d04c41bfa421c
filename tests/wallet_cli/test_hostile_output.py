"""Hostile credentials, issuers and verifiers through every command that prints.

Each test feeds terminal attacks (clear screen, OSC 8 hyperlinks, title setting, CR and
backspace overwrite, bidi overrides, C1 controls) in claims, types, ids, holder DIDs,
status URLs and a verifier's report, and asserts that nothing unsafe reaches stdout or
stderr, while the --json output still carries the exact values (escaped).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import Result

from vcore.credentials import build_credential
from vcore.dids import holder_kid
from vcore.formats import sign_credential
from vcore.signing import SoftwareSigner
from wallet_cli.terminal import is_unsafe

from .conftest import CLAIMS, OfflineIssuer, WalletRunner, assert_one_line_error

CLEAR = "\x1b[2J\x1b[H"
LINK = "\x1b]8;;https://evil.example/\x1b\\Ministry of Interior\x1b]8;;\x1b\\"
TITLE = "\x1b]0;pwned\x07"
OVERWRITE = "REVOKED\rVALID  "
RLO = "\u202eetadilav\u202c"
C1 = "\x9b2J\x9d0;t\x9c"
ATTACKS = [CLEAR, LINK, TITLE, OVERWRITE, RLO, C1, "a\x08\x08b", "x\u2066y\u2069z\u200f"]
HOSTILE_CLAIMS = {
    **CLAIMS,
    "givenName": "Wei" + CLEAR,
    "familyName": "Zhang" + RLO,
    "note": LINK + TITLE,
    "address": {"street": OVERWRITE, "city": C1 + "Beijing\nStatus: VALID"},
    "aliases": ATTACKS,
}
HOSTILE_TYPE = "Resident" + CLEAR + "\u202eCredential"


def assert_terminal_safe(result: Result) -> None:
    for stream in (result.stdout, result.stderr):
        bad = sorted({hex(ord(c)) for c in stream if is_unsafe(c) and c != "\n"})
        assert bad == [], (bad, stream[:2000])


def _issue(issuer: OfflineIssuer, holder: str | None, **kw: Any) -> str:
    kw.setdefault("claims", HOSTILE_CLAIMS)
    kw.setdefault("credential_type", HOSTILE_TYPE)
    return issuer.issue(holder, **kw)


def _only_id(wallet: WalletRunner) -> str:
    (item,) = json.loads(wallet.ok("list", "--json").stdout)
    return str(item["shortId"])


def test_hostile_claims_and_type_through_receive_list_and_show(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    received = wallet.ok("receive", _issue(issuer, wallet.did()))
    assert_terminal_safe(received)
    assert "Stored Resident[2J[HCredential" in received.stdout

    listed = wallet.ok("list")
    assert_terminal_safe(listed)
    short = _only_id(wallet)
    shown = wallet.ok("show", short)
    assert_terminal_safe(shown)
    assert "Wei[2J[H" in shown.stdout
    assert "REVOKED VALID" in shown.stdout
    # The forged second line of the city claim stays on the claim's own line.
    assert not any(line.startswith("Status: VALID") for line in shown.stdout.splitlines())
    assert_terminal_safe(wallet.ok("show", short, "--qr"))


def test_hostile_values_survive_exactly_in_json_but_escaped(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    received = wallet.ok("receive", _issue(issuer, wallet.did()), "--json")
    assert_terminal_safe(received)
    short = _only_id(wallet)
    for args in (("list", "--json"), ("show", short, "--json"), ("status", "--json")):
        result = wallet.ok(*args)
        assert_terminal_safe(result)
    detail = json.loads(wallet.ok("show", short, "--json").stdout)
    assert detail["credential"]["credentialSubject"]["address"] == HOSTILE_CLAIMS["address"]
    assert detail["credential"]["credentialSubject"]["aliases"] == ATTACKS
    assert detail["type"] == HOSTILE_TYPE


def test_hostile_status_list_url_in_status_warnings(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    url = "https://status.example/" + LINK + OVERWRITE
    entry = {
        "id": url + "#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": url,
    }
    token = _issue(issuer, wallet.did(), status=[entry])
    received = wallet("receive", token)
    assert_terminal_safe(received)
    if received.exit_code != 0:  # vcore refuses a status URL that is not a URL: one line
        assert_one_line_error(received, 5, "not stored")
        return
    for args in (("status",), ("status", "--json"), ("list",), ("show", _only_id(wallet))):
        result = wallet.ok(*args)
        assert_terminal_safe(result)


def _hostile_report(issuer_did: str, *, verified: bool) -> dict[str, Any]:
    return {
        "verified": verified,
        "checks": [
            {"id": "signature" + CLEAR, "status": "passed", "detail": LINK},
            {"id": "trust", "status": "failed" + RLO, "detail": OVERWRITE + TITLE},
        ],
        "warnings": [C1 + "status is stale", "line one\nVERIFIED"],
        "issuer": {"id": issuer_did, "name": "Registry" + CLEAR},
        "problemDetails": [{"code": "x", "title": "t", "detail": "refused " + LINK + RLO}],
    }


@pytest.mark.parametrize("verified", [True, False])
def test_hostile_verifier_report_through_verify(
    wallet: WalletRunner,
    issuer: OfflineIssuer,
    monkeypatch: pytest.MonkeyPatch,
    verified: bool,
) -> None:
    from wallet_cli.client import WalletClient

    wallet.ok("receive", issuer.issue(wallet.did()))
    short = _only_id(wallet)

    def answer(self: WalletClient, verifier: str, credential: object, key: object) -> object:
        return _hostile_report(issuer.did, verified=verified)

    monkeypatch.setattr(WalletClient, "verify_credential", answer)
    ask = ("verify", short, "--verifier", "https://v.example")
    table, as_json = wallet(*ask), wallet(*ask, "--json")
    for result in (table, as_json):
        assert result.exit_code == (0 if verified else 5), result.stderr
        assert_terminal_safe(result)
    if verified:
        assert "line one VERIFIED" in table.stdout  # a warning cannot forge a verdict line
    else:
        assert_one_line_error(table, 5, "refused")
    assert json.loads(as_json.stdout)["checks"][1]["detail"] == OVERWRITE + TITLE
    # The name the verifier gave (trust check failed) is not taken, and prints safely.
    assert_terminal_safe(wallet.ok("list"))


def test_errors_quoting_a_hostile_holder_and_id_are_one_safe_line(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    wallet.did()
    now = datetime.now(UTC).replace(microsecond=0)
    credential = build_credential(
        issuer=issuer.did,
        credential_type="ResidentIdentityCredential",
        subject={"givenName": "Wei"},
        holder="did:example:" + CLEAR + RLO + "\nerror: fine",
        credential_id="urn:uuid:" + TITLE,
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=1),
    )
    token = sign_credential(credential, SoftwareSigner(issuer.key, holder_kid(issuer.did)))
    refused = wallet("receive", token)
    assert_one_line_error(refused, 5, "not stored")
    assert_terminal_safe(refused)
    # Even on request it is refused (vcore: an id must be a URL), in one safe line.
    unbound = wallet("receive", token, "--accept-unbound")
    assert_one_line_error(unbound, 5, "not stored")
    assert_terminal_safe(unbound)
    missing = wallet("show", "zzzz" + CLEAR)
    assert_terminal_safe(missing)
    assert_one_line_error(missing, 4, "no credential")


def test_a_long_list_is_aligned_columns_and_still_safe(issuer: OfflineIssuer) -> None:
    """Over 50 credentials `list` prints aligned columns (a Rich table is too slow)."""
    import io

    from wallet_cli.records import CredentialRecord
    from wallet_cli.render import print_credentials
    from wallet_cli.terminal import SafeConsole

    now = datetime.now(UTC)
    records = [
        CredentialRecord(id=f"urn:uuid:{n:08d}-0000-4000-8000-000000000000",
                         token=_issue(issuer, None), received_at="2026-01-01T00:00:00Z")
        for n in range(51)
    ]  # fmt: skip
    out = io.StringIO()
    print_credentials(SafeConsole(file=out, width=100), records, now)
    lines = out.getvalue().splitlines()
    assert lines[0] == "51 credential(s)"
    assert lines[1].split() == ["ID", "Type", "Issuer", "Holder", "Valid", "until", "Status"]
    assert len(lines) == 53
    assert all(r.short_id in out.getvalue() for r in records)
    assert not [c for c in out.getvalue() if is_unsafe(c) and c != "\n"]
    # Every row's status starts in the same column as the header's.
    column = lines[1].index("Status")
    assert {line[column - 2 : column] for line in lines[2:]} == {"  "}


def test_a_portrait_is_summarised_in_show_and_kept_whole_in_json(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    from tests.portrait_images import PNG_URL, png_bytes

    wallet.ok("receive", issuer.issue(wallet.did(), claims={**CLAIMS, "portrait": PNG_URL}))
    short = _only_id(wallet)
    shown = wallet.ok("show", short)
    assert f"[image/png, {len(png_bytes())} bytes]" in shown.stdout
    assert "base64" not in shown.stdout
    detail = json.loads(wallet.ok("show", short, "--json").stdout)
    assert detail["credential"]["credentialSubject"]["portrait"] == PNG_URL
