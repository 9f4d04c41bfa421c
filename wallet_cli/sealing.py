"""The sealed file format of the vault and of backups: Argon2id + AES-256-GCM.

One header line (JSON, the GCM additional data) then the ciphertext and tag; the design
and its reasons are in :mod:`wallet_cli.store`. KDF parameters read from a file are
bounded before any derivation runs.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from dataclasses import dataclass

from vcore.errors import TrustIDError
from vcore.jsontext import dumps_compact, loads_strict
from wallet_cli.errors import InputError, VaultError
from wallet_cli.records import WalletContents

__all__ = [
    "BACKUP_MAGIC",
    "DEFAULT_KDF",
    "FORMAT_VERSION",
    "TEST_KDF",
    "VAULT_MAGIC",
    "KdfParams",
    "SealingKey",
    "check_kdf",
    "check_new_passphrase",
    "contents_bytes",
    "contents_from",
    "open_sealed",
    "seal",
]

VAULT_MAGIC = "trustid-wallet-vault"
BACKUP_MAGIC = "trustid-wallet-backup"
FORMAT_VERSION = 1
_MAX_HEADER = 1024
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
        from vcore.keys import b64url_encode  # local: vcore.keys loads cryptography

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
    from vcore.keys import b64url_decode  # local: vcore.keys loads cryptography

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
    except (ValueError, TrustIDError):  # loads_strict raises MalformedError, not ValueError
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
        raise VaultError.keyed("wrong_passphrase", what=what)
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


def contents_from(plaintext: bytes, what: str) -> WalletContents:
    try:
        return WalletContents.from_json(loads_strict(plaintext))
    except (ValueError, TrustIDError) as exc:
        raise VaultError(f"the {what} contents are not readable: {exc}") from None


def contents_bytes(contents: WalletContents) -> bytes:
    return dumps_compact(contents.to_json()).encode("utf-8")


def check_new_passphrase(passphrase: str) -> None:
    """Refuse passphrases too short to resist offline guessing even behind Argon2id.

    Raises:
        InputError: shorter than 8 characters.
    """
    if len(passphrase) < _MIN_PASSPHRASE:
        raise InputError(f"choose a passphrase of at least {_MIN_PASSPHRASE} characters")
