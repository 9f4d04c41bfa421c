"""Key-encryption key (KEK): private signing keys and cached responses are sealed at rest.

The KEK is 32 random bytes, from ``TRUSTID_MASTER_KEY`` (base64url) or from
``<data_dir>/master.key``, created on first use with mode 0600 (refused later if group-
or world-readable). Sealing is AES-256-GCM with a fresh 96-bit nonce and caller-chosen
associated data (e.g. the signing key's id), so a sealed blob moved to another row
does not open (a swapped-ciphertext attack on the database).

Blob layout: ``version (1 byte) || nonce (12) || ciphertext || tag (16)``. Each blob is
stored beside the KEK's id (a hash of the key), so running with the wrong master key
gives a clear error instead of an opaque authentication failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from issuer.errors import MasterKeyError
from vcore.keys import b64url_decode, b64url_encode

__all__ = ["KeyEncryptionKey", "ensure_data_dir", "load_kek"]

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
