"""``trustid-wallet passphrase``: re-encrypt the vault under a new passphrase.

The old passphrase stops working, the new one opens the same contents, a refused change
leaves the vault byte for byte as it was, and nothing readable ever reaches the disk.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from vcore.keys import generate_key
from wallet_cli.errors import BusyError, InputError, VaultError
from wallet_cli.records import HolderRecord, WalletContents
from wallet_cli.store import LOCK_NAME, TEST_KDF, VAULT_NAME, KdfParams, Vault

from .conftest import (
    CLAIMS,
    PASSPHRASE,
    OfflineIssuer,
    WalletRunner,
    assert_one_line_error,
    files_under,
    wallet_env,
)
from .test_cli import _in_terminal

NEW = "a brand new passphrase"


def _header(home: Path) -> dict[str, Any]:
    header: dict[str, Any] = json.loads((home / VAULT_NAME).read_bytes().split(b"\n", 1)[0])
    return header


def _change(wallet: WalletRunner, new: str = NEW, current: str = PASSPHRASE) -> Any:
    return wallet(
        "passphrase",
        env={"TRUSTID_WALLET_PASSPHRASE": current, "TRUSTID_WALLET_NEW_PASSPHRASE": new},
    )


def _snapshot(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(home.iterdir())}


@pytest.fixture
def stocked(wallet: WalletRunner, issuer: OfflineIssuer) -> WalletRunner:
    """A wallet holding two credentials."""
    did = wallet.did()
    wallet.ok("receive", issuer.issue(did))
    wallet.ok("receive", issuer.issue(did, credential_type="DrivingLicenceCredential"))
    return wallet


def test_new_passphrase_opens_the_same_contents_and_the_old_one_is_refused(
    stocked: WalletRunner,
) -> None:
    did = stocked.did()
    listed = stocked.ok("list", "--json").stdout
    before = _header(stocked.home)

    result = _change(stocked)
    assert result.exit_code == 0, result.stderr
    assert "Changed the passphrase" in result.stdout
    assert result.stderr == ""

    old = stocked("list", env={"TRUSTID_WALLET_PASSPHRASE": PASSPHRASE})
    assert_one_line_error(old, 3, "wrong passphrase")
    with_new = {"TRUSTID_WALLET_PASSPHRASE": NEW}
    assert stocked("list", "--json", env=with_new).stdout == listed
    assert stocked("did", env=with_new).stdout.strip() == did
    # Same holder and credentials, read straight from the store.
    contents = Vault(stocked.home, NEW, allow_test_kdf=True).load()
    assert contents.holder.did == did
    assert len(contents.credentials) == 2

    # A fresh salt (so a fresh key) and a fresh nonce; the KDF cost is kept.
    after = _header(stocked.home)
    assert after["kdf"]["salt"] != before["kdf"]["salt"]
    assert after["nonce"] != before["nonce"]
    assert after["check"] != before["check"]
    assert {k: v for k, v in after["kdf"].items() if k != "salt"} == {
        k: v for k, v in before["kdf"].items() if k != "salt"
    }
    # Same file layout and permissions, no temp file left behind.
    assert sorted(p.name for p in stocked.home.iterdir()) == [LOCK_NAME, VAULT_NAME]
    assert os.stat(stocked.home / VAULT_NAME).st_mode & 0o777 == 0o600

    # And it can be changed back (and then the new one is refused).
    back = _change(stocked, new=PASSPHRASE, current=NEW)
    assert back.exit_code == 0, back.stderr
    assert stocked("list", "--json").stdout == listed
    assert_one_line_error(stocked("list", env=with_new), 3, "wrong passphrase")


@pytest.mark.parametrize(
    ("current", "new", "code", "message"),
    [
        pytest.param("not the passphrase", NEW, 3, "wrong passphrase", id="wrong current"),
        pytest.param(PASSPHRASE, "short", 2, "at least 8 characters", id="new too short"),
        pytest.param(PASSPHRASE, PASSPHRASE, 2, "same as the current", id="unchanged"),
    ],
)
def test_refused_change_leaves_every_file_byte_for_byte(
    stocked: WalletRunner, current: str, new: str, code: int, message: str
) -> None:
    before = _snapshot(stocked.home)
    assert_one_line_error(_change(stocked, new=new, current=current), code, message)
    assert _snapshot(stocked.home) == before
    assert stocked.ok("list", "--json").stdout  # the old passphrase still opens it


def test_no_plaintext_or_passphrase_on_disk(stocked: WalletRunner, issuer: OfflineIssuer) -> None:
    contents = Vault(stocked.home, PASSPHRASE, allow_test_kdf=True).load()
    assert _change(stocked).exit_code == 0
    secrets = [
        *CLAIMS.values(),
        contents.holder.jwk["d"],
        contents.holder.did,
        PASSPHRASE,
        NEW,
    ]
    for record in contents.credentials:
        secrets += [record.token, record.token.split(".")[1][:40], record.id]
    paths = files_under(stocked.home)
    assert sorted(p.name for p in paths) == [LOCK_NAME, VAULT_NAME]
    for path in paths:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, (path, secret)


def test_no_wallet_and_no_new_passphrase(home: Path) -> None:
    runner = WalletRunner(home)
    missing = runner("passphrase", env={"TRUSTID_WALLET_NEW_PASSPHRASE": NEW})
    assert_one_line_error(missing, 4, "trustid-wallet init")
    assert not home.exists()


def test_new_passphrase_needs_a_terminal_or_the_variable(home: Path) -> None:
    WalletRunner(home).ok("init")
    before = _snapshot(home)
    proc = subprocess.run(
        [sys.executable, "-m", "wallet_cli.cli", "passphrase"],
        env={**os.environ, **wallet_env(home)},
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,  # no controlling terminal
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: no passphrase: set TRUSTID_WALLET_NEW_PASSPHRASE or run in a terminal"
    )
    assert _snapshot(home) == before


def test_prompts_in_a_terminal(home: Path) -> None:
    WalletRunner(home).ok("init")
    before = _snapshot(home)

    # A wrong current passphrase is refused before the new one is asked for.
    code, output = _in_terminal(home, ["passphrase"], ["not the passphrase"])
    assert code == 3, output
    assert "wrong passphrase" in output
    assert "New wallet passphrase" not in output
    # Two different new passphrases: nothing changes.
    code, output = _in_terminal(
        home, ["passphrase"], [PASSPHRASE, "one new passphrase", "another new one"]
    )
    assert code == 2, output
    assert "the two passphrases differ" in output
    assert _snapshot(home) == before

    code, output = _in_terminal(home, ["passphrase"], [PASSPHRASE, NEW, NEW])
    assert code == 0, output
    assert output.index("Wallet passphrase:") < output.index("New wallet passphrase:")
    assert "Repeat it:" in output
    assert NEW not in output  # never echoed
    assert Vault(home, NEW, allow_test_kdf=True).load().holder.did


def test_help_is_listed_and_has_examples(home: Path) -> None:
    top = WalletRunner(home)("--help")
    assert "passphrase" in top.stdout
    assert "trustid-wallet passphrase" in top.stdout
    result = WalletRunner(home)("passphrase", "--help")
    assert result.exit_code == 0
    assert "TRUSTID_WALLET_NEW_PASSPHRASE" in result.stdout
    assert "Example" in result.stdout
    assert not home.exists()


# -- the store underneath -----------------------------------------------------------------


def test_kdf_cost_is_never_lowered_and_is_raised_to_the_floor(tmp_path: Path) -> None:
    weakest = KdfParams(m=19 * 1024, t=2, p=1)  # the lowest real cost the store accepts
    vault = Vault(tmp_path / "w", PASSPHRASE, allow_test_kdf=True)
    vault.create(
        WalletContents(holder=HolderRecord.generate(generate_key("ES256"))), params=weakest
    )

    vault.change_passphrase(NEW, params=TEST_KDF)  # a cheaper floor does not lower it
    assert _header(vault.home)["kdf"] | {"salt": ""} == {
        "alg": "argon2id",
        "m": weakest.m,
        "t": weakest.t,
        "p": 1,
        "salt": "",
    }
    floor = KdfParams(m=20 * 1024, t=3, p=1)
    Vault(vault.home, NEW, allow_test_kdf=True).change_passphrase(PASSPHRASE, params=floor)
    assert (_header(vault.home)["kdf"]["m"], _header(vault.home)["kdf"]["t"]) == (20 * 1024, 3)
    assert Vault(vault.home, PASSPHRASE, allow_test_kdf=True).load().holder.did


def test_test_kdf_vault_is_refused_outside_tests(stocked: WalletRunner) -> None:
    """The cheap test profile stays refused when TRUSTID_WALLET_TEST_KDF is not set."""
    before = _snapshot(stocked.home)
    result = stocked(
        "passphrase",
        env={"TRUSTID_WALLET_TEST_KDF": None, "TRUSTID_WALLET_NEW_PASSPHRASE": NEW},
    )
    assert_one_line_error(result, 3, "test KDF profile")
    assert _snapshot(stocked.home) == before


def test_change_waits_for_the_lock_and_gives_up_as_busy(stocked: WalletRunner) -> None:
    holder = Vault(stocked.home, PASSPHRASE, allow_test_kdf=True)
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.edit():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(5)
    try:
        with pytest.raises(BusyError):
            Vault(
                stocked.home, PASSPHRASE, allow_test_kdf=True, lock_timeout=0.2
            ).change_passphrase(NEW, params=TEST_KDF)
    finally:
        release.set()
        thread.join()
    # (The holder's edit rewrote the vault; under the old passphrase, as it should.)
    assert len(Vault(stocked.home, PASSPHRASE, allow_test_kdf=True).load().credentials) == 2
    with pytest.raises(VaultError, match="wrong passphrase"):
        Vault(stocked.home, NEW, allow_test_kdf=True).load()


def test_failed_write_leaves_the_old_vault(
    stocked: WalletRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(stocked.home)
    vault = Vault(stocked.home, PASSPHRASE, allow_test_kdf=True)

    def fail(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        vault.change_passphrase(NEW, params=TEST_KDF)
    monkeypatch.undo()
    assert _snapshot(stocked.home) == before
    # The same Vault object still holds the old passphrase and key.
    assert len(vault.load().credentials) == 2
    with pytest.raises(VaultError, match="wrong passphrase"):
        Vault(stocked.home, NEW, allow_test_kdf=True).load()


def test_same_passphrase_after_unicode_normalisation_is_refused(stocked: WalletRunner) -> None:
    decomposed = "cafe\u0301 au lait passphrase"
    composed = "caf\u00e9 au lait passphrase"
    assert _change(stocked, new=decomposed).exit_code == 0
    vault = Vault(stocked.home, decomposed, allow_test_kdf=True)
    with pytest.raises(InputError, match="same as the current"):
        vault.change_passphrase(composed, params=TEST_KDF)


@pytest.mark.slow
def test_sigkill_during_a_change_leaves_the_old_or_the_new_passphrase(
    stocked: WalletRunner,
) -> None:
    home = stocked.home
    ids = sorted(c.id for c in Vault(home, PASSPHRASE, allow_test_kdf=True).load().credentials)
    passphrases = [PASSPHRASE, NEW]

    def run(current: str, new: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            **wallet_env(home),
            "TRUSTID_WALLET_PASSPHRASE": current,
            "TRUSTID_WALLET_NEW_PASSPHRASE": new,
        }
        return subprocess.Popen(
            [sys.executable, "-m", "wallet_cli.cli", "passphrase"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    # How long an uninterrupted change takes here (kill points are drawn in it).
    current, new = PASSPHRASE, NEW
    times = []
    for _ in range(3):
        start = time.monotonic()
        assert run(current, new).wait(timeout=60) == 0
        times.append(time.monotonic() - start)
        current, new = new, current
    window = statistics.median(times)
    rng = random.Random(7)  # noqa: S311 - test scheduling, not security
    # Kill points home in on the write: later after a kill that came before it, earlier
    # after one that came after it, with jitter; so both outcomes occur whatever the
    # machine's speed, and most kills land close to the rename.
    delay = 0.8 * window
    outcomes = []
    for attempt in range(30):
        proc = run(current, new)
        time.sleep(delay * rng.uniform(0.9, 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        opened = []
        for candidate in passphrases:
            try:
                contents = Vault(home, candidate, allow_test_kdf=True).load()
            except VaultError:
                continue
            assert sorted(c.id for c in contents.credentials) == ids, attempt
            opened.append(candidate)
        assert opened in ([current], [new]), (attempt, opened)
        outcomes.append("old" if opened == [current] else "new")
        if opened == [new]:
            current, new = new, current
            delay *= 0.9
        else:
            delay *= 1.1
    # The kill points straddle the write: some runs died before it, some after.
    assert outcomes.count("old") >= 3, outcomes
    assert outcomes.count("new") >= 3, outcomes
    assert run(current, new).wait(timeout=60) == 0
    assert sorted(p.name for p in home.iterdir()) == [LOCK_NAME, VAULT_NAME]
