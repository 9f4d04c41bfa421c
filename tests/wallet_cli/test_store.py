"""The encrypted vault: round trip, refusals, tamper evidence, permissions, atomicity, lock."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from vcore.jsontext import dumps_compact
from vcore.keys import b64url_encode, generate_key
from wallet_cli.errors import BusyError, InputError, NotFoundError, VaultError
from wallet_cli.records import CredentialRecord, HolderRecord, WalletContents
from wallet_cli.store import (
    BACKUP_MAGIC,
    DEFAULT_KDF,
    LOCK_NAME,
    TEST_KDF,
    VAULT_MAGIC,
    VAULT_NAME,
    KdfParams,
    SealingKey,
    Vault,
    check_kdf,
    open_sealed,
    read_backup,
    seal,
    write_backup,
)

from .conftest import CLAIMS, PASSPHRASE, OfflineIssuer, files_under


def _contents(issuer: OfflineIssuer, n: int = 1) -> WalletContents:
    holder = HolderRecord.generate(generate_key("ES256"))
    contents = WalletContents(holder=holder)
    for _ in range(n):
        token = issuer.issue(holder.did)
        record = CredentialRecord(id="", token=token, received_at="2026-11-23T12:00:00Z")
        record.id = record.view.id or ""
        contents.add(record)
    return contents


def _vault(home: Path, passphrase: str = PASSPHRASE, **kw: object) -> Vault:
    return Vault(home, passphrase, allow_test_kdf=True, **kw)  # type: ignore[arg-type]


@pytest.fixture
def made(tmp_path: Path, issuer: OfflineIssuer) -> tuple[Vault, WalletContents]:
    home = tmp_path / "w"
    vault = _vault(home)
    contents = _contents(issuer, 2)
    vault.create(contents, params=TEST_KDF)
    return vault, contents


def test_round_trip_and_layout(made: tuple[Vault, WalletContents]) -> None:
    vault, contents = made
    loaded = _vault(vault.home).load()
    assert loaded.to_json() == contents.to_json()
    assert os.stat(vault.home).st_mode & 0o777 == 0o700
    assert os.stat(vault.path).st_mode & 0o777 == 0o600
    assert os.stat(vault.home / LOCK_NAME).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in vault.home.iterdir()) == [LOCK_NAME, VAULT_NAME]


def test_header_is_json_line_with_bounded_kdf(made: tuple[Vault, WalletContents]) -> None:
    vault, _ = made
    header = json.loads(vault.path.read_bytes().split(b"\n", 1)[0])
    assert header["magic"] == VAULT_MAGIC
    assert header["cipher"] == "A256GCM"
    assert header["kdf"] == {**header["kdf"], "alg": "argon2id", "m": 8192, "t": 1, "p": 1}


def test_no_secret_in_any_file(made: tuple[Vault, WalletContents]) -> None:
    vault, contents = made
    secrets = [*CLAIMS.values(), contents.holder.jwk["d"], contents.holder.did]
    for record in contents.credentials:
        secrets += [record.token, record.token.split(".")[1][:40], record.id]
    for path in files_under(vault.home):
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, (path, secret)


def test_edit_writes_back_and_rewrites_nonce(made: tuple[Vault, WalletContents]) -> None:
    vault, _ = made
    before = vault.path.read_bytes()
    with vault.edit() as contents:
        contents.credentials.pop()
    after = vault.path.read_bytes()
    assert before.split(b"\n")[0] != after.split(b"\n")[0]  # fresh nonce
    assert len(_vault(vault.home).load().credentials) == 1


def test_failed_edit_changes_nothing(made: tuple[Vault, WalletContents]) -> None:
    vault, _ = made
    before = vault.path.read_bytes()

    def clear_then_fail() -> None:
        with vault.edit() as contents:
            contents.credentials.clear()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        clear_then_fail()
    assert vault.path.read_bytes() == before


def test_wrong_passphrase_is_distinct_and_changes_nothing(
    made: tuple[Vault, WalletContents],
) -> None:
    vault, _ = made
    before = vault.path.read_bytes()
    with pytest.raises(VaultError, match="wrong passphrase"):
        _vault(vault.home, "not the passphrase").load()
    with (
        pytest.raises(VaultError, match="wrong passphrase"),
        _vault(vault.home, "nope nope").edit(),
    ):
        pass
    assert vault.path.read_bytes() == before


def test_passphrase_is_unicode_normalised(tmp_path: Path, issuer: OfflineIssuer) -> None:
    composed, decomposed = "caf\u00e9 au lait", "cafe\u0301 au lait"
    vault = _vault(tmp_path / "w", composed)
    vault.create(_contents(issuer), params=TEST_KDF)
    assert _vault(tmp_path / "w", decomposed).load().holder.did


def _rewrite_header(path: Path, change: dict[str, object]) -> None:
    header, body = path.read_bytes().split(b"\n", 1)
    fields = json.loads(header)
    for key, value in change.items():
        if key.startswith("kdf."):
            fields["kdf"][key[4:]] = value
        else:
            fields[key] = value
    path.write_bytes(dumps_compact(fields).encode() + b"\n" + body)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kdf.salt": b64url_encode(b"\x01" * 16)}, "wrong passphrase"),  # other key
        ({"kdf.m": 8192 * 3}, "refused KDF"),
        ({"nonce": b64url_encode(b"\x00" * 12)}, "modified or is damaged"),
        ({"check": b64url_encode(b"\x00" * 16)}, "wrong passphrase"),
        ({"magic": BACKUP_MAGIC}, "not a wallet vault"),
        ({"magic": "something-else"}, "not a TrustID wallet file"),
        ({"v": 2}, "unknown format version"),
        ({"cipher": "A128GCM"}, "unknown format version or cipher"),
        ({"kdf.alg": "scrypt"}, "unknown KDF"),
        ({"extra": 1}, "unexpected fields"),
        ({"kdf.m": "8192"}, "malformed KDF"),
    ],
)
def test_tampered_header_is_refused(
    made: tuple[Vault, WalletContents], change: dict[str, object], message: str
) -> None:
    vault, _ = made
    _rewrite_header(vault.path, change)
    tampered = vault.path.read_bytes()
    with pytest.raises(VaultError, match=message):
        _vault(vault.home).load()
    assert vault.path.read_bytes() == tampered


def test_header_byte_flip_without_reparse_breaks_the_tag(
    made: tuple[Vault, WalletContents],
) -> None:
    # Same JSON meaning, different bytes: the AAD is the exact header bytes.
    vault, _ = made
    header, body = vault.path.read_bytes().split(b"\n", 1)
    vault.path.write_bytes(
        header.replace(b'"cipher":"A256GCM"', b'"cipher":"A256\\u0047CM"') + b"\n" + body
    )
    with pytest.raises(VaultError, match="modified or is damaged"):
        _vault(vault.home).load()


@pytest.mark.parametrize("where", ["first", "middle", "last-of-tag"])
def test_flipped_ciphertext_bit_is_refused(made: tuple[Vault, WalletContents], where: str) -> None:
    vault, _ = made
    data = bytearray(vault.path.read_bytes())
    start = data.index(b"\n") + 1
    index = {"first": start, "middle": (start + len(data)) // 2, "last-of-tag": len(data) - 1}
    data[index[where]] ^= 0x01
    vault.path.write_bytes(bytes(data))
    with pytest.raises(VaultError, match="modified or is damaged"):
        _vault(vault.home).load()


@pytest.mark.parametrize("keep", [0, 1, 40, "header", "header+10", "all-but-1"])
def test_truncated_vault_is_refused(made: tuple[Vault, WalletContents], keep: object) -> None:
    vault, _ = made
    data = vault.path.read_bytes()
    newline = data.index(b"\n")
    cut = {
        "header": newline,
        "header+10": newline + 11,
        "all-but-1": len(data) - 1,
    }.get(str(keep), keep)
    assert isinstance(cut, int)
    vault.path.write_bytes(data[:cut])
    with pytest.raises(VaultError, match=r"truncated|damaged|not a TrustID"):
        _vault(vault.home).load()


@pytest.mark.parametrize(
    "params",
    [
        KdfParams(m=19 * 1024 - 1, t=3, p=1),
        KdfParams(m=64 * 1024, t=1, p=1),
        KdfParams(m=1024 * 1024 + 1, t=3, p=1),
        KdfParams(m=64 * 1024, t=11, p=1),
        KdfParams(m=64 * 1024, t=3, p=0),
        KdfParams(m=64 * 1024, t=3, p=17),
        KdfParams(m=2**32, t=3, p=1),
    ],
)
def test_kdf_parameters_out_of_bounds_are_refused_before_derivation(params: KdfParams) -> None:
    with pytest.raises(VaultError, match="refused KDF"):
        check_kdf(params, allow_test=True)


def test_planted_huge_memory_cost_is_refused_without_deriving(
    made: tuple[Vault, WalletContents],
) -> None:
    vault, _ = made
    _rewrite_header(vault.path, {"kdf.m": 2**31, "kdf.t": 2})
    with pytest.raises(VaultError, match="refused KDF"):  # returns at once, no 2 TiB Argon2
        _vault(vault.home).load()


def test_bounds_accept_the_default_and_the_edges() -> None:
    check_kdf(DEFAULT_KDF, allow_test=False)
    check_kdf(KdfParams(m=19 * 1024, t=2, p=1), allow_test=False)
    check_kdf(KdfParams(m=1024 * 1024, t=10, p=16), allow_test=False)


def test_test_profile_vault_is_refused_outside_tests(made: tuple[Vault, WalletContents]) -> None:
    vault, _ = made
    with pytest.raises(VaultError, match="insecure test KDF profile"):
        Vault(vault.home, PASSPHRASE, allow_test_kdf=False).load()
    with pytest.raises(VaultError, match="insecure test KDF profile"):
        Vault(vault.home / "other", PASSPHRASE, allow_test_kdf=False).create(
            made[1], params=TEST_KDF
        )


def test_loose_directory_is_refused_with_the_fix(made: tuple[Vault, WalletContents]) -> None:
    vault, _ = made
    os.chmod(vault.home, 0o750)  # noqa: S103 - the unsafe mode under test
    with pytest.raises(VaultError, match=f"chmod 700 {vault.home}"):
        _vault(vault.home).load()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o666])
def test_loose_vault_file_is_refused_with_the_fix(
    made: tuple[Vault, WalletContents], mode: int
) -> None:
    vault, _ = made
    os.chmod(vault.path, mode)
    with pytest.raises(VaultError, match=f"chmod 600 {vault.path}"):
        _vault(vault.home).load()


def test_symlinked_vault_is_refused(made: tuple[Vault, WalletContents], tmp_path: Path) -> None:
    vault, _ = made
    elsewhere = tmp_path / "elsewhere"
    vault.path.rename(elsewhere)
    vault.path.symlink_to(elsewhere)
    with pytest.raises(VaultError, match="symbolic link"):
        _vault(vault.home).load()


def test_existing_loose_home_is_not_used_for_a_new_vault(
    tmp_path: Path, issuer: OfflineIssuer
) -> None:
    home = tmp_path / "shared"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)  # noqa: S103 - the unsafe mode under test
    with pytest.raises(VaultError, match="chmod 700"):
        _vault(home).create(_contents(issuer), params=TEST_KDF)
    assert not (home / VAULT_NAME).exists()


def test_create_never_overwrites(made: tuple[Vault, WalletContents], issuer: OfflineIssuer) -> None:
    vault, _ = made
    before = vault.path.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        _vault(vault.home).create(_contents(issuer), params=TEST_KDF)
    assert vault.path.read_bytes() == before


def test_missing_wallet_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="trustid-wallet init"):
        _vault(tmp_path / "none").load()


def test_stale_temp_files_are_cleaned_on_next_write(made: tuple[Vault, WalletContents]) -> None:
    vault, _ = made
    stale = vault.home / ".vault.deadbeef.tmp"
    stale.write_bytes(b"partial")
    with vault.edit():
        pass
    assert not stale.exists()


def test_lock_serialises_editors(made: tuple[Vault, WalletContents], issuer: OfflineIssuer) -> None:
    vault, _ = made
    holder = vault.load().holder.did
    tokens = [issuer.issue(holder) for _ in range(6)]

    def add(token: str) -> None:
        editor = _vault(vault.home)
        with editor.edit() as contents:
            record = CredentialRecord(id="", token=token, received_at="2026-11-23T12:00:00Z")
            record.id = record.view.id or ""
            contents.add(record)

    threads = [threading.Thread(target=add, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(_vault(vault.home).load().credentials) == 2 + len(tokens)


def test_held_lock_times_out_as_busy(made: tuple[Vault, WalletContents]) -> None:
    vault, _ = made
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with vault.edit():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(5)
    try:
        with pytest.raises(BusyError):
            _vault(vault.home, lock_timeout=0.2).load()
    finally:
        release.set()
        thread.join()


def test_backup_round_trip_and_refusals(made: tuple[Vault, WalletContents], tmp_path: Path) -> None:
    _, contents = made
    path = tmp_path / "backup.tid"
    write_backup(path, contents, "a backup passphrase", params=TEST_KDF)
    assert read_backup(path, "a backup passphrase", allow_test_kdf=True).to_json() == (
        contents.to_json()
    )
    with pytest.raises(VaultError, match="wrong passphrase for this backup"):
        read_backup(path, "another passphrase", allow_test_kdf=True)
    with pytest.raises(VaultError, match="insecure test KDF"):
        read_backup(path, "a backup passphrase", allow_test_kdf=False)
    with pytest.raises(VaultError, match="this is a wallet vault, not a wallet backup"):
        read_backup(made[0].path, PASSPHRASE, allow_test_kdf=True)


def test_sealing_reuses_the_key_with_a_fresh_nonce() -> None:
    key = SealingKey.derive("passphrase!", magic=VAULT_MAGIC, params=TEST_KDF)
    one, two = seal(b"same", key), seal(b"same", key)
    assert one != two
    plain, reused = open_sealed(
        two, "ignored when the key is known", magic=VAULT_MAGIC, allow_test_kdf=True, known=key
    )
    assert plain == b"same"
    assert reused is key


def test_damaged_plaintext_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "w"
    home.mkdir(mode=0o700)
    key = SealingKey.derive(PASSPHRASE, magic=VAULT_MAGIC, params=TEST_KDF)
    (home / VAULT_NAME).write_bytes(seal(b'{"version": 1, "holder": {}}', key))
    os.chmod(home / VAULT_NAME, 0o600)
    with pytest.raises(VaultError, match="contents are not readable"):
        _vault(home).load()
