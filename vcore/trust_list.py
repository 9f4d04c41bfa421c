"""Trust lists: which issuers a verifier accepts, for which credential types, and when.

Format (DESIGN §3), plain JSON or the payload of a ``trustlist+jwt`` signed by a root
trust-anchor key::

    {"issuers": [{"id": "did:web:registry.example", "name": "Beijing Resident Registry",
                  "types": ["ResidentIdentityCredential"],
                  "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2031-01-01T00:00:00Z",
                  "statusRequired": ["ResidentIdentityCredential"]}]}

This plays the role of the EU "trusted list" (ETSI TS 119 612) in a much smaller shape:
an issuer is trusted for the listed types only, and only inside its validity period.
When an anchor key is configured only a signed list is accepted, so a file swapped on
disk or a list served by an impostor cannot add issuers.

Unknown members are ignored (forward compatibility); anything malformed makes the whole
list invalid (:class:`~vcore.errors.TrustListError`), never a partially read list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vcore.clock import format_datetime, from_timestamp, parse_datetime, to_timestamp
from vcore.dids import parse_did_url
from vcore.errors import (
    TrustIDError,
    TrustListError,
    TypeNotAccreditedError,
    UntrustedIssuerError,
)
from vcore.jose import sign, verify
from vcore.jsontext import loads_strict
from vcore.keys import PrivateKey, PublicKey
from vcore.signing import SoftwareSigner

__all__ = [
    "MAX_TRUST_LIST_SIZE",
    "TRUST_LIST_TYP",
    "TrustEntry",
    "TrustList",
    "load_trust_list",
    "parse_trust_list",
    "sign_trust_list",
]

TRUST_LIST_TYP = "trustlist+jwt"
MAX_TRUST_LIST_SIZE = 4 * 1024 * 1024
_LEEWAY = timedelta(seconds=60)
_MAX_NAME = 200
_MAX_TYPES = 256


@dataclass(frozen=True)
class TrustEntry:
    """One accredited issuer.

    Attributes:
        id: The issuer DID (no fragment).
        name: Human name shown to counter staff.
        types: Credential types the issuer is accredited for.
        valid_from: Start of accreditation, or None.
        valid_until: End of accreditation, or None.
        status_required: Types whose credentials must carry a status entry
            (``statusRequired``: a list of type names, or ``true`` for every listed type);
            a credential of such a type without one is refused with ``status_required``.
    """

    id: str
    name: str
    types: frozenset[str]
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    status_required: frozenset[str] = frozenset()

    def requires_status(self, types: Iterable[str]) -> bool:
        """Whether a credential of ``types`` must have a status entry."""
        return any(name in self.status_required for name in types)

    def check_period(self, now: datetime) -> None:
        """Raise :class:`UntrustedIssuerError` outside the accreditation period.

        A 60 s leeway applies, as for credentials (DESIGN §4).
        """
        if self.valid_from is not None and self.valid_from > now + _LEEWAY:
            raise UntrustedIssuerError(
                f"{self.name} is accredited only from {format_datetime(self.valid_from)}"
            )
        if self.valid_until is not None and self.valid_until < now - _LEEWAY:
            raise UntrustedIssuerError(
                f"the accreditation of {self.name} ended on {format_datetime(self.valid_until)}"
            )

    def to_json(self) -> dict[str, Any]:
        """The entry in trust-list JSON form."""
        entry: dict[str, Any] = {"id": self.id, "name": self.name, "types": sorted(self.types)}
        if self.valid_from is not None:
            entry["validFrom"] = format_datetime(self.valid_from)
        if self.valid_until is not None:
            entry["validUntil"] = format_datetime(self.valid_until)
        if self.status_required:
            entry["statusRequired"] = sorted(self.status_required)
        return entry


@dataclass(frozen=True)
class TrustList:
    """A parsed trust list.

    Attributes:
        entries: Entries by issuer DID.
        signed: True when the list came from a ``trustlist+jwt`` checked with the anchor.
    """

    entries: Mapping[str, TrustEntry] = field(default_factory=dict)
    signed: bool = False

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[TrustEntry]:
        return iter(self.entries.values())

    def is_listed(self, issuer: str) -> bool:
        """True when ``issuer`` has an entry (whatever its period); gates DID resolution."""
        return issuer in self.entries

    def entry_for(self, issuer: str, now: datetime) -> TrustEntry:
        """The entry of an issuer trusted at ``now``, whatever the type.

        Raises:
            UntrustedIssuerError: not listed, or outside its accreditation period.
        """
        entry = self.entries.get(issuer)
        if entry is None:
            raise UntrustedIssuerError(f"{_short(issuer)} is not on the trust list")
        entry.check_period(now)
        return entry

    def lookup(self, issuer: str, credential_type: str, now: datetime) -> TrustEntry:
        """The entry of an issuer accredited for ``credential_type`` at ``now``.

        Raises:
            UntrustedIssuerError: not listed, or outside its accreditation period.
            TypeNotAccreditedError: listed but not for this type.
        """
        entry = self.entry_for(issuer, now)
        if credential_type not in entry.types:
            raise TypeNotAccreditedError(
                f"{entry.name} is not accredited to issue {credential_type}"
            )
        return entry

    def to_json(self) -> dict[str, Any]:
        """The list in DESIGN §3 JSON form."""
        return {"issuers": [entry.to_json() for entry in self.entries.values()]}


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _parse_date(entry: Mapping[str, Any], name: str, where: str) -> datetime | None:
    if name not in entry:
        return None
    try:
        return parse_datetime(entry[name])
    except TrustIDError as exc:
        raise TrustListError(f"{where}: {name} is not a date-time with timezone") from exc


def _parse_entry(raw: object, position: int) -> TrustEntry:
    where = f"issuers[{position}]"
    if not isinstance(raw, Mapping):
        raise TrustListError(f"{where} must be an object")
    issuer = raw.get("id")
    try:
        parsed = parse_did_url(issuer)
    except TrustIDError as exc:
        raise TrustListError(f"{where}: id must be a did:web, did:jwk or did:key DID") from exc
    if parsed.fragment is not None:
        raise TrustListError(f"{where}: id must be a DID without a fragment")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > _MAX_NAME:
        raise TrustListError(f"{where}: name must be a non-empty string of at most {_MAX_NAME}")
    types = raw.get("types")
    if (
        not isinstance(types, list)
        or not types
        or len(types) > _MAX_TYPES
        or not all(isinstance(t, str) and t for t in types)
    ):
        raise TrustListError(f"{where}: types must be a non-empty list of type names")
    valid_from = _parse_date(raw, "validFrom", where)
    valid_until = _parse_date(raw, "validUntil", where)
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise TrustListError(f"{where}: validUntil is before validFrom")
    return TrustEntry(
        id=parsed.did,
        name=name.strip(),
        types=frozenset(types),
        valid_from=valid_from,
        valid_until=valid_until,
        status_required=_parse_status_required(raw, frozenset(types), where),
    )


def _parse_status_required(
    entry: Mapping[str, Any], types: frozenset[str], where: str
) -> frozenset[str]:
    value = entry.get("statusRequired", False)
    if value is True:
        return types
    if value is False:
        return frozenset()
    if (
        not isinstance(value, list)
        or len(value) > _MAX_TYPES
        or not all(isinstance(t, str) and t for t in value)
    ):
        raise TrustListError(f"{where}: statusRequired must be a boolean or a list of type names")
    return frozenset(value)


def parse_trust_list(document: object, *, signed: bool = False) -> TrustList:
    """Parse the trust-list JSON object (DESIGN §3).

    Raises:
        TrustListError: not an object with an ``issuers`` list of valid entries, or an
            issuer listed twice (which entry would win is exactly the ambiguity an
            attacker looks for).
    """
    if not isinstance(document, Mapping):
        raise TrustListError("trust list must be a JSON object")
    issuers = document.get("issuers")
    if not isinstance(issuers, list):
        raise TrustListError("trust list must have an 'issuers' list")
    entries: dict[str, TrustEntry] = {}
    for position, raw in enumerate(issuers):
        entry = _parse_entry(raw, position)
        if entry.id in entries:
            raise TrustListError(f"issuer {_short(entry.id)} is listed twice")
        entries[entry.id] = entry
    return TrustList(entries=entries, signed=signed)


def _looks_like_jws(text: str) -> bool:
    return not text.startswith(("{", "[")) and text.count(".") == 2


def load_trust_list(data: str | bytes, *, anchor: PublicKey | None, now: datetime) -> TrustList:
    """Load a trust list from its text: plain JSON, or a ``trustlist+jwt``.

    Args:
        data: File or response body.
        anchor: The trust-anchor key. When set, only a ``trustlist+jwt`` signed by it is
            accepted (plain JSON is refused: it could have been swapped).
        now: For the signed list's ``nbf``/``exp``, if present.

    Raises:
        TrustListError: malformed, unsigned while an anchor is configured, signed while no
            anchor is configured, bad signature, or outside its ``nbf``/``exp``.
    """
    if len(data) > MAX_TRUST_LIST_SIZE:
        raise TrustListError(f"trust list larger than {MAX_TRUST_LIST_SIZE} bytes")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise TrustListError("trust list is not UTF-8") from exc
    text = text.strip()
    if not _looks_like_jws(text):
        if anchor is not None:
            raise TrustListError(
                "TRUSTID_TRUST_ANCHOR is set, so the trust list must be a signed trustlist+jwt"
            )
        try:
            document = loads_strict(text)
        except TrustIDError as exc:
            raise TrustListError(f"trust list is not valid JSON: {exc.detail}") from exc
        return parse_trust_list(document)
    if anchor is None:
        raise TrustListError(
            "the trust list is signed (trustlist+jwt): set TRUSTID_TRUST_ANCHOR to its key"
        )
    try:
        verified = verify(text, anchor, typ=TRUST_LIST_TYP, max_size=MAX_TRUST_LIST_SIZE)
    except TrustIDError as exc:
        raise TrustListError(f"trust list signature rejected: {exc.detail}") from exc
    payload = verified.payload
    try:
        if "nbf" in payload and from_timestamp(payload["nbf"]) > now + _LEEWAY:
            raise TrustListError("the signed trust list is not valid yet (nbf)")
        if "exp" in payload and from_timestamp(payload["exp"]) < now - _LEEWAY:
            raise TrustListError("the signed trust list has expired (exp); fetch a new one")
    except TrustListError:
        raise
    except TrustIDError as exc:
        raise TrustListError(f"trust list nbf/exp malformed: {exc.detail}") from exc
    return parse_trust_list(payload, signed=True)


def sign_trust_list(
    document: Mapping[str, Any],
    key: PrivateKey,
    *,
    kid: str,
    now: datetime,
    valid_for: timedelta | None = None,
) -> str:
    """Sign a trust list as a ``trustlist+jwt`` with the anchor key.

    The document is parsed first, so an invalid list is never signed.

    Args:
        document: The trust-list JSON object.
        key: The anchor's private key.
        kid: Key id for the header (e.g. the anchor key's thumbprint).
        now: Becomes ``iat``.
        valid_for: When set, ``exp`` = ``now + valid_for``.

    Raises:
        TrustListError: the document is not a valid trust list.
    """
    parse_trust_list(document)
    payload = dict(document)
    payload["iat"] = to_timestamp(now)
    if valid_for is not None:
        payload["exp"] = to_timestamp(now + valid_for)
    return sign(payload, SoftwareSigner(key, kid), typ=TRUST_LIST_TYP)
