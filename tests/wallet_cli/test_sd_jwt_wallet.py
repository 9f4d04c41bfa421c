"""SD-JWT VCs in the wallet, from a real issuer (in process, reached over a MockTransport):
the Type Metadata kept at receipt (checked against ``vct#integrity``), ``show --claims``
naming the type's claims the credential lacks, and interactive ``present`` on a real pty.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.issuer.support import RESIDENT, Harness, MutableClock, issue_body, make_settings
from tests.issuer.support import running_issuer as run_issuer
from tests.wallet_cli.conftest import PASSPHRASE, WalletRunner, assert_one_line_error, wallet_env
from vcore.formats import unwrap_credential
from vcore.sdjwt import CompactSdJwt
from wallet_cli.client import WalletClient
from wallet_cli.receiving import accept_credential
from wallet_cli.records import CredentialRecord
from wallet_cli.resolution import Resolver
from wallet_cli.store import Vault

ISSUER_HOST = "issuer.test:8100"
# Left out of the issued credential, so the type has claims this one lacks.
LEFT_OUT = ("sex", "nationality", "registeredSince")


@dataclass
class Served:
    harness: Harness
    requests: list[str]
    rewrite_types: Callable[[bytes], bytes] | None = None

    def client(self) -> WalletClient:
        def forward(request: httpx.Request) -> httpx.Response:
            self.requests.append(request.url.path)
            answer = self.harness.client.request(
                request.method, request.url.raw_path.decode(), headers=dict(request.headers)
            )
            content = answer.content
            if request.url.path.startswith("/types/") and self.rewrite_types is not None:
                content = self.rewrite_types(content)
            headers = {k: v for k, v in answer.headers.items() if k != "content-length"}
            return httpx.Response(answer.status_code, headers=headers, content=content)

        return WalletClient(
            frozenset({ISSUER_HOST}), http=httpx.Client(transport=httpx.MockTransport(forward))
        )

    def issue(self, holder: str) -> str:
        body = issue_body(holder=holder, options={"format": "dc+sd-jwt"})
        for name in LEFT_OUT:
            del body["credential"]["credentialSubject"][name]
        response = self.harness.issue(self.harness.agencies["Resident Registry"], body)
        assert response.status_code == 201, response.text
        return unwrap_credential(response.json()["verifiableCredential"])

    def accept(self, token: str, holder: str, *, offline: bool = False) -> Any:
        now = datetime.now(UTC)
        with self.client() as client:
            resolver = Resolver(None if offline else (lambda: client), {}, now)
            return accept_credential(token, holder_did=holder, resolver=resolver, now=now)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with run_issuer(make_settings(tmp_path / "issuer"), MutableClock()) as harness:
        harness.agency("Resident Registry", [RESIDENT])
        yield Served(harness, [])


def _holder(runner: WalletRunner) -> str:
    return runner.did()


def _store(home: Path, record: CredentialRecord) -> None:
    with Vault(home, PASSPHRASE, allow_test_kdf=True).edit() as contents:
        contents.add(record)


# -- receipt keeps the Type Metadata ------------------------------------------------------


def test_receipt_keeps_type_metadata_matching_vct_integrity(
    served: Served, wallet: WalletRunner
) -> None:
    holder = _holder(wallet)
    acceptance = served.accept(served.issue(holder), holder)
    metadata = acceptance.record.type_metadata
    assert metadata is not None
    assert metadata["vct"] == f"http://{ISSUER_HOST}/types/{RESIDENT}"
    assert f"/types/{RESIDENT}" in served.requests
    assert not [w for w in acceptance.warnings if "metadata" in w]
    # It survives the vault round trip.
    restored = CredentialRecord.from_json(json.loads(json.dumps(acceptance.record.to_json())))
    assert restored.type_metadata == metadata


def test_type_metadata_not_matching_vct_integrity_is_not_kept(
    served: Served, wallet: WalletRunner
) -> None:
    holder = _holder(wallet)
    served.rewrite_types = lambda body: body.replace(b'"display"', b'"displaz"', 1)
    acceptance = served.accept(served.issue(holder), holder)
    assert acceptance.record.type_metadata is None
    assert any("not kept" in w and "vct#integrity" in w for w in acceptance.warnings)


@pytest.mark.parametrize("served_body", [b"[1, 2]", b"not json"])
def test_unusable_type_metadata_is_a_note_not_a_refusal(
    served: Served, wallet: WalletRunner, served_body: bytes
) -> None:
    holder = _holder(wallet)
    served.rewrite_types = lambda _body: served_body
    acceptance = served.accept(served.issue(holder), holder)
    assert acceptance.record.type_metadata is None
    assert any("not kept" in w for w in acceptance.warnings)


def test_offline_receipt_fetches_no_type_metadata(served: Served, wallet: WalletRunner) -> None:
    holder = _holder(wallet)
    token = served.issue(holder)
    now = datetime.now(UTC)
    with served.client() as client:
        online = Resolver(lambda: client, {}, now)
        online.key_for(_kid_of(token))  # offline needs the issuer key cached
    served.requests.clear()
    acceptance = accept_credential(
        token, holder_did=holder, resolver=Resolver(None, dict(online.fetched), now), now=now
    )
    assert acceptance.record.type_metadata is None
    assert served.requests == []


def _kid_of(token: str) -> str:
    from vcore.formats import parse_credential_unverified

    kid = parse_credential_unverified(token).key_id
    assert kid is not None
    return kid


# -- show --claims --------------------------------------------------------------------------


def test_show_claims_lists_the_types_claims_this_credential_lacks(
    served: Served, wallet: WalletRunner
) -> None:
    holder = _holder(wallet)
    record = served.accept(served.issue(holder), holder).record
    _store(wallet.home, record)
    words = json.loads(wallet.ok("show", record.short_id, "--claims", "--json").stdout)
    assert words["givenName"] == "you choose"
    assert words["age_over_18"] == "you choose"
    for name in LEFT_OUT:
        assert words[name] == "not in this credential"
    assert "address.streetAddress" in words
    text = wallet.ok("show", record.short_id, "--claims").stdout
    # name (what --disclose takes), mode, then the Type Metadata's label
    assert re.search(r"^nationality\s+not in this credential\s+Nationality$", text, re.M), text
    assert re.search(r"^givenName\s+you choose\s+Given name$", text, re.M), text


def test_show_claims_without_type_metadata_lists_only_what_it_holds(
    served: Served, wallet: WalletRunner
) -> None:
    holder = _holder(wallet)
    served.rewrite_types = lambda _body: b"{}"
    record = served.accept(served.issue(holder), holder).record
    assert record.type_metadata is None
    _store(wallet.home, record)
    words = json.loads(wallet.ok("show", record.short_id, "--claims", "--json").stdout)
    assert "nationality" not in words
    assert "not in this credential" not in words.values()
    assert words["givenName"] == "you choose"


# -- interactive present on a real terminal ------------------------------------------------

_PROMPT = re.compile(r"(Show (\S+)\?|Send exactly this\?) \[y/N\]: ")


def _run_on_pty(
    home: Path, args: list[str], reply: Callable[[str], str | None], timeout: float = 30.0
) -> tuple[int, str]:
    """Run the wallet on a pseudo-terminal; answer each y/N prompt with ``reply(question)``
    (None closes the input: end of file, as Ctrl-D)."""
    env = {**wallet_env(home), "PATH": os.environ.get("PATH", ""), "COLUMNS": "200"}
    command = [sys.executable, "-c", "from wallet_cli.cli import main; main()", *args]
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(sys.executable, command, env)  # noqa: S606 - our own interpreter, fixed argv
    seen = b""
    answered = 0
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"the wallet stalled; it printed: {seen.decode()!r}")
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            prompts = list(_PROMPT.finditer(seen.decode("utf-8", errors="replace")))
            while answered < len(prompts):
                answer = reply(prompts[answered].group(1))
                answered += 1
                os.write(fd, b"\x04" if answer is None else answer.encode() + b"\r")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", errors="replace")


@pytest.fixture
def stored(served: Served, wallet: WalletRunner) -> CredentialRecord:
    holder = _holder(wallet)
    record = served.accept(served.issue(holder), holder).record
    _store(wallet.home, record)
    return record


def _present_args(record: CredentialRecord, out: Path) -> list[str]:
    return [
        "present",
        record.short_id,
        "--audience",
        "https://counter.example",
        "--nonce",
        "n-0123456789",
        "--out",
        str(out),
    ]


def test_interactive_present_shows_what_leaves_and_sends_only_that(
    stored: CredentialRecord, wallet: WalletRunner, tmp_path: Path
) -> None:
    out = tmp_path / "vp.txt"
    asked: list[str] = []

    def reply(question: str) -> str:
        asked.append(question)
        return (
            "y"
            if question in ("Show givenName?", "Show age_over_18?") or "Send" in question
            else "n"
        )

    code, screen = _run_on_pty(wallet.home, _present_args(stored, out), reply)
    assert code == 0, screen
    # Every top-level claim was asked for, nothing preselected, then one confirmation.
    assert {"Show givenName?", "Show familyName?", "Show birthDate?", "Show age_over_18?"} <= set(
        asked
    )
    assert asked[-1] == "Send exactly this?"
    # In the order the claims were asked, which follows the (shuffled) disclosures.
    leaving = re.search(r"Leaving the wallet: ([^\r\n]*)", screen)
    assert leaving is not None, screen
    assert sorted(leaving.group(1).split(", ")) == ["age_over_18", "givenName"]
    presented = CompactSdJwt.parse(out.read_text(encoding="utf-8").strip())
    assert presented.kb_jwt is not None
    assert sorted(d.name or "" for d in presented.disclosures) == ["age_over_18", "givenName"]


def test_interactive_present_nothing_chosen_says_so(
    stored: CredentialRecord, wallet: WalletRunner, tmp_path: Path
) -> None:
    out = tmp_path / "vp.txt"
    code, screen = _run_on_pty(
        wallet.home, _present_args(stored, out), lambda q: "y" if "Send" in q else ""
    )
    assert code == 0, screen
    assert "Leaving the wallet: no claim (only that you hold this credential)" in screen
    assert CompactSdJwt.parse(out.read_text(encoding="utf-8").strip()).disclosures == ()


@pytest.mark.parametrize("final", ["n", None], ids=["declined", "end-of-input"])
def test_interactive_present_declined_sends_nothing(
    stored: CredentialRecord, wallet: WalletRunner, tmp_path: Path, final: str | None
) -> None:
    out = tmp_path / "vp.txt"

    def reply(question: str) -> str | None:
        return final if "Send" in question else "y"

    code, screen = _run_on_pty(wallet.home, _present_args(stored, out), reply)
    assert code != 0, screen
    assert "Leaving the wallet: " in screen
    assert "Traceback" not in screen
    if final == "n":
        assert "nothing was presented" in screen
    assert not out.exists()


def test_present_without_disclose_and_no_terminal_is_refused(
    stored: CredentialRecord, wallet: WalletRunner, tmp_path: Path
) -> None:
    out = tmp_path / "vp.txt"
    result = wallet(*_present_args(stored, out), input="y\ny\ny\n")
    assert_one_line_error(result, result.exit_code, "--disclose")
    assert result.exit_code != 0
    assert not out.exists()
