"""Disclosures and their digests (RFC 9901 §4.2, §4.2.3, §4.1.1).

A Disclosure is the base64url of the JSON array ``[salt, name, value]`` (an object
property) or ``[salt, value]`` (an array element). Its digest, under the SD-JWT's
``_sd_alg`` (``sha-256`` only), is the base64url of the hash of the *encoded* Disclosure
as received: the verifier never re-encodes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vcore.errors import MalformedError
from vcore.jsontext import dumps_compact, loads_strict
from vcore.keys import b64url_decode, b64url_encode
from vcore.sdjwt.errors import DisclosureInvalidError, SdAlgUnsupportedError

__all__ = [
    "DEFAULT_SD_ALG",
    "RESERVED_NAMES",
    "SALT_BYTES",
    "SD_ALGS",
    "Disclosure",
    "decoy_digest",
    "digest",
    "hash_function",
    "make_disclosure",
    "parse_disclosure",
]

Rng = Callable[[int], bytes]

DEFAULT_SD_ALG = "sha-256"
SD_ALGS: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda data: hashlib.sha256(data).digest(),
}
"""Accepted ``_sd_alg`` values (IANA Named Information Hash Algorithm names)."""

SALT_BYTES = 16
"""128 bits of salt per Disclosure (RFC 9901 §4.2.1 RECOMMENDS at least 128)."""

RESERVED_NAMES = frozenset({"_sd", "...", "_sd_alg"})
"""Claim names a Disclosure must never carry (§4.2.1)."""

_MAX_DISCLOSURE = 8 * 1024


def hash_function(sd_alg: object) -> Callable[[bytes], bytes]:
    """The hash of an ``_sd_alg`` name.

    Raises:
        SdAlgUnsupportedError: anything but ``sha-256``.
    """
    fn = SD_ALGS.get(sd_alg) if isinstance(sd_alg, str) else None
    if fn is None:
        raise SdAlgUnsupportedError(
            f"_sd_alg {str(sd_alg)[:40]!r} is not supported ({', '.join(SD_ALGS)} only)"
        )
    return fn


def digest(encoded: str, sd_alg: str = DEFAULT_SD_ALG) -> str:
    """The digest of an encoded Disclosure (§4.2.3): base64url(hash(ASCII(encoded))).

    Raises:
        SdAlgUnsupportedError: an unsupported ``sd_alg``.
    """
    return b64url_encode(hash_function(sd_alg)(encoded.encode("ascii")))


def decoy_digest(rng: Rng = secrets.token_bytes, sd_alg: str = DEFAULT_SD_ALG) -> str:
    """A decoy digest (§4.2.5): the hash of random bytes, indistinguishable from a real one."""
    return b64url_encode(hash_function(sd_alg)(b64url_encode(rng(SALT_BYTES)).encode("ascii")))


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One Disclosure.

    Attributes:
        encoded: The base64url form exactly as issued or received.
        salt: The salt (a string).
        name: The claim name, or None for an array element.
        value: The claim value (any JSON).
    """

    encoded: str
    salt: str
    name: str | None
    value: Any

    def digest(self, sd_alg: str = DEFAULT_SD_ALG) -> str:
        """Its digest under ``sd_alg``."""
        return digest(self.encoded, sd_alg)


def make_disclosure(name: str | None, value: Any, *, rng: Rng = secrets.token_bytes) -> Disclosure:
    """A new Disclosure with a fresh 128-bit salt.

    Raises:
        DisclosureInvalidError: a reserved claim name.
    """
    if name is not None and name in RESERVED_NAMES:
        raise DisclosureInvalidError(f"claim name {name!r} cannot be selectively disclosable")
    salt = b64url_encode(rng(SALT_BYTES))
    array: list[Any] = [salt, value] if name is None else [salt, name, value]
    encoded = b64url_encode(dumps_compact(array).encode("utf-8"))
    return Disclosure(encoded=encoded, salt=salt, name=name, value=value)


def parse_disclosure(encoded: object) -> Disclosure:
    """Parse one encoded Disclosure strictly (§4.2, §7.1 step 3).

    Raises:
        DisclosureInvalidError: not canonical base64url of a JSON array of 2 or 3 members
            with a string salt and a string, non-reserved name.
    """
    if not isinstance(encoded, str) or not encoded or len(encoded) > _MAX_DISCLOSURE:
        raise DisclosureInvalidError("a disclosure must be a non-empty base64url string")
    try:
        array = loads_strict(b64url_decode(encoded))
    except (ValueError, MalformedError) as exc:
        raise DisclosureInvalidError("a disclosure is not base64url of a JSON array") from exc
    if not isinstance(array, list) or len(array) not in (2, 3):
        raise DisclosureInvalidError("a disclosure must be a JSON array of 2 or 3 elements")
    salt = array[0]
    if not isinstance(salt, str) or not salt:
        raise DisclosureInvalidError("a disclosure's salt must be a non-empty string")
    if len(array) == 2:
        return Disclosure(encoded=encoded, salt=salt, name=None, value=array[1])
    name = array[1]
    if not isinstance(name, str):
        raise DisclosureInvalidError("a disclosure's claim name must be a string")
    if name in RESERVED_NAMES:
        raise DisclosureInvalidError(f"a disclosure must not carry the claim name {name!r}")
    return Disclosure(encoded=encoded, salt=salt, name=name, value=array[2])
