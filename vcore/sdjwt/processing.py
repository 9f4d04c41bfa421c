"""Rebuild the claims from a payload and its Disclosures, strictly (RFC 9901 §7.1).

Every rule of §7.1 steps 3 to 5 is enforced:

* a Disclosure is sent once only (same encoded string twice: duplicate);
* a digest appears at most once in the whole payload, decoys included (§7.1 step 4);
* every Disclosure is referenced exactly once: one whose digest the signed payload
  does not hold is refused (``sd_jwt_disclosure_unreferenced``), never ignored;
* an object-property Disclosure (3 elements) only from an ``_sd`` array, an array-element
  Disclosure (2 elements) only from ``{"...": digest}``;
* a disclosed name must not already be a plain claim of that object;
* ``_sd`` is a list of strings, ``{"...": x}`` has no other member and a string ``x``;
* ``_sd_alg`` (top level only) is ``sha-256``, or absent (then ``sha-256``).

Recursive disclosures (a Disclosure whose value holds more ``_sd``) are processed
depth-first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vcore.keys import b64url_encode
from vcore.sdjwt.disclosures import DEFAULT_SD_ALG, Disclosure, hash_function
from vcore.sdjwt.errors import (
    DisclosureDuplicateError,
    DisclosureInvalidError,
    DisclosureUnreferencedError,
    SdJwtError,
)

__all__ = ["ClaimPath", "DisclosedClaim", "ProcessedClaims", "process_disclosures", "sd_alg_of"]

ClaimPath = tuple[str | int, ...]
"""Where a claim sits: names for object members, positions for array elements."""

_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class DisclosedClaim:
    """A Disclosure and the place in the claims it was disclosed at.

    Attributes:
        path: Its path in the processed claims (array positions after removals).
        disclosure: The Disclosure.
    """

    path: ClaimPath
    disclosure: Disclosure


@dataclass(frozen=True)
class ProcessedClaims:
    """The result of §7.1: the claims a verifier may use.

    Attributes:
        claims: The payload with every disclosed claim in place and ``_sd``, ``...``
            entries and ``_sd_alg`` removed.
        disclosed: Each Disclosure used, with its path.
        undisclosed: How many digests were left unresolved (withheld claims and decoys).
        sd_alg: The ``_sd_alg`` in force.
    """

    claims: dict[str, Any]
    disclosed: tuple[DisclosedClaim, ...]
    undisclosed: int
    sd_alg: str


def sd_alg_of(payload: Mapping[str, Any]) -> str:
    """The payload's ``_sd_alg`` (default ``sha-256``).

    Raises:
        SdAlgUnsupportedError: a value other than ``sha-256``.
    """
    alg = payload.get("_sd_alg", DEFAULT_SD_ALG)
    hash_function(alg)
    return str(alg)


class _Walker:
    def __init__(self, disclosures: Sequence[Disclosure], sd_alg: str) -> None:
        hash_fn = hash_function(sd_alg)
        self.by_digest: dict[str, Disclosure] = {}
        for disclosure in disclosures:
            key = b64url_encode(hash_fn(disclosure.encoded.encode("ascii")))
            if key in self.by_digest:
                raise DisclosureDuplicateError("the same disclosure was sent twice")
            self.by_digest[key] = disclosure
        self.seen: set[str] = set()
        self.used: set[str] = set()
        self.disclosed: list[DisclosedClaim] = []
        self.undisclosed = 0

    def _claim_digest(self, value: object) -> str:
        if not isinstance(value, str) or not value:
            raise SdJwtError("a digest must be a non-empty string")
        if value in self.seen:
            raise DisclosureDuplicateError("a digest appears more than once in the SD-JWT")
        self.seen.add(value)
        return value

    def value(self, value: Any, path: ClaimPath) -> Any:
        if len(path) > _MAX_DEPTH:
            raise SdJwtError("the SD-JWT nests too deeply")
        if isinstance(value, dict):
            return self.obj(value, path)
        if isinstance(value, list):
            return self.array(value, path)
        return value

    def obj(self, value: Mapping[str, Any], path: ClaimPath) -> dict[str, Any]:
        if "..." in value:
            raise SdJwtError("'...' is only allowed as the sole member of an array element")
        out: dict[str, Any] = {}
        for name, member in value.items():
            if name == "_sd" or (name == "_sd_alg" and not path):
                continue
            out[name] = self.value(member, (*path, name))
        digests = value.get("_sd", [])
        if not isinstance(digests, list):
            raise SdJwtError("_sd must be an array of digests")
        for raw in digests:
            key = self._claim_digest(raw)
            disclosure = self.by_digest.get(key)
            if disclosure is None:
                self.undisclosed += 1
                continue
            if disclosure.name is None:
                raise DisclosureInvalidError(
                    "an array-element disclosure is referenced from an object's _sd"
                )
            if disclosure.name in out or disclosure.name in value:
                raise DisclosureInvalidError(
                    f"disclosed claim {disclosure.name!r} is already a claim of that object"
                )
            self.used.add(key)
            claim_path = (*path, disclosure.name)
            self.disclosed.append(DisclosedClaim(claim_path, disclosure))
            out[disclosure.name] = self.value(disclosure.value, claim_path)
        return out

    def array(self, value: Sequence[Any], path: ClaimPath) -> list[Any]:
        out: list[Any] = []
        for element in value:
            if isinstance(element, dict) and "..." in element:
                if len(element) != 1:
                    raise SdJwtError("an array-element digest object has one member, '...'")
                key = self._claim_digest(element["..."])
                disclosure = self.by_digest.get(key)
                if disclosure is None:
                    self.undisclosed += 1
                    continue
                if disclosure.name is not None:
                    raise DisclosureInvalidError(
                        "an object-property disclosure is referenced from an array element"
                    )
                self.used.add(key)
                claim_path = (*path, len(out))
                self.disclosed.append(DisclosedClaim(claim_path, disclosure))
                out.append(self.value(disclosure.value, claim_path))
            else:
                out.append(self.value(element, (*path, len(out))))
        return out


def process_disclosures(
    payload: Mapping[str, Any], disclosures: Sequence[Disclosure]
) -> ProcessedClaims:
    """Apply ``disclosures`` to the (signed) ``payload`` (RFC 9901 §7.1 steps 3-5).

    Raises:
        SdAlgUnsupportedError: ``_sd_alg`` is not ``sha-256``.
        DisclosureDuplicateError: a Disclosure sent twice or a digest in two places.
        DisclosureUnreferencedError: a Disclosure the payload does not reference.
        DisclosureInvalidError: a Disclosure of the wrong kind for its place, or naming
            an existing claim.
        SdJwtError: a malformed ``_sd`` or ``...``.
    """
    sd_alg = sd_alg_of(payload)
    walker = _Walker(disclosures, sd_alg)
    claims = walker.obj(payload, ())
    unused = len(walker.by_digest) - len(walker.used)
    if unused:
        raise DisclosureUnreferencedError(
            f"{unused} disclosure(s) are not referenced by the issuer-signed payload"
        )
    return ProcessedClaims(
        claims=claims,
        disclosed=tuple(walker.disclosed),
        undisclosed=walker.undisclosed,
        sd_alg=sd_alg,
    )
