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
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hmac
import os
import secrets
import stat
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vcore.jsontext import dumps_compact, loads_strict
from vcore.keys import b64url_decode, b64url_encode
from wallet_cli.errors import BusyError, InputError, NotFoundError, VaultError
from wallet_cli.records import WalletContents

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

VAULT_MAGIC = "trustid-wallet-vault"
BACKUP_MAGIC = "trustid-wallet-backup"
FORMAT_VERSION = 1
VAULT_NAME = "vault"
LOCK_NAME = ".lock"
_TMP_PREFIX = f".{VAULT_NAME}."
_TMP_SUFFIX = ".tmp"
_MAX_HEADER = 1024
_MAX_FILE = 64 * 1024 * 1024
_TAG = 16
_NONCE = 12
_CHECK = 16
_KEY = 32
_SALT = 16
_MIN_PASSPHRASE = 8


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: memory in KiB, passes, lanes (RFC 9106 §3.1)."""

    m: int
    t: int
    p: int


DEFAULT_KDF = KdfParams(m=256 * 1024, t=3, p=1)
TEST_KDF = KdfParams(m=8 * 1024, t=1, p=1)
_MIN_M, _MAX_M = 19 * 1024, 1024 * 1024
_MIN_T, _MAX_T = 2, 10
_MAX_P = 16


def check_kdf(params: KdfParams, *, allow_test: bool) -> None:
    """Refuse KDF parameters outside DESIGN §4 bounds before any derivation runs.

    Raises:
        VaultError: too weak (an attacker lowering the cost to speed up guessing) or too
            costly (a planted value to exhaust memory or time); the test profile when
            tests are not running.
    """
    if params == TEST_KDF:
        if allow_test:
            return
        raise VaultError(
            "this file was made with the insecure test KDF profile and is refused outside "
            "tests (TRUSTID_WALLET_TEST_KDF is not set)"
        )
    if not (_MIN_M <= params.m <= _MAX_M and _MIN_T <= params.t <= _MAX_T):
        raise VaultError(
            f"refused KDF parameters m={params.m} KiB, t={params.t}: allowed are "
            f"m {_MIN_M}..{_MAX_M} KiB and t {_MIN_T}..{_MAX_T} (file damaged or tampered)"
        )
    if not 1 <= params.p <= _MAX_P:
        raise VaultError(f"refused KDF parameter p={params.p}: allowed is 1..{_MAX_P}")


def _derive(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    from argon2.low_level import Type, hash_secret_raw  # local: keeps start-up light

    # NFC so the same passphrase typed on different keyboards/OSes derives the same key.
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return bytes(
        hash_secret_raw(
            secret=secret,
            salt=salt,
            time_cost=params.t,
            memory_cost=params.m,
            parallelism=params.p,
            hash_len=_KEY + _CHECK,
            type=Type.ID,
        )
    )


@dataclass(frozen=True)
class SealingKey:
    """A derived key and the header fields that go with it; reused for write-back."""

    magic: str
    params: KdfParams
    salt: bytes
    key: bytes
    check: bytes

    @classmethod
    def derive(
        cls, passphrase: str, *, magic: str, params: KdfParams, salt: bytes | None = None
    ) -> SealingKey:
        """Derive a key under ``salt`` (a file's own), or a fresh random salt."""
        salt = secrets.token_bytes(_SALT) if salt is None else salt
        raw = _derive(passphrase, salt, params)
        return cls(magic, params, salt, raw[:_KEY], raw[_KEY:])

    def header(self, nonce: bytes) -> bytes:
        fields = {
            "check": b64url_encode(self.check),
            "cipher": "A256GCM",
            "kdf": {
                "alg": "argon2id",
                "m": self.params.m,
                "p": self.params.p,
                "salt": b64url_encode(self.salt),
                "t": self.params.t,
            },
            "magic": self.magic,
            "nonce": b64url_encode(nonce),
            "v": FORMAT_VERSION,
        }
        return dumps_compact(fields).encode("ascii")


def seal(plaintext: bytes, key: SealingKey) -> bytes:
    """Encrypt under a fresh nonce; the header bytes are the AAD."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(_NONCE)
    header = key.header(nonce)
    return header + b"\n" + AESGCM(key.key).encrypt(nonce, plaintext, header)


@dataclass(frozen=True)
class _Parsed:
    header: bytes
    magic: str
    params: KdfParams
    salt: bytes
    nonce: bytes
    check: bytes
    body: bytes


def _b64_field(value: object, length: tuple[int, int], what: str) -> bytes:
    try:
        raw = b64url_decode(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if not length[0] <= len(raw) <= length[1]:
        raise VaultError(f"the file header is damaged ({what})")
    return raw


def _parse(data: bytes, magic: str, what: str) -> _Parsed:
    newline = data.find(b"\n", 0, _MAX_HEADER + 1)
    if newline < 0:
        raise VaultError(f"the {what} is truncated or is not a TrustID wallet file")
    header = data[:newline]
    try:
        fields = loads_strict(header)
    except ValueError:
        raise VaultError(f"the {what} header is damaged or truncated") from None
    if not isinstance(fields, dict):
        raise VaultError(f"the {what} header is damaged")
    found = fields.get("magic")
    if found != magic:
        kinds = {VAULT_MAGIC: "a wallet vault", BACKUP_MAGIC: "a wallet backup"}
        actual = kinds.get(found) if isinstance(found, str) else None
        raise VaultError(
            f"this is {actual}, not {kinds[magic]}"
            if actual
            else f"the {what} is not a TrustID wallet file"
        )
    if fields.get("v") != FORMAT_VERSION or fields.get("cipher") != "A256GCM":
        raise VaultError(f"the {what} uses an unknown format version or cipher")
    kdf = fields.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("alg") != "argon2id":
        raise VaultError(f"the {what} header names an unknown KDF")
    numbers = [kdf.get(name) for name in ("m", "t", "p")]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        raise VaultError(f"the {what} header has malformed KDF parameters")
    if set(fields) != {"check", "cipher", "kdf", "magic", "nonce", "v"} or set(kdf) != {
        "alg",
        "m",
        "p",
        "salt",
        "t",
    }:
        raise VaultError(f"the {what} header has unexpected fields")
    body = data[newline + 1 :]
    if len(body) < _TAG:
        raise VaultError(f"the {what} is truncated")
    return _Parsed(
        header=header,
        magic=magic,
        params=KdfParams(m=numbers[0], t=numbers[1], p=numbers[2]),  # type: ignore[arg-type]
        salt=_b64_field(kdf.get("salt"), (16, 64), "salt"),
        nonce=_b64_field(fields.get("nonce"), (_NONCE, _NONCE), "nonce"),
        check=_b64_field(fields.get("check"), (_CHECK, _CHECK), "check"),
        body=body,
    )


def open_sealed(
    data: bytes,
    passphrase: str,
    *,
    magic: str,
    allow_test_kdf: bool,
    known: SealingKey | None = None,
    what: str = "vault",
) -> tuple[bytes, SealingKey]:
    """Check the header, bound the KDF, derive (or reuse ``known``), decrypt.

    Raises:
        VaultError: damaged/truncated header, refused KDF parameters, wrong passphrase,
            or a file modified after it was written.
    """
    parsed = _parse(data, magic, what)
    check_kdf(parsed.params, allow_test=allow_test_kdf)
    if known is not None and (known.params, known.salt) == (parsed.params, parsed.salt):
        key = known
    else:
        key = SealingKey.derive(passphrase, magic=magic, params=parsed.params, salt=parsed.salt)
    if not hmac.compare_digest(key.check, parsed.check):
        raise VaultError(f"wrong passphrase for this {what}")
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        plaintext = AESGCM(key.key).decrypt(parsed.nonce, parsed.body, parsed.header)
    except InvalidTag:
        raise VaultError(
            f"the {what} was modified or is damaged (the passphrase is right but the "
            "contents do not authenticate); nothing was changed: restore from a backup"
        ) from None
    return plaintext, key


def _contents_from(plaintext: bytes, what: str) -> WalletContents:
    try:
        return WalletContents.from_json(loads_strict(plaintext))
    except ValueError as exc:
        raise VaultError(f"the {what} contents are not readable: {exc}") from None


def _contents_bytes(contents: WalletContents) -> bytes:
    return dumps_compact(contents.to_json()).encode("utf-8")


def check_new_passphrase(passphrase: str) -> None:
    """Refuse passphrases too short to resist offline guessing even behind Argon2id.

    Raises:
        InputError: shorter than 8 characters.
    """
    if len(passphrase) < _MIN_PASSPHRASE:
        raise InputError(f"choose a passphrase of at least {_MIN_PASSPHRASE} characters")


# -- files -------------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` so that a crash leaves the old or the new file."""
    directory = target.parent
    # Named after the target, so the vault's stale-temp cleanup never touches another's.
    tmp = directory / f".{target.name}.{secrets.token_hex(8)}{_TMP_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb", closefd=True) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def _read_limited(path: Path, limit: int, *, follow: bool = True) -> tuple[bytes, os.stat_result]:
    flags = os.O_RDONLY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb", closefd=True) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path} is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"{path} is larger than {limit} bytes")
    return data, info


def read_input_file(path: Path, limit: int) -> bytes:
    """Read a user-given input file (credential, QR image) up to ``limit`` bytes.

    Raises:
        InputError: missing, unreadable, not a regular file, or too large.
    """
    try:
        return _read_limited(path, limit)[0]
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def write_output_file(path: Path, data: bytes) -> None:
    """Write a user-requested output (token, PNG, backup) atomically, readable by the user only.

    Raises:
        InputError: the file cannot be written there.
    """
    try:
        _write_atomic(path.absolute(), data)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def write_backup(
    path: Path, contents: WalletContents, passphrase: str, *, params: KdfParams
) -> None:
    """Encrypt ``contents`` under a passphrase of the user's choosing and write ``path``."""
    key = SealingKey.derive(passphrase, magic=BACKUP_MAGIC, params=params)
    write_output_file(path, seal(_contents_bytes(contents), key))


def read_backup(path: Path, passphrase: str, *, allow_test_kdf: bool) -> WalletContents:
    """Open a backup written by :func:`write_backup`.

    Raises:
        InputError: the file cannot be read.
        VaultError: wrong passphrase, damaged or not a backup.
    """
    data = read_input_file(path, _MAX_FILE)
    plaintext, _ = open_sealed(
        data, passphrase, magic=BACKUP_MAGIC, allow_test_kdf=allow_test_kdf, what="backup"
    )
    return _contents_from(plaintext, "backup")


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
            raise NotFoundError(
                f"no wallet at {self.home}: create one with `trustid-wallet init`"
            ) from None
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
            data, info = _read_limited(self.path, _MAX_FILE, follow=False)
        except FileNotFoundError:
            raise NotFoundError(
                f"no wallet at {self.home}: create one with `trustid-wallet init`"
            ) from None
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
        return _contents_from(plaintext, "vault")

    def _write(self, contents: WalletContents, key: SealingKey | None = None) -> None:
        key = key or self._key
        if key is None:  # pragma: no cover - _open or create always set it
            raise VaultError("vault key not derived")
        for stale in self.home.glob(f"{_TMP_PREFIX}*{_TMP_SUFFIX}"):
            # Left by a command killed mid-write; ciphertext only, but do not pile up.
            with contextlib.suppress(OSError):
                stale.unlink()
        _write_atomic(self.path, seal(_contents_bytes(contents), key))

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
