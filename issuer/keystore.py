"""Key-encryption key (KEK): private signing keys and cached responses are sealed at rest.

The KEK is 32 random bytes, from ``TRUSTID_MASTER_KEY`` (base64url) or from
``<data_dir>/master.key``, created on first use with mode 0600 (refused later if group-
or world-readable). Sealing is AES-256-GCM with a fresh 96-bit nonce and caller-chosen
associated data (e.g. the signing key's id), so a sealed blob moved to another row
does not open (a swapped-ciphertext attack on the database).

Blob layout: ``version (1 byte) || nonce (12) || ciphertext || tag (16)``. Each blob is
stored beside the KEK's id (a hash of the key), so running with the wrong master key
gives a clear error instead of an opaque authentication failure.

Signing keys go through a :class:`KeyBackend`: it creates a key (returning what the
database stores about it) and hands out a :class:`vcore.signing.Signer` for a stored key.
:class:`SoftwareKeyBackend` is the one backend today: the key is generated in process and
its PKCS#8 form sealed under the KEK; opened keys are cached in memory by thumbprint (they
never change). An HSM backend would store a key handle instead of the sealed blob and
return a signer that calls the device.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from issuer.errors import MasterKeyError
from vcore.keys import (
    PrivateKey,
    PublicKey,
    b64url_decode,
    b64url_encode,
    generate_key,
    private_key_from_der,
)
from vcore.signing import Signer, SoftwareSigner

__all__ = [
    "KeyBackend",
    "KeyEncryptionKey",
    "NewSigningKey",
    "SoftwareKeyBackend",
    "StoredSigningKey",
    "ensure_data_dir",
    "load_kek",
]

_VERSION = b"\x01"
_NONCE_LEN = 12
_KEY_FILE = "master.key"


@dataclass(frozen=True)
class KeyEncryptionKey:
    """An AES-256-GCM key-encryption key."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise MasterKeyError("the master key must be exactly 32 bytes")

    @property
    def key_id(self) -> str:
        """A short public id of this KEK (domain-separated hash, not the key)."""
        return b64url_encode(hashlib.sha256(b"trustid-kek-id\x00" + self.key).digest()[:9])

    def seal(self, plaintext: bytes, aad: str) -> bytes:
        """Encrypt and authenticate ``plaintext`` bound to ``aad``."""
        nonce = secrets.token_bytes(_NONCE_LEN)
        sealed = AESGCM(self.key).encrypt(nonce, plaintext, aad.encode("utf-8"))
        return _VERSION + nonce + sealed

    def open(self, blob: bytes, aad: str) -> bytes:
        """Decrypt a blob from :meth:`seal` with the same ``aad``.

        Raises:
            MasterKeyError: the blob is damaged, was sealed under another key or another
                ``aad``.
        """
        if len(blob) < 1 + _NONCE_LEN + 16 or blob[:1] != _VERSION:
            raise MasterKeyError("sealed data has an unknown format")
        nonce, sealed = blob[1 : 1 + _NONCE_LEN], blob[1 + _NONCE_LEN :]
        try:
            return AESGCM(self.key).decrypt(nonce, sealed, aad.encode("utf-8"))
        except InvalidTag as exc:
            raise MasterKeyError(
                "sealed data does not open with this master key (wrong TRUSTID_MASTER_KEY?)"
            ) from exc


def ensure_data_dir(data_dir: Path) -> Path:
    """Create the data directory with mode 0700 if it does not exist."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return data_dir


def _parse(text: str, where: str) -> KeyEncryptionKey:
    try:
        raw = b64url_decode(text.strip())
    except ValueError as exc:
        raise MasterKeyError(f"{where} is not unpadded base64url") from exc
    if len(raw) != 32:
        raise MasterKeyError(f"{where} must encode exactly 32 bytes, not {len(raw)}")
    return KeyEncryptionKey(raw)


def _read_key_file(path: Path) -> KeyEncryptionKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MasterKeyError(
            f"{path} is readable by group or others (mode {stat.S_IMODE(mode):o}); chmod 600 it"
        )
    return _parse(path.read_text(encoding="ascii"), str(path))


def _create_key_file(path: Path) -> None:
    # Write a private temp file, then hard-link it into place: link() fails if the name
    # exists, so two processes starting together agree on one key, and nobody can read
    # a half-written file.
    temp = path.with_name(f".{_KEY_FILE}.{secrets.token_hex(8)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(b64url_encode(secrets.token_bytes(32)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_kek(master_key: str | None, data_dir: Path) -> KeyEncryptionKey:
    """The KEK from ``master_key`` (base64url) or from ``<data_dir>/master.key``.

    The file is created (0600, in a 0700 data dir) when neither exists.

    Raises:
        MasterKeyError: malformed key, wrong length, or a key file others can read.
    """
    if master_key is not None:
        return _parse(master_key, "TRUSTID_MASTER_KEY")
    path = ensure_data_dir(data_dir) / _KEY_FILE
    if not path.exists():
        _create_key_file(path)
    return _read_key_file(path)


# -- signing-key backends ------------------------------------------------------------------


@dataclass(frozen=True)
class NewSigningKey:
    """A freshly created signing key, as the database stores it."""

    public_key: PublicKey
    thumbprint: str
    material: bytes = field(repr=False)  # what the backend needs to use the key again
    backend_id: str  # which backend instance can open ``material`` (the KEK id)


@dataclass(frozen=True)
class StoredSigningKey:
    """A signing key read back from the database."""

    thumbprint: str
    alg: str
    material: bytes = field(repr=False)
    backend_id: str


class KeyBackend(Protocol):
    """Where the issuer's private signing keys live (software today, an HSM later)."""

    def create(self, alg: str) -> NewSigningKey:
        """Create a key for ``alg`` and return what the database should store."""
        ...

    def signer(self, stored: StoredSigningKey, kid: str) -> Signer:
        """A signer for a stored key under ``kid``.

        Raises:
            MasterKeyError: the key cannot be opened by this backend.
        """
        ...


class SoftwareKeyBackend:
    """Keys generated in process, stored as PKCS#8 DER sealed under the KEK.

    The thumbprint is the sealing AAD, so a sealed key moved to another row does not open.
    """

    def __init__(self, kek: KeyEncryptionKey) -> None:
        self._kek = kek
        self._cache: dict[str, PrivateKey] = {}
        self._lock = threading.Lock()

    def create(self, alg: str) -> NewSigningKey:
        key = generate_key(alg)
        thumbprint = key.public_key().thumbprint()
        return NewSigningKey(
            public_key=key.public_key(),
            thumbprint=thumbprint,
            material=self._kek.seal(key.to_der(), aad=thumbprint),
            backend_id=self._kek.key_id,
        )

    def _open(self, stored: StoredSigningKey) -> PrivateKey:
        with self._lock:
            cached = self._cache.get(stored.thumbprint)
        if cached is not None:
            return cached
        if stored.backend_id != self._kek.key_id:
            raise MasterKeyError(
                f"signing key {stored.thumbprint} is sealed under master key "
                f"{stored.backend_id}, but the configured master key is {self._kek.key_id}"
            )
        der = self._kek.open(stored.material, aad=stored.thumbprint)
        key = private_key_from_der(der, alg=stored.alg)
        if key.public_key().thumbprint() != stored.thumbprint:
            raise MasterKeyError(f"signing key {stored.thumbprint} does not match its thumbprint")
        with self._lock:
            self._cache[stored.thumbprint] = key
        return key

    def signer(self, stored: StoredSigningKey, kid: str) -> Signer:
        return SoftwareSigner(self._open(stored), kid)
