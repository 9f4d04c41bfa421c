"""Verifiable Presentations: the VC 2.0 presentation document, replay windows, holder binding.

A holder presents credentials in a VC 2.0 ``VerifiablePresentation`` whose
``verifiableCredential`` holds enveloped (or otherwise secured) credentials. How it is
secured is a presentation format's business (:mod:`vcore.formats.vp_jwt` for ``vp+jwt``
and VC-JWT 1.1); the rules every format shares live here: the freshness window
(DESIGN §4: ``now-300s <= iat <= now+60s``) and holder binding (a presented credential
must name the presenter as its subject, unless the trust list makes its type a bearer
type), and what a presentation holds: one or more credentials, or none at all, which
makes it a *holder proof* (DID authentication, VCDM 2.0 §4.13 and VC-API allow it): it
proves who signed for this challenge and audience, and vouches for no claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from vcore.credentials import VC2_CONTEXT
from vcore.dids import parse_did_url
from vcore.errors import ExpiredError, HolderBindingError, MalformedError, NotYetValidError

__all__ = [
    "IAT_MAX_AGE",
    "IAT_MAX_SKEW",
    "MAX_PRESENTATION_SIZE",
    "build_presentation_document",
    "check_freshness",
    "check_holder_binding",
    "presented_credentials",
]

MAX_PRESENTATION_SIZE = 64 * 1024
IAT_MAX_AGE = timedelta(seconds=300)
IAT_MAX_SKEW = timedelta(seconds=60)


class _Bound(Protocol):
    @property
    def holder(self) -> str | None: ...  # pragma: no cover - protocol


def build_presentation_document(holder: str, credentials: Sequence[object]) -> dict[str, Any]:
    """A VC 2.0 ``VerifiablePresentation`` of ``credentials`` (envelopes or secured docs).

    With no credentials it is a holder proof (no ``verifiableCredential`` member).
    """
    document: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder,
    }
    if credentials:
        document["verifiableCredential"] = list(credentials)
    return document


def presented_credentials(raw: object) -> tuple[object, ...]:
    """The items of a presentation's ``verifiableCredential`` member (``None``: absent).

    Absent is a holder proof (an empty tuple). Present, it must hold one or more items
    (VCDM 2.0 §4.13), so an empty list is not silently read as a holder proof.

    Raises:
        MalformedError: ``verifiableCredential`` is an empty list.
    """
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise MalformedError(
            "verifiableCredential is present but empty: it must hold one or more "
            "credentials, or be left out for a holder proof"
        )
    return tuple(items)


def check_freshness(
    issued: datetime,
    now: datetime,
    *,
    max_age: timedelta = IAT_MAX_AGE,
    max_skew: timedelta = IAT_MAX_SKEW,
) -> None:
    """A presentation must have been made within ``max_age`` (and not in the future).

    Raises:
        NotYetValidError: made more than ``max_skew`` ahead of ``now``.
        ExpiredError: older than ``max_age``.
    """
    if issued > now + max_skew:
        raise NotYetValidError("presentation issued in the future")
    if issued < now - max_age:
        raise ExpiredError("presentation is too old; ask the holder for a fresh one")


def check_holder_binding(holder: str, credential: _Bound) -> None:
    """Require the credential's subject to be the presenting holder (a DID or a URL).

    Raises:
        HolderBindingError: the credential is bound to another holder (or to none).
        DIDError: the subject id differs from the holder and is not a DID.
    """
    subject = credential.holder
    if subject == holder:
        return
    if subject is None or parse_did_url(subject).did != holder:
        raise HolderBindingError("credential was issued to another holder")
