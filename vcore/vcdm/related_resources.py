"""Related resources (VCDM 2.0 §5.3): their shape, and their digests where known.

Digests are compared with what is known without fetching: the digest the specification
publishes for the base context (§B.1, which implementations "MUST treat ... as already
retrieved"), and the digests of any resource whose exact bytes the caller hands in
(``resources``); other resources are checked for shape only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from vcore.base58 import b58decode
from vcore.errors import VcdmRelatedResourceDigestError, VcdmRelatedResourceError
from vcore.vcdm.contexts import VC2_CONTEXT
from vcore.vcdm.identifiers import as_list, is_url

__all__ = [
    "PUBLISHED_DIGESTS",
    "check_related_resources",
]

PUBLISHED_DIGESTS: Mapping[str, Mapping[str, bytes]] = {
    VC2_CONTEXT: {
        "sha256": bytes.fromhex("59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"),
    },
}
"""Digests published by the specifications, by resource URL and hash algorithm.

VCDM 2.0 §B.1 (W3C Recommendation, 15 May 2025): the SHA2-256 of the base context file.
A ``relatedResource`` naming the base context with another SHA-256 is refused (§5.3).
"""

_SRI_RE = re.compile(r"(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})")
_SRI_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}
_MULTIHASH = {0x12: ("sha256", 32), 0x20: ("sha384", 48), 0x13: ("sha512", 64)}
"""Multihash codes of the SHA-2 digests (multicodec table)."""
_RAW_DIGEST = {32: "sha256", 48: "sha384", 64: "sha512"}


def _b64decode(text: str, *, urlsafe: bool) -> bytes | None:
    try:
        padded = text + "=" * (-len(text) % 4)
        if urlsafe:
            return base64.b64decode(padded, altchars=b"-_", validate=True)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _sri_digests(value: object, where: str) -> list[tuple[str, bytes]]:
    if not isinstance(value, str) or not value.strip():
        raise VcdmRelatedResourceError(f"{where} must be an SRI hash expression (§5.3)")
    digests = []
    for expression in value.split():
        match = _SRI_RE.fullmatch(expression.split("?", 1)[0])
        digest = _b64decode(match[2], urlsafe=False) if match else None
        if match is None or digest is None or len(digest) != _SRI_LENGTHS[match[1]]:
            raise VcdmRelatedResourceError(
                f"{where}: {expression[:80]!r} is not a sha256/384/512 SRI hash (§5.3)"
            )
        digests.append((match[1], digest))
    return digests


def _multibase_algorithm(digest: bytes) -> tuple[str, bytes] | None:
    """A multibase-decoded digest as (algorithm, bytes): a SHA-2 multihash, or raw."""
    if len(digest) >= 2 and digest[0] in _MULTIHASH:
        name, size = _MULTIHASH[digest[0]]
        if digest[1] == size and len(digest) == size + 2:
            return name, digest[2:]
    raw = _RAW_DIGEST.get(len(digest))
    return None if raw is None else (raw, digest)


def _expected_digests(url: str, resources: Mapping[str, bytes]) -> dict[str, bytes]:
    expected = dict(PUBLISHED_DIGESTS.get(url, {}))
    content = resources.get(url)
    if content is not None:
        for name in ("sha256", "sha384", "sha512"):
            expected[name] = hashlib.new(name, content).digest()
    return expected


def _multibase_digest(value: object, where: str) -> bytes:
    digest = None
    if isinstance(value, str) and len(value) > 1:
        if value[0] == "u":
            digest = _b64decode(value[1:], urlsafe=True)
        elif value[0] == "z":
            with contextlib.suppress(ValueError):
                digest = b58decode(value[1:])
    if digest is None or len(digest) < 16:
        raise VcdmRelatedResourceError(
            f"{where} must be a multibase (u or z) encoded digest (§5.3)"
        )
    return digest


def check_related_resources(credential: Mapping[str, Any], resources: Mapping[str, bytes]) -> None:
    """§5.3: unique URL ids, well-formed digests, matching where the digest is known."""
    if "relatedResource" not in credential:
        return
    entries = as_list(credential["relatedResource"])
    if not entries:
        raise VcdmRelatedResourceError("relatedResource must be one or more objects (§5.3)")
    seen: set[str] = set()
    for number, entry in enumerate(entries):
        where = f"relatedResource[{number}]"
        if not isinstance(entry, Mapping):
            raise VcdmRelatedResourceError(f"{where} must be an object (§5.3)")
        if not is_url(entry.get("id")):
            raise VcdmRelatedResourceError(f"{where}.id is required and must be a URL (§5.3)")
        if entry["id"] in seen:
            raise VcdmRelatedResourceError(f"{where}.id repeats an earlier resource (§5.3)")
        seen.add(entry["id"])
        if "digestSRI" not in entry and "digestMultibase" not in entry:
            raise VcdmRelatedResourceError(
                f"{where} must contain a digestSRI or a digestMultibase (§5.3)"
            )
        if "mediaType" in entry and not isinstance(entry["mediaType"], str):
            raise VcdmRelatedResourceError(f"{where}.mediaType must be a string (§5.3)")
        sri = _sri_digests(entry["digestSRI"], f"{where}.digestSRI") if "digestSRI" in entry else []
        multibase = (
            _multibase_digest(entry["digestMultibase"], f"{where}.digestMultibase")
            if "digestMultibase" in entry
            else None
        )
        expected = _expected_digests(entry["id"], resources)
        given = list(sri)
        if multibase is not None:
            decoded = _multibase_algorithm(multibase)
            if decoded is not None:
                given.append(decoded)
        for algorithm, digest in given:
            if algorithm in expected and expected[algorithm] != digest:
                raise VcdmRelatedResourceDigestError(
                    f"{where}: the {algorithm} digest does not match the resource "
                    f"{entry['id']} (§5.3)"
                )
