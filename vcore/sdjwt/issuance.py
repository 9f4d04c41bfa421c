"""Issue an SD-JWT (RFC 9901 §4, §5): turn marked claims into digests and Disclosures.

Mark what the holder may choose to disclose with :class:`Selective`, anywhere in the
claims: an object member (``{"email": Selective("a@b")}``) or an array element
(``[Selective("x"), "y"]``); a :class:`Selective` value may itself hold more, so an
address can be disclosable as a whole *and* member by member. Everything else is
always disclosed (plain claims of the signed payload).

Each ``_sd`` array gets decoy digests (§4.2.5) and is sorted, so neither the number of
selectively disclosable claims nor their order leaks. Salts and decoys come from an
injectable ``rng`` (``secrets.token_bytes`` by default).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vcore.jose import sign
from vcore.sdjwt.disclosures import (
    DEFAULT_SD_ALG,
    Disclosure,
    decoy_digest,
    make_disclosure,
)
from vcore.sdjwt.errors import SdJwtError
from vcore.sdjwt.serialization import join_sd_jwt
from vcore.signing import Signer

__all__ = [
    "DEFAULT_DECOYS",
    "NO_DECOYS",
    "DecoyPolicy",
    "IssuedSdJwt",
    "Selective",
    "build_sd_payload",
    "issue_sd_jwt",
]

Rng = Callable[[int], bytes]


@dataclass(frozen=True, slots=True)
class Selective:
    """A claim value the holder may disclose or withhold.

    Attributes:
        value: The value (may hold further :class:`Selective` values).
    """

    value: Any


@dataclass(frozen=True, slots=True)
class DecoyPolicy:
    """How many decoy digests each ``_sd`` array gets.

    A random count in ``[minimum, maximum]``; arrays get none (their length is visible
    anyway).

    Attributes:
        minimum: Fewest decoys per place.
        maximum: Most decoys per place.
    """

    minimum: int = 1
    maximum: int = 3

    def count(self, rng: Rng) -> int:
        """A random count within the bounds."""
        span = self.maximum - self.minimum
        if span <= 0:
            return max(self.minimum, 0)
        return self.minimum + rng(1)[0] % (span + 1)


NO_DECOYS = DecoyPolicy(0, 0)
"""No decoys (for known-answer tests)."""
DEFAULT_DECOYS = DecoyPolicy()
"""One to three decoys per ``_sd`` array."""


@dataclass(frozen=True)
class IssuedSdJwt:
    """An issued SD-JWT.

    Attributes:
        text: The compact issuance form ``<jwt>~<d1>~...~<dn>~``.
        jwt: The Issuer-signed JWT.
        payload: Its signed payload.
        disclosures: Every Disclosure (the holder's secret).
    """

    text: str
    jwt: str
    payload: dict[str, Any]
    disclosures: tuple[Disclosure, ...]


class _Builder:
    def __init__(self, rng: Rng, decoys: DecoyPolicy, sd_alg: str) -> None:
        self.rng = rng
        self.decoys = decoys
        self.sd_alg = sd_alg
        self.disclosures: list[Disclosure] = []

    def value(self, value: Any) -> Any:
        if isinstance(value, Selective):
            raise SdJwtError("a Selective value must sit in an object member or array element")
        if isinstance(value, Mapping):
            return self.obj(value)
        if isinstance(value, list | tuple):
            return self.array(value)
        return value

    def _disclose(self, name: str | None, value: Any) -> str:
        disclosure = make_disclosure(name, self.value(value), rng=self.rng)
        self.disclosures.append(disclosure)
        return disclosure.digest(self.sd_alg)

    def obj(self, value: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        digests: list[str] = []
        for name, member in value.items():
            if not isinstance(name, str) or name in ("_sd", "..."):
                raise SdJwtError(f"claim name {name!r} is reserved")
            if isinstance(member, Selective):
                digests.append(self._disclose(name, member.value))
            else:
                out[name] = self.value(member)
        if digests:
            digests.extend(
                decoy_digest(self.rng, self.sd_alg) for _ in range(self.decoys.count(self.rng))
            )
            out["_sd"] = sorted(digests)
        return out

    def array(self, value: list[Any] | tuple[Any, ...]) -> list[Any]:
        out: list[Any] = []
        for element in value:
            if isinstance(element, Selective):
                out.append({"...": self._disclose(None, element.value)})
            else:
                out.append(self.value(element))
        return out


def build_sd_payload(
    claims: Mapping[str, Any],
    *,
    rng: Rng = secrets.token_bytes,
    decoys: DecoyPolicy = DEFAULT_DECOYS,
    sd_alg: str = DEFAULT_SD_ALG,
) -> tuple[dict[str, Any], tuple[Disclosure, ...]]:
    """The payload with digests (and ``_sd_alg``) and the Disclosures, unsigned.

    Raises:
        SdJwtError: a reserved claim name, or a Selective value at the top.
        DisclosureInvalidError: a reserved name in a Disclosure.
    """
    builder = _Builder(rng, decoys, sd_alg)
    payload = builder.obj(claims)
    if builder.disclosures:
        payload["_sd_alg"] = sd_alg
    return payload, tuple(builder.disclosures)


def issue_sd_jwt(
    claims: Mapping[str, Any],
    signer: Signer,
    *,
    typ: str,
    rng: Rng = secrets.token_bytes,
    decoys: DecoyPolicy = DEFAULT_DECOYS,
) -> IssuedSdJwt:
    """Sign an SD-JWT over ``claims`` (marked with :class:`Selective`).

    Args:
        claims: The claims; the registered ones (``iss``, ``iat``, ``cnf``...) plain.
        signer: The issuer's key (``alg`` and ``kid`` go into the header).
        typ: The header ``typ`` (``dc+sd-jwt``, ``vc+sd-jwt``).
        rng: Salt and decoy randomness.
        decoys: Decoy digests per place.

    Raises:
        SdJwtError, DisclosureInvalidError: claims that cannot be expressed.
        MalformedError, AlgorithmNotAllowedError, InvalidKeyError: signing failed.
    """
    payload, disclosures = build_sd_payload(claims, rng=rng, decoys=decoys)
    jwt = sign(payload, signer, typ=typ)
    return IssuedSdJwt(
        text=join_sd_jwt(jwt, disclosures), jwt=jwt, payload=payload, disclosures=disclosures
    )
