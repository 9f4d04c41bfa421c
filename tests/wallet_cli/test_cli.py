"""The wallet as a citizen uses it: commands, outputs, exit codes and one-line errors."""

from __future__ import annotations

import http.server
import io
import json
import os
import pty
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from vcore.errors import NonceMismatchError
from vcore.formats import envelope_credential, parse_credential_unverified, verify_presentation
from vcore.presentations import check_holder_binding
from vcore.qr import decode_qr_text
from wallet_cli.render import Encoding, plan_qr_text, qr_png

from .conftest import (
    BACKUP_PASSPHRASE,
    CLAIMS,
    PASSPHRASE,
    OfflineIssuer,
    WalletRunner,
    assert_one_line_error,
    files_under,
    wallet_env,
)

COMMANDS = [
    "init",
    "did",
    "receive",
    "list",
    "show",
    "remove",
    "present",
    "answer",
    "verify",
    "status",
    "export",
    "import",
    "passphrase",
]


def _decode_png(data: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    assert results, "no QR code in the PNG"
    return str(results[0].text)


def _decode_terminal(text: str) -> str:
    """Paint half-block lines back into pixels (4 px per module) and scan them."""
    lines = [line for line in text.splitlines() if line and set(line) <= set(" \u2580\u2584\u2588")]
    width = max(len(line) for line in lines)
    image = Image.new("L", (width * 4, len(lines) * 8), 255)
    for y, line in enumerate(lines):
        for x, char in enumerate(line):
            for half, dark in ((0, char in "\u2580\u2588"), (1, char in "\u2584\u2588")):
                if dark:
                    image.paste(0, (x * 4, y * 8 + half * 4, x * 4 + 4, y * 8 + half * 4 + 4))
    results = zxingcpp.read_barcodes(image)
    assert results, "the terminal QR code does not scan"
    return str(results[0].text)


def _ids(wallet: WalletRunner) -> list[str]:
    return [item["shortId"] for item in json.loads(wallet.ok("list", "--json").stdout)]


# -- help ---------------------------------------------------------------------------------


def test_root_help_lists_commands_and_exit_codes(home: Path) -> None:
    result = WalletRunner(home)("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout
    assert "Exit codes" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(home: Path, command: str) -> None:
    result = WalletRunner(home)(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"trustid-wallet {command}" in result.stdout or command == "import"
    assert not home.exists()  # help reads nothing and creates nothing


# -- init / did ---------------------------------------------------------------------------


def test_init_makes_a_short_did_key_and_private_files(home: Path) -> None:
    runner = WalletRunner(home)
    result = runner.ok("init")
    did = result.stdout.strip().splitlines()[-1]
    assert did.startswith("did:key:zDn")  # P-256, compressed
    assert len(did) < 60
    assert runner.did() == did
    assert json.loads(runner.ok("did", "--json").stdout)["alg"] == "ES256"
    assert os.stat(home).st_mode & 0o777 == 0o700
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in files_under(home))
    assert_one_line_error(runner("init"), 2, "already exists")


def test_init_eddsa_and_did_jwk(tmp_path: Path) -> None:
    ed = WalletRunner(tmp_path / "ed")
    assert json.loads(ed.ok("init", "--alg", "EdDSA", "--json").stdout)["did"].startswith(
        "did:key:z6Mk"
    )
    jwk = WalletRunner(tmp_path / "jwk")
    jwk.ok("init", "--did-method", "jwk")
    assert jwk.did().startswith("did:jwk:")


def test_short_passphrase_is_refused_at_init(home: Path) -> None:
    result = WalletRunner(home)("init", env={"TRUSTID_WALLET_PASSPHRASE": "short"})
    assert_one_line_error(result, 2, "at least 8 characters")
    assert not (home / "vault").exists()


def test_no_passphrase_and_no_terminal_fails_instead_of_hanging(home: Path) -> None:
    env = {**os.environ, **wallet_env(home)}
    del env["TRUSTID_WALLET_PASSPHRASE"]
    proc = subprocess.run(
        [sys.executable, "-m", "wallet_cli.cli", "init"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,  # no controlling terminal
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: no passphrase: set TRUSTID_WALLET_PASSPHRASE or run in a terminal"
    )


# -- receive ------------------------------------------------------------------------------


def test_receive_from_every_kind_of_source(
    wallet: WalletRunner, issuer: OfflineIssuer, tmp_path: Path
) -> None:
    did = wallet.did()
    file_token, stdin_token, arg_token, data_token, api_token = (
        issuer.issue(did) for _ in range(5)
    )
    (tmp_path / "c.jwt").write_text(file_token + "\n")
    wallet.ok("receive", str(tmp_path / "c.jwt"))
    wallet.ok("receive", "-", input=stdin_token)
    wallet.ok("receive", arg_token)
    wallet.ok("receive", "data:application/vc+jwt," + data_token)
    (tmp_path / "issued.json").write_text(
        json.dumps({"verifiableCredential": envelope_credential(api_token)})
    )
    wallet.ok("receive", str(tmp_path / "issued.json"))
    wallet.ok("receive", issuer.issue(did, fmt="jwt_vc_json"))
    assert len(_ids(wallet)) == 6


def test_receive_twice_keeps_one(wallet: WalletRunner, issuer: OfflineIssuer) -> None:
    token = issuer.issue(wallet.did())
    wallet.ok("receive", token)
    again = wallet.ok("receive", token)
    assert "Already in your wallet" in again.stdout
    assert len(_ids(wallet)) == 1


def test_receive_json_output(wallet: WalletRunner, issuer: OfflineIssuer) -> None:
    out = json.loads(wallet.ok("receive", issuer.issue(wallet.did()), "--json").stdout)
    assert out["stored"] is True
    assert out["type"] == "ResidentIdentityCredential"
    assert out["holderName"] == "Wei Zhang"


def test_receive_from_a_qr_photo(
    wallet: WalletRunner, issuer: OfflineIssuer, tmp_path: Path
) -> None:
    token = issuer.issue(wallet.did())
    for encoding in (Encoding.plain, Encoding.compact):
        image = tmp_path / f"{encoding.value}.png"
        image.write_bytes(qr_png(plan_qr_text(token, encoding)))
        wallet.ok("receive", "--qr", str(image))
    assert len(_ids(wallet)) == 1


def test_receive_qr_image_without_a_code(wallet: WalletRunner, tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    assert_one_line_error(wallet("receive", "--qr", str(blank)), 2, "no QR code found")
    text = tmp_path / "note.txt"
    text.write_text("hello")
    assert_one_line_error(wallet("receive", "--qr", str(text)), 2, "not a readable PNG or JPEG")


def test_receive_refuses_another_holders_credential_unless_asked(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    token = issuer.issue("did:key:zDnaeWgbpcUat3VPa1GN6k4Hzk4gU2fwBUL3e1Q5bmPgNtMSV")
    assert_one_line_error(wallet("receive", token), 5, "--accept-unbound")
    assert _ids(wallet) == []
    kept = wallet.ok("receive", token, "--accept-unbound")
    assert "cannot present it" in kept.stderr
    assert len(_ids(wallet)) == 1
    bearer = wallet.ok("receive", issuer.issue(None), "--accept-unbound")
    assert "bearer" in bearer.stderr


def test_expired_credential_is_stored_with_a_warning(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    past = datetime.now(UTC) - timedelta(days=30)
    token = issuer.issue(wallet.did(), valid_from=past - timedelta(days=400), valid_until=past)
    result = wallet.ok("receive", token)
    assert "warning:" in result.stderr
    assert "expired" in result.stderr
    assert json.loads(wallet.ok("list", "--json").stdout)[0]["status"] == "expired"


def test_forged_or_malformed_credentials_are_refused(
    wallet: WalletRunner, issuer: OfflineIssuer, tmp_path: Path
) -> None:
    token = issuer.issue(wallet.did())
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert_one_line_error(wallet("receive", forged), 5, "not stored")
    assert_one_line_error(wallet("receive", "not-a-credential"), 2)
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    assert_one_line_error(wallet("receive", str(tmp_path / "bin")), 2, "not a text file")
    assert_one_line_error(wallet("receive", str(tmp_path / "missing.jwt")), 2, "cannot read")
    assert_one_line_error(wallet("receive"), 2, "say where the credential is")
    assert _ids(wallet) == []


def test_receive_from_an_untrusted_plain_http_url_is_refused(wallet: WalletRunner) -> None:
    result = wallet("receive", "http://issuer.example/credentials/1")
    assert_one_line_error(result, 6, "plain http")


# -- list / show / remove -----------------------------------------------------------------


def test_list_json_shape_and_table(wallet: WalletRunner, issuer: OfflineIssuer) -> None:
    wallet.ok("receive", issuer.issue(wallet.did()))
    (item,) = json.loads(wallet.ok("list", "--json").stdout)
    assert {"id", "type", "issuer", "validUntil", "status"} <= set(item)
    assert item["id"].startswith("urn:uuid:")
    assert item["issuer"] == issuer.did
    assert item["status"] == "valid"
    table = wallet.ok("list").stdout
    for text in ("Resident", "Identity", "Wei Zhang", item["shortId"], "valid"):
        assert text in table
    assert "no status list" in wallet.ok("show", item["shortId"]).stdout


def test_empty_list(wallet: WalletRunner) -> None:
    assert "No credentials yet" in wallet.ok("list").stdout
    assert json.loads(wallet.ok("list", "--json").stdout) == []


def test_show_details_json_and_markup_safety(wallet: WalletRunner, issuer: OfflineIssuer) -> None:
    claims = {**CLAIMS, "note": "[bold red]not markup[/] :key:"}
    wallet.ok("receive", issuer.issue(wallet.did(), claims=claims))
    (short,) = _ids(wallet)
    shown = wallet.ok("show", short).stdout
    assert "[bold red]not markup[/] :key:" in shown
    assert "(this wallet)" in shown
    detail = json.loads(wallet.ok("show", short, "--json").stdout)
    assert detail["credential"]["credentialSubject"]["givenName"] == "Wei"
    assert parse_credential_unverified(detail["token"]).id == detail["id"]


def test_show_qr_png_and_terminal_scan_back_to_the_credential(
    wallet: WalletRunner, issuer: OfflineIssuer, tmp_path: Path
) -> None:
    token = issuer.issue(wallet.did())
    wallet.ok("receive", token)
    (short,) = _ids(wallet)
    png = tmp_path / "card.png"
    result = wallet.ok("show", short, "--png", str(png))
    assert "needs QR version" in result.stderr
    assert os.stat(png).st_mode & 0o777 == 0o600
    assert decode_qr_text(_decode_png(png.read_bytes())) == token
    terminal = wallet.ok("show", short, "--qr", "--encoding", "plain")
    assert _decode_terminal(terminal.stdout) == token


def test_unknown_short_and_wrong_ids(wallet: WalletRunner, issuer: OfflineIssuer) -> None:
    wallet.ok("receive", issuer.issue(wallet.did()))
    assert_one_line_error(wallet("show", "ffffffff-0000"), 4, "no credential")
    assert_one_line_error(wallet("show", "ab"), 2, "too short")
    assert_one_line_error(wallet("show", _ids(wallet)[0], "--qr", "--json"), 2, "choose one")


def test_wrong_passphrase_changes_nothing(wallet: WalletRunner, issuer: OfflineIssuer) -> None:
    before = (wallet.home / "vault").read_bytes()
    result = wallet(
        "receive", issuer.issue(wallet.did()), env={"TRUSTID_WALLET_PASSPHRASE": "nope nope"}
    )
    assert_one_line_error(result, 3, "wrong passphrase")
    assert (wallet.home / "vault").read_bytes() == before


def test_tampered_and_truncated_vaults_give_one_line(wallet: WalletRunner) -> None:
    vault = wallet.home / "vault"
    data = vault.read_bytes()
    vault.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert_one_line_error(wallet("list"), 3, "modified or is damaged")
    vault.write_bytes(data[:20])
    assert_one_line_error(wallet("list"), 3, "truncated")
    os.chmod(vault, 0o644)
    assert_one_line_error(wallet("list"), 3, "chmod 600")


def test_missing_wallet(home: Path) -> None:
    assert_one_line_error(WalletRunner(home)("list"), 4, "trustid-wallet init")


def test_remove(wallet: WalletRunner, issuer: OfflineIssuer) -> None:
    wallet.ok("receive", issuer.issue(wallet.did()))
    (short,) = _ids(wallet)
    assert_one_line_error(wallet("remove", short), 2, "--yes")
    assert "Removed" in wallet.ok("remove", short, "--yes").stdout
    assert _ids(wallet) == []
    assert_one_line_error(wallet("remove", short, "--yes"), 4)


# -- present ------------------------------------------------------------------------------


def test_present_out_verifies_with_the_same_nonce_only(
    wallet: WalletRunner, issuer: OfflineIssuer, tmp_path: Path
) -> None:
    did = wallet.did()
    wallet.ok("receive", issuer.issue(did))
    wallet.ok("receive", issuer.issue(did, credential_type="DrivingLicenceCredential"))
    ids = _ids(wallet)
    nonce = secrets.token_urlsafe(16)
    out = tmp_path / "vp.jwt"
    wallet.ok(
        "present",
        *ids,
        "--audience",
        "https://counter.example",
        "--nonce",
        nonce,
        "--out",
        str(out),
    )
    assert os.stat(out).st_mode & 0o777 == 0o600
    token = out.read_text().strip()
    now = datetime.now(UTC)
    verified = verify_presentation(token, nonce=nonce, audience="https://counter.example", now=now)
    assert verified.holder == did
    assert len(verified.credentials) == 2
    for inner in verified.credentials:
        check_holder_binding(did, parse_credential_unverified(inner))
    with pytest.raises(NonceMismatchError):
        verify_presentation(token, nonce="another", audience="https://counter.example", now=now)
    printed = wallet.ok("present", ids[0], "--audience", "a", "--nonce", "n").stdout.strip()
    assert verify_presentation(printed, nonce="n", audience="a", now=now).holder == did


def test_present_qr_scans_and_says_its_version(wallet: WalletRunner, issuer: OfflineIssuer) -> None:
    wallet.ok("receive", issuer.issue(wallet.did()))
    result = wallet.ok(
        "present", _ids(wallet)[0], "--audience", "https://c.example", "--nonce", "n1", "--qr"
    )
    assert "needs QR version" in result.stderr
    token = decode_qr_text(_decode_terminal(result.stdout))
    verify_presentation(token, nonce="n1", audience="https://c.example", now=datetime.now(UTC))
    plan = json.loads(
        wallet.ok("present", _ids(wallet)[0], "--audience", "a", "--nonce", "n", "--json").stdout
    )
    assert 1 <= plan["qr"]["version"] <= 40


def test_present_that_does_not_fit_is_refused_with_advice(
    wallet: WalletRunner, issuer: OfflineIssuer, tmp_path: Path
) -> None:
    bulky = {**CLAIMS, "photo": secrets.token_urlsafe(2400)}  # incompressible
    wallet.ok("receive", issuer.issue(wallet.did(), claims=bulky))
    png = tmp_path / "vp.png"
    result = wallet(
        "present", _ids(wallet)[0], "--audience", "a", "--nonce", "n", "--png", str(png)
    )
    assert_one_line_error(result, 7, "does not fit", "show ID --qr", "--out")
    assert not png.exists()


def test_present_refuses_a_credential_of_another_holder(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    wallet.ok(
        "receive",
        issuer.issue("did:key:zDnaeWgbpcUat3VPa1GN6k4Hzk4gU2fwBUL3e1Q5bmPgNtMSV"),
        "--accept-unbound",
    )
    result = wallet("present", _ids(wallet)[0], "--audience", "a", "--nonce", "n")
    assert_one_line_error(result, 5, "not issued to this wallet")


# -- status, backup ------------------------------------------------------------------------


def test_status_of_credentials_without_a_status_list(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    wallet.ok("receive", issuer.issue(wallet.did()))
    (item,) = json.loads(wallet.ok("status", "--json").stdout)
    assert item["status"] == "valid"
    assert item["statusCheckedAt"] is not None


def test_export_import_round_trip_and_merge(
    wallet: WalletRunner, issuer: OfflineIssuer, tmp_path: Path
) -> None:
    did = wallet.did()
    wallet.ok("receive", issuer.issue(did))
    backup = tmp_path / "backup.tid"
    wallet.ok("export", str(backup))
    assert os.stat(backup).st_mode & 0o777 == 0o600
    wallet.ok("receive", issuer.issue(did))

    restored = WalletRunner(tmp_path / "restored")
    assert "Restored a wallet with 1" in restored.ok("import", str(backup)).stdout
    assert restored.did() == did
    # Merging back into the original adds nothing twice.
    assert (
        "Imported 0 credential(s); 1 were already here" in wallet.ok("import", str(backup)).stdout
    )
    assert len(_ids(wallet)) == 2

    wrong = wallet("import", str(backup), env={"TRUSTID_WALLET_BACKUP_PASSPHRASE": "not it at all"})
    assert_one_line_error(wrong, 3, "wrong passphrase for this backup")
    stranger = WalletRunner(tmp_path / "stranger")
    stranger.ok("init")
    assert_one_line_error(stranger("import", str(backup)), 2, "another holder")
    assert_one_line_error(wallet("import", str(wallet.home / "vault")), 3, "not a wallet backup")
    vault_before = (wallet.home / "vault").read_bytes()
    assert_one_line_error(wallet("export", str(wallet.home / "vault")), 2, "somewhere else")
    assert (wallet.home / "vault").read_bytes() == vault_before


def test_no_claim_key_or_token_in_any_file(
    wallet: WalletRunner, issuer: OfflineIssuer, tmp_path: Path
) -> None:
    token = issuer.issue(wallet.did())
    wallet.ok("receive", token)
    wallet.ok("export", str(tmp_path / "backup.tid"))
    wallet.ok("status")
    secrets_ = [*CLAIMS.values(), token, token.split(".")[1][:32], token.split(".")[2][:32]]
    for path in [*files_under(wallet.home), tmp_path / "backup.tid"]:
        data = path.read_bytes()
        for secret in secrets_:
            assert secret.encode() not in data, (path, secret)
    assert PASSPHRASE.encode() not in (wallet.home / "vault").read_bytes()
    assert BACKUP_PASSPHRASE.encode() not in (tmp_path / "backup.tid").read_bytes()


# -- a URL given by the issuer, and a real terminal prompt ----------------------------------


class _OneCredential(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/offers/1" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body if self.path == "/offers/1" else b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_receive_from_the_issuers_url(wallet: WalletRunner, issuer: OfflineIssuer) -> None:
    token = issuer.issue(wallet.did())
    handler = type(
        "Handler",
        (_OneCredential,),
        {"body": json.dumps({"verifiableCredential": envelope_credential(token)}).encode()},
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        url = f"http://127.0.0.1:{port}/offers/1"
        # Loopback over plain http only when allow-listed (DESIGN §3).
        assert_one_line_error(wallet("receive", url), 6, "plain http")
        allowed = {"TRUSTID_ALLOW_INSECURE_HOSTS": f"127.0.0.1:{port}"}
        result = wallet("receive", url, env=allowed)
        assert result.exit_code == 0, result.stderr
        missing = wallet("receive", f"http://127.0.0.1:{port}/offers/2", env=allowed)
        assert_one_line_error(missing, 6, "answered 404")
    finally:
        server.shutdown()
        server.server_close()
    assert len(_ids(wallet)) == 1


def _in_terminal(home: Path, args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run the wallet with a pseudo-terminal as its controlling terminal and type answers."""
    env = {**os.environ, **wallet_env(home)}
    del env["TRUSTID_WALLET_PASSPHRASE"]
    pid, fd = pty.fork()
    if pid == 0:  # child: the pty is its controlling terminal, where getpass prompts
        os.execve(sys.executable, [sys.executable, "-m", "wallet_cli.cli", *args], env)  # noqa: S606
    output = b""
    deadline = time.monotonic() + 20
    pending = list(answers)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if pending and chunk.endswith(b": "):  # a prompt, waiting on the same line
                os.write(fd, pending.pop(0).encode() + b"\n")
    else:
        os.kill(pid, signal.SIGKILL)  # stuck at a prompt: fail below instead of hanging
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_passphrase_prompt_in_a_terminal(home: Path) -> None:
    code, output = _in_terminal(home, ["init"], ["a long passphrase", "a long passphrase"])
    assert code == 0, output
    assert "New wallet passphrase:" in output
    assert "did:key:zDn" in output
    assert "a long passphrase" not in output  # never echoed
    code, output = _in_terminal(home, ["did"], ["a wrong passphrase"])
    assert code == 3, output
    assert "wrong passphrase" in output
    mismatch, output = _in_terminal(home / "second", ["init"], ["one passphrase", "another one"])
    assert mismatch == 2, output
    assert "the two passphrases differ" in output


# -- issuer names: self-declared at receipt, overridden by a verifier's trust list ---------


def test_self_declared_issuer_name_is_marked_and_a_verifier_name_overrides_it(
    wallet: WalletRunner, issuer: OfflineIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wallet_cli.client import WalletClient
    from wallet_cli.resolution import Resolver

    # What an issuer's /.well-known/openid-credential-issuer would have said at receipt.
    monkeypatch.setattr(Resolver, "issuer_display_name", lambda self, did: "Some Registry")
    wallet.ok("receive", issuer.issue(wallet.did()))
    item = json.loads(wallet.ok("list", "--json").stdout)[0]
    assert (item["issuerName"], item["issuerNameSource"]) == ("Some Registry", "self-declared")
    assert "Some Registry (self-declared)" in wallet.ok("show", item["shortId"]).stdout

    def verified(self: WalletClient, verifier: str, credential: object, key: object) -> object:
        return {
            "verified": True,
            "checks": [{"id": "trust", "status": "passed", "detail": "on the trust list"}],
            "issuer": {"id": issuer.did, "name": "Some Registry"},
        }

    monkeypatch.setattr(WalletClient, "verify_credential", verified)
    wallet.ok("verify", item["shortId"], "--verifier", "https://verify.example")
    item = json.loads(wallet.ok("list", "--json").stdout)[0]
    # Same text, but now vouched for by the verifier's trust list: no longer self-declared.
    assert (item["issuerName"], item["issuerNameSource"]) == ("Some Registry", "verifier")
    shown = wallet.ok("show", item["shortId"]).stdout
    assert "Some Registry" in shown
    assert "self-declared" not in shown
