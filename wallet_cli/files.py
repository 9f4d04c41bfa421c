"""Plain file I/O for the wallet: atomic, durable writes and size-limited reads."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from wallet_cli.errors import InputError

__all__ = [
    "MAX_FILE",
    "TMP_SUFFIX",
    "read_input_file",
    "read_limited",
    "write_atomic",
    "write_output_file",
]

TMP_SUFFIX = ".tmp"
MAX_FILE = 64 * 1024 * 1024


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` so that a crash leaves the old or the new file."""
    directory = target.parent
    # Named after the target, so the vault's stale-temp cleanup never touches another's.
    tmp = directory / f".{target.name}.{secrets.token_hex(8)}{TMP_SUFFIX}"
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


def read_limited(path: Path, limit: int, *, follow: bool = True) -> tuple[bytes, os.stat_result]:
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
        return read_limited(path, limit)[0]
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def write_output_file(path: Path, data: bytes) -> None:
    """Write a user-requested output (token, PNG, backup) atomically, readable by the user only.

    Raises:
        InputError: the file cannot be written there.
    """
    try:
        write_atomic(path.absolute(), data)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
