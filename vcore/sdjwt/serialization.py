"""The compact SD-JWT serialisation (RFC 9901 §4, §4.3.1).

``<Issuer-signed JWT>~<Disclosure 1>~...~<Disclosure N>~[<KB-JWT>]``: the issued form
and a presentation without key binding end with ``~``; with key binding the KB-JWT
follows the last ``~``. ``sd_hash`` is computed over everything up to and including
the last ``~`` (the SD-JWT as presented, without the KB-JWT).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vcore.keys import b64url_encode
from vcore.sdjwt.disclosures import DEFAULT_SD_ALG, Disclosure, hash_function, parse_disclosure
from vcore.sdjwt.errors import SdJwtError

__all__ = ["MAX_SD_JWT_SIZE", "CompactSdJwt", "join_sd_jwt", "looks_like_sd_jwt", "sd_hash"]

MAX_SD_JWT_SIZE = 64 * 1024
"""Largest compact SD-JWT (with disclosures and KB-JWT) accepted."""

_MAX_DISCLOSURES = 256


@dataclass(frozen=True)
class CompactSdJwt:
    """The parts of a compact SD-JWT, nothing verified.

    Attributes:
        jwt: The Issuer-signed JWT (compact JWS).
        disclosures: The Disclosures, in the order received.
        kb_jwt: The Key Binding JWT, or None.
    """

    jwt: str
    disclosures: tuple[Disclosure, ...]
    kb_jwt: str | None = None

    @property
    def without_kb(self) -> str:
        """The SD-JWT without its KB-JWT (what ``sd_hash`` covers), ending with ``~``."""
        return join_sd_jwt(self.jwt, self.disclosures)

    @property
    def text(self) -> str:
        """The full compact form (with the KB-JWT if any)."""
        return self.without_kb + (self.kb_jwt or "")

    @classmethod
    def parse(cls, value: object) -> CompactSdJwt:
        """Split a compact SD-JWT strictly.

        Raises:
            SdJwtError: not a string, too large, no ``~``, an empty Disclosure.
            DisclosureInvalidError: a Disclosure that does not parse.
        """
        if not isinstance(value, str):
            raise SdJwtError("an SD-JWT must be a string")
        text = value.strip()
        if len(text) > MAX_SD_JWT_SIZE:
            raise SdJwtError(f"SD-JWT of {len(text)} characters exceeds {MAX_SD_JWT_SIZE}")
        if "~" not in text:
            raise SdJwtError("an SD-JWT has at least one '~' after the issuer-signed JWT")
        parts = text.split("~")
        if len(parts) - 2 > _MAX_DISCLOSURES:
            raise SdJwtError(f"more than {_MAX_DISCLOSURES} disclosures")
        jwt, middle, last = parts[0], parts[1:-1], parts[-1]
        if not jwt:
            raise SdJwtError("the issuer-signed JWT is empty")
        if any(not part for part in middle):
            raise SdJwtError("an empty disclosure between '~' separators")
        kb = last or None
        if kb is not None and kb.count(".") != 2:
            raise SdJwtError("the part after the last '~' is not a KB-JWT")
        return cls(jwt=jwt, disclosures=tuple(parse_disclosure(d) for d in middle), kb_jwt=kb)


def join_sd_jwt(jwt: str, disclosures: Sequence[Disclosure | str], kb_jwt: str = "") -> str:
    """``<jwt>~<d1>~...~<dn>~<kb_jwt>``."""
    encoded = [d if isinstance(d, str) else d.encoded for d in disclosures]
    return "~".join([jwt, *encoded]) + "~" + kb_jwt


def sd_hash(without_kb: str, sd_alg: str = DEFAULT_SD_ALG) -> str:
    """``sd_hash`` of an SD-JWT without KB-JWT (§4.3.1).

    Raises:
        SdAlgUnsupportedError: an unsupported ``sd_alg``.
    """
    return b64url_encode(hash_function(sd_alg)(without_kb.encode("ascii")))


def looks_like_sd_jwt(value: object) -> bool:
    """Cheap shape test for format detection; never raises."""
    if not isinstance(value, str) or len(value) > MAX_SD_JWT_SIZE or "~" not in value:
        return False
    head = value.strip().split("~", 1)[0]
    return head.count(".") == 2
