"""The verifier's key-encryption key: its private keys are sealed at rest, as the issuer's.

The KEK is 32 random bytes from ``TRUSTID_MASTER_KEY`` (base64url) or from
``<data_dir>/verifier-master.key``, created 0600 on first start (refused later if group-
or world-readable). Sealing is AES-256-GCM with a fresh nonce and associated data naming
the row (a sealed key moved to another row does not open). Blob: ``version || nonce ||
ciphertext || tag``; the KEK's id is stored beside each blob so a wrong master key is a
clear error, not an opaque authentication failure.
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

from vcore.keys import b64url_decode, b64url_encode
from verifier.errors import MasterKeyError

__all__ = ["KeyEncryptionKey", "load_kek"]

_VERSION = b"\x01"
_KEY_FILE = "verifier-master.key"


@dataclass(frozen=True)
class KeyEncryptionKey:
    """An AES-256-GCM key-encryption key."""

    key: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        """A short public id of this KEK (domain-separated hash, not the key)."""
        return b64url_encode(hashlib.sha256(b"trustid-kek-id\x00" + self.key).digest()[:9])

    def seal(self, plaintext: bytes, aad: str) -> bytes:
        """Encrypt and authenticate ``plaintext`` bound to ``aad``."""
        nonce = secrets.token_bytes(12)
        return _VERSION + nonce + AESGCM(self.key).encrypt(nonce, plaintext, aad.encode())

    def open(self, blob: bytes, aad: str) -> bytes:
        """Decrypt a blob of :meth:`seal` with the same ``aad``.

        Raises:
            MasterKeyError: not sealed by this KEK for this ``aad``.
        """
        if blob[:1] != _VERSION or len(blob) < 29:
            raise MasterKeyError("a sealed key has an unknown layout")
        try:
            return AESGCM(self.key).decrypt(blob[1:13], blob[13:], aad.encode())
        except InvalidTag as exc:
            raise MasterKeyError(
                "a sealed key does not open: wrong TRUSTID_MASTER_KEY, or a moved row"
            ) from exc


def _parse(text: str, where: str) -> KeyEncryptionKey:
    try:
        raw = b64url_decode(text.strip())
    except ValueError as exc:
        raise MasterKeyError(f"{where} is not unpadded base64url") from exc
    if len(raw) != 32:
        raise MasterKeyError(f"{where} must encode exactly 32 bytes, not {len(raw)}")
    return KeyEncryptionKey(raw)


def _create_key_file(path: Path) -> None:
    # A private temp file hard-linked into place: link() fails if the name exists, so
    # two processes starting together agree on one key.
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


def load_kek(master_key: str | None, data_dir: Path) -> KeyEncryptionKey:
    """The KEK from ``master_key`` or ``<data_dir>/verifier-master.key`` (created if absent).

    Raises:
        MasterKeyError: malformed, wrong length, or a key file others can read.
    """
    if master_key is not None:
        return _parse(master_key, "TRUSTID_MASTER_KEY")
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / _KEY_FILE
    if not path.exists():
        _create_key_file(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MasterKeyError(
            f"{path} is readable by group or others (mode {stat.S_IMODE(mode):o}); chmod 600 it"
        )
    return _parse(path.read_text(encoding="ascii"), str(path))
