"""The encrypted vault and every other file the wallet touches (DESIGN §4).

File format (vault and backup alike)::

    <header JSON, one line>\\n<AES-256-GCM ciphertext || 16-byte tag>

    header = {"check": b64u(16 B), "cipher": "A256GCM",
              "kdf": {"alg": "argon2id", "m": KiB, "p": lanes, "salt": b64u, "t": passes},
              "magic": "trustid-wallet-vault" | "trustid-wallet-backup",
              "nonce": b64u(12 B), "v": 1}

* The exact header bytes are the GCM additional data, so no header byte can change
  without the tag failing (a downgraded ``m``/``t`` is also caught by the key changing).
* Argon2id yields 48 bytes: 32 are the AES key, 16 are ``check``, which tells a wrong
  passphrase apart from a modified file. It gives an attacker nothing GCM itself does not:
  a passphrase guess can be tested against the tag just as well.
* KDF parameters read from a file are bounded *before* any work (m 19 MiB..1 GiB, t 2..10,
  p 1..16): a planted ``m = 2**32`` must not exhaust memory. The cheap test profile is
  accepted only when ``TRUSTID_WALLET_TEST_KDF`` is set.
* A fresh random nonce per write under the same key (one salt per vault); 96-bit random
  nonces stay far below the 2**32 messages NIST SP 800-38D §8.3 allows per key.
* A passphrase change (:meth:`Vault.change_passphrase`) re-encrypts under a fresh salt
  (so a fresh key) and nonce, through the same locked atomic write.
* Writes are atomic and durable: temp file (O_EXCL, 0600) in the same directory, write,
  fsync, ``os.replace``, fsync the directory. A separate ``.lock`` file, never renamed,
  is ``flock``-ed around each read-modify-write so concurrent commands serialise.
* The home directory must be 0700 and the vault 0600, owned by the user: a vault others
  can read or replace is refused with the ``chmod`` that fixes it.

The format and its cryptography are in :mod:`wallet_cli.sealing`, the atomic and
size-limited file I/O in :mod:`wallet_cli.files`; their public names are re-exported here.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from wallet_cli.errors import BusyError, InputError, NotFoundError, VaultError
from wallet_cli.files import (
    MAX_FILE,
    TMP_SUFFIX,
    read_input_file,
    read_limited,
    write_atomic,
    write_output_file,
)
from wallet_cli.records import WalletContents
from wallet_cli.sealing import (
    BACKUP_MAGIC,
    DEFAULT_KDF,
    TEST_KDF,
    VAULT_MAGIC,
    KdfParams,
    SealingKey,
    check_kdf,
    check_new_passphrase,
    contents_bytes,
    contents_from,
    open_sealed,
    seal,
)

__all__ = [
    "BACKUP_MAGIC",
    "DEFAULT_KDF",
    "LOCK_NAME",
    "TEST_KDF",
    "VAULT_MAGIC",
    "VAULT_NAME",
    "KdfParams",
    "SealingKey",
    "Vault",
    "check_kdf",
    "check_new_passphrase",
    "open_sealed",
    "read_backup",
    "read_input_file",
    "seal",
    "vault_exists",
    "write_backup",
    "write_output_file",
]

VAULT_NAME = "vault"
LOCK_NAME = ".lock"
_TMP_PREFIX = f".{VAULT_NAME}."


def write_backup(
    path: Path, contents: WalletContents, passphrase: str, *, params: KdfParams
) -> None:
    """Encrypt ``contents`` under a passphrase of the user's choosing and write ``path``."""
    key = SealingKey.derive(passphrase, magic=BACKUP_MAGIC, params=params)
    write_output_file(path, seal(contents_bytes(contents), key))


def read_backup(path: Path, passphrase: str, *, allow_test_kdf: bool) -> WalletContents:
    """Open a backup written by :func:`write_backup`.

    Raises:
        InputError: the file cannot be read.
        VaultError: wrong passphrase, damaged or not a backup.
    """
    data = read_input_file(path, MAX_FILE)
    plaintext, _ = open_sealed(
        data, passphrase, magic=BACKUP_MAGIC, allow_test_kdf=allow_test_kdf, what="backup"
    )
    return contents_from(plaintext, "backup")


# -- the vault ----------------------------------------------------------------------------


def vault_exists(home: Path) -> bool:
    """Whether a vault file (or something in its place) exists under ``home``."""
    return os.path.lexists(home / VAULT_NAME)


def _unsafe_mode(info: os.stat_result) -> bool:
    return bool(info.st_mode & 0o077) or info.st_uid != os.getuid()


class Vault:
    """The wallet at one home directory.

    ``load()`` reads a snapshot; ``edit()`` is the read-modify-write under the exclusive
    lock. The key is derived once per process and reused for the write-back.
    """

    def __init__(
        self,
        home: Path,
        passphrase: str,
        *,
        allow_test_kdf: bool,
        lock_timeout: float = 60.0,
    ) -> None:
        self.home = home
        self._passphrase = passphrase
        self._allow_test = allow_test_kdf
        self._lock_timeout = lock_timeout
        self._key: SealingKey | None = None

    @property
    def path(self) -> Path:
        return self.home / VAULT_NAME

    def exists(self) -> bool:
        return vault_exists(self.home)

    # -- permissions and lock

    def _check_home(self) -> None:
        try:
            info = os.stat(self.home)
        except FileNotFoundError:
            raise NotFoundError.keyed("no_wallet", home=self.home) from None
        if not stat.S_ISDIR(info.st_mode):
            raise VaultError(f"{self.home} is not a directory")
        if _unsafe_mode(info):
            raise VaultError(
                f"{self.home} is accessible by other users (mode {stat.S_IMODE(info.st_mode):04o}"
                f"); fix it with: chmod 700 {self.home}"
            )

    @contextlib.contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        self._check_home()
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.home / LOCK_NAME, flags, 0o600)
        except OSError as exc:
            raise VaultError(f"cannot open the wallet lock file: {exc.strerror}") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or _unsafe_mode(info):
                raise VaultError(
                    f"{self.home / LOCK_NAME} has unsafe permissions; fix it with: "
                    f"chmod 600 {self.home / LOCK_NAME}"
                )
            operation = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            deadline = time.monotonic() + self._lock_timeout
            while True:
                try:
                    fcntl.flock(fd, operation | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                        raise
                if time.monotonic() > deadline:
                    raise BusyError(
                        "another wallet command is still running; try again when it ends"
                    )
                time.sleep(0.02)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    # -- reading and writing

    def _read(self) -> bytes:
        try:
            data, info = read_limited(self.path, MAX_FILE, follow=False)
        except FileNotFoundError:
            raise NotFoundError.keyed("no_wallet", home=self.home) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise VaultError(f"{self.path} is a symbolic link; refusing to follow it") from None
            raise VaultError(f"cannot read {self.path}: {exc.strerror}") from None
        except InputError as exc:
            raise VaultError(exc.message) from None
        if _unsafe_mode(info):
            raise VaultError(
                f"{self.path} is readable or owned by someone else (mode "
                f"{stat.S_IMODE(info.st_mode):04o}); fix it with: chmod 600 {self.path}"
            )
        return data

    def _open(self) -> WalletContents:
        plaintext, self._key = open_sealed(
            self._read(),
            self._passphrase,
            magic=VAULT_MAGIC,
            allow_test_kdf=self._allow_test,
            known=self._key,
        )
        return contents_from(plaintext, "vault")

    def _write(self, contents: WalletContents, key: SealingKey | None = None) -> None:
        key = key or self._key
        if key is None:  # pragma: no cover - _open or create always set it
            raise VaultError("vault key not derived")
        for stale in self.home.glob(f"{_TMP_PREFIX}*{TMP_SUFFIX}"):
            # Left by a command killed mid-write; ciphertext only, but do not pile up.
            with contextlib.suppress(OSError):
                stale.unlink()
        write_atomic(self.path, seal(contents_bytes(contents), key))

    def load(self) -> WalletContents:
        """Decrypt a consistent snapshot (a shared lock keeps writers out meanwhile).

        Raises:
            NotFoundError: no wallet here.
            VaultError: permissions, damage or passphrase.
            BusyError: the lock was held too long.
        """
        with self._locked(exclusive=False):
            return self._open()

    @contextlib.contextmanager
    def edit(self) -> Iterator[WalletContents]:
        """Read-modify-write under the exclusive lock; written back only on success."""
        with self._locked(exclusive=True):
            contents = self._open()
            yield contents
            self._write(contents)

    def change_passphrase(self, new_passphrase: str, *, params: KdfParams) -> None:
        """Re-encrypt the vault under ``new_passphrase``, with a fresh salt and nonce.

        Under the exclusive lock, the vault is opened with the current passphrase (a
        wrong one changes nothing), then replaced atomically: after a crash the file
        holds the old passphrase's vault or the new one's, never a mix. The KDF cost is
        the vault's own, raised to ``params`` where that is higher, so a change never
        lowers it and an old vault gets today's default cost.

        Raises:
            InputError: the new passphrase is too short or the same as the current one.
            NotFoundError: no wallet here.
            VaultError: wrong current passphrase, damage, permissions, refused KDF cost.
            BusyError: the lock was held too long.
        """
        check_new_passphrase(new_passphrase)
        if unicodedata.normalize("NFC", new_passphrase) == unicodedata.normalize(
            "NFC", self._passphrase
        ):
            raise InputError("the new passphrase is the same as the current one")
        with self._locked(exclusive=True):
            contents = self._open()
            if self._key is None:  # pragma: no cover - _open always sets it
                raise VaultError("vault key not derived")
            old = self._key.params
            cost = KdfParams(m=max(old.m, params.m), t=max(old.t, params.t), p=old.p)
            check_kdf(cost, allow_test=self._allow_test)
            key = SealingKey.derive(new_passphrase, magic=VAULT_MAGIC, params=cost)
            self._write(contents, key)
            self._key = key
            self._passphrase = new_passphrase

    def create(self, contents: WalletContents, *, params: KdfParams) -> None:
        """Create the home directory (0700) and a new vault; never overwrites one.

        Raises:
            InputError: a wallet already exists here.
            VaultError: the directory exists with unsafe permissions.
        """
        check_kdf(params, allow_test=self._allow_test)
        created = not self.home.exists()
        try:
            self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
            if created:
                os.chmod(self.home, 0o700)  # mkdir's mode is filtered by the umask
        except OSError as exc:
            raise InputError(f"cannot create {self.home}: {exc.strerror}") from None
        with self._locked(exclusive=True):
            if self.exists():
                raise InputError(
                    f"a wallet already exists at {self.home}; use another --home or "
                    "`trustid-wallet import` to restore a backup into it"
                )
            self._key = SealingKey.derive(self._passphrase, magic=VAULT_MAGIC, params=params)
            self._write(contents)

    def create_or_merge(self, incoming: WalletContents, *, params: KdfParams) -> tuple[int, int]:
        """Restore a backup: create the vault if there is none, else merge into it.

        Returns:
            (credentials added, credentials already present).

        Raises:
            InputError: the backup belongs to another holder key than this wallet.
        """
        if not self.exists():
            self.create(incoming, params=params)
            return len(incoming.credentials), 0
        with self.edit() as contents:
            if contents.holder.did != incoming.holder.did:
                raise InputError(
                    "this backup belongs to another holder "
                    f"({incoming.holder.did[:24]}...) than this wallet "
                    f"({contents.holder.did[:24]}...); import it into a new --home"
                )
            added = sum(contents.add(record) for record in incoming.credentials)
            # Keys resolved afresh by `import` replace older cached copies.
            contents.issuer_keys.update(incoming.issuer_keys)
        return added, len(incoming.credentials) - added
