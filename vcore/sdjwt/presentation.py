"""Build a presentation: the issued SD-JWT with only the chosen Disclosures (RFC 9901 §5.2).

Claims are named by path, ``givenName`` or ``address.locality`` (array positions as
numbers, ``nationalities.0``). Choosing a claim includes the Disclosures of every
selectively disclosable object it sits in (``address.locality`` needs ``address`` if that
is itself disclosable) and, for an object or array chosen whole, every Disclosure in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vcore.jose import decode_unverified
from vcore.sdjwt.disclosures import Disclosure
from vcore.sdjwt.errors import SdJwtError
from vcore.sdjwt.key_binding import create_kb_jwt
from vcore.sdjwt.processing import ClaimPath, ProcessedClaims, process_disclosures
from vcore.sdjwt.serialization import CompactSdJwt, join_sd_jwt
from vcore.signing import Signer

__all__ = ["ClaimChoice", "parse_claim_path", "present_sd_jwt", "select_disclosures"]


def parse_claim_path(name: str) -> ClaimPath:
    """``address.locality`` -> ``("address", "locality")``; numeric parts are positions.

    Raises:
        SdJwtError: an empty name or segment.
    """
    parts = name.strip().split(".")
    if not name.strip() or any(not p for p in parts):
        raise SdJwtError(f"{name[:60]!r} is not a claim path")
    return tuple(int(p) if p.isdigit() else p for p in parts)


def _resolves(claims: Any, path: ClaimPath) -> bool:
    node = claims
    for part in path:
        in_array = isinstance(part, int) and isinstance(node, list) and part < len(node)
        in_object = isinstance(part, str) and isinstance(node, Mapping) and part in node
        if in_array or in_object:
            node = node[part]
        else:
            return False
    return True


@dataclass(frozen=True)
class ClaimChoice:
    """What a choice of claims selects.

    Attributes:
        disclosures: The Disclosures to send, in issuance order.
        unknown: Chosen names that are not claims of this credential.
    """

    disclosures: tuple[Disclosure, ...]
    unknown: tuple[str, ...]


def select_disclosures(
    processed: ProcessedClaims, names: Iterable[str], *, base: ClaimPath = ()
) -> ClaimChoice:
    """Pick the Disclosures for ``names`` from the holder's fully processed SD-JWT.

    ``base`` is where the subject claims sit (``("credentialSubject",)`` in a VCDM
    payload), so names stay the subject's own (``givenName``).
    """
    wanted: dict[str, Disclosure] = {}
    unknown: list[str] = []
    for name in names:
        path = (*base, *parse_claim_path(name))
        if not _resolves(processed.claims, path):
            unknown.append(name)
            continue
        for item in processed.disclosed:
            size = min(len(item.path), len(path))
            # An ancestor of the claim (needed to reach it) or the claim and all below it.
            if item.path[:size] == path[:size]:
                wanted[item.disclosure.encoded] = item.disclosure
    ordered = tuple(d.disclosure for d in processed.disclosed if d.disclosure.encoded in wanted)
    return ClaimChoice(disclosures=ordered, unknown=tuple(unknown))


def present_sd_jwt(
    issued: str,
    names: Iterable[str],
    *,
    signer: Signer | None = None,
    nonce: str | None = None,
    audience: str | None = None,
    now: datetime | None = None,
    base: ClaimPath = (),
) -> str:
    """The presentation of ``issued`` disclosing ``names``, with a KB-JWT when ``signer``.

    ``base``: see :func:`select_disclosures`.

    Raises:
        SdJwtError: a name that is not a claim of the credential, or key binding
            asked without ``nonce``, ``audience`` and ``now``.
        MalformedError: the issued SD-JWT does not parse.
    """
    compact = CompactSdJwt.parse(issued)
    payload = decode_unverified(compact.jwt).payload
    processed = process_disclosures(payload, compact.disclosures)
    choice = select_disclosures(processed, names, base=base)
    if choice.unknown:
        raise SdJwtError(f"not claims of this credential: {', '.join(choice.unknown)}")
    without_kb = join_sd_jwt(compact.jwt, choice.disclosures)
    if signer is None:
        return without_kb
    if nonce is None or audience is None or now is None:
        raise SdJwtError("key binding needs a nonce, an audience and the time")
    return without_kb + create_kb_jwt(
        without_kb, signer, nonce=nonce, audience=audience, now=now, sd_alg=processed.sd_alg
    )
