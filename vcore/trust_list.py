"""Trust lists: which issuers a verifier accepts, for which credential types, and when.

Format (DESIGN §3), plain JSON or the payload of a ``trustlist+jwt`` signed by a root
trust-anchor key::

    {"issuers": [{"id": "did:web:registry.example", "name": "Beijing Resident Registry",
                  "types": ["ResidentIdentityCredential"],
                  "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2031-01-01T00:00:00Z",
                  "statusRequired": ["ResidentIdentityCredential"],
                  "holderBinding": "required"}]}

This plays the role of the EU "trusted list" (ETSI TS 119 612) in a much smaller shape:
an issuer is trusted for the listed types only, and only inside its validity period.
When an anchor key is configured only a signed list is accepted, so a file swapped on
disk or a list served by an impostor cannot add issuers.

Unknown members are ignored (forward compatibility); anything malformed makes the whole
list invalid (:class:`~vcore.errors.TrustListError`), never a partially read list.

List-level members (DESIGN §6): ``validUntil`` (date-time) and, in a signed list, the JWT
``exp``: the list is in force until the earlier of the two, checked at *every* decision
(:meth:`TrustList.check_in_force`), not only at load; past it every issuer is untrusted
(``trust_list_expired``). ``sequence`` (a non-negative integer, monotonic) and ``iat``
order signed lists: :func:`check_replacement` refuses a list older than the one in force
(``trust_list_replayed``), so an attacker who can serve or drop a file cannot roll the
verifier back to a list that still names a withdrawn issuer.

Entry members beside ``types`` that carry an issuer's policy to the verifier's decision:
``statusRequired`` (``true`` or a list of type names: a credential of such a type without
a status entry is refused) and ``holderBinding``: ``"required"`` (the default: a presented
credential must name the presenter as its subject), ``"optional"`` for every listed type,
or an object ``{"<type>": "optional" | "required"}`` per accredited type. Only a type the
list marks ``optional`` is a *bearer* type: a credential of it may be presented by
someone it does not name (the report says so); every other credential stays bound.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from vcore.clock import format_datetime, from_timestamp, parse_datetime, to_timestamp
from vcore.dids import parse_did_url
from vcore.errors import (
    TrustIDError,
    TrustListError,
    TrustListExpiredError,
    TrustListReplayError,
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
    "check_replacement",
    "load_trust_list",
    "parse_trust_list",
    "sign_trust_list",
]

TRUST_LIST_TYP = "trustlist+jwt"
MAX_TRUST_LIST_SIZE = 4 * 1024 * 1024
_LEEWAY = timedelta(seconds=60)
_MAX_NAME = 200
_MAX_TYPES = 256
_MAX_SEQUENCE = 2**53 - 1
_OPTIONAL = "optional"
_REQUIRED = "required"


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
        bearer_types: Types whose holder binding is optional (``holderBinding``): a
            credential of such a type may be presented by a holder it does not name.
    """

    id: str
    name: str
    types: frozenset[str]
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    status_required: frozenset[str] = frozenset()
    bearer_types: frozenset[str] = frozenset()

    def requires_status(self, types: Iterable[str]) -> bool:
        """Whether a credential of ``types`` must have a status entry."""
        return any(name in self.status_required for name in types)

    def is_bearer(self, types: Iterable[str]) -> bool:
        """Whether a credential of ``types`` may be presented by a holder it does not name.

        Decided on the types the accreditation was looked up by: every specific type
        (or bare ``VerifiableCredential`` when there is none) must be a bearer type of
        this entry, so a bearer type cannot unbind a credential that also claims a
        bound one.
        """
        names = [name for name in types if name != "VerifiableCredential"]
        names = names or ["VerifiableCredential"]
        return all(name in self.bearer_types for name in names)

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
        if self.bearer_types:
            entry["holderBinding"] = (
                _OPTIONAL
                if self.bearer_types == self.types
                else dict.fromkeys(sorted(self.bearer_types), _OPTIONAL)
            )
        return entry


@dataclass(frozen=True)
class TrustList:
    """A parsed trust list.

    Attributes:
        entries: Entries by issuer DID.
        signed: True when the list came from a ``trustlist+jwt`` checked with the anchor.
        valid_until: End of the whole list (earlier of ``validUntil`` and ``exp``), or None.
        sequence: The list's ``sequence`` number, or None.
        issued_at: The signed list's ``iat``, or None.
    """

    entries: Mapping[str, TrustEntry] = field(default_factory=dict)
    signed: bool = False
    valid_until: datetime | None = None
    sequence: int | None = None
    issued_at: datetime | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[TrustEntry]:
        return iter(self.entries.values())

    def in_force(self, now: datetime) -> bool:
        """False once the list is past its ``validUntil`` / ``exp`` (60 s leeway)."""
        return self.valid_until is None or self.valid_until >= now - _LEEWAY

    def check_in_force(self, now: datetime) -> None:
        """Raise :class:`TrustListExpiredError` once the whole list has expired.

        Called by every trust decision: an expired list trusts nobody (fail closed).
        """
        if self.valid_until is not None and not self.in_force(now):
            raise TrustListExpiredError(
                f"the trust list expired on {format_datetime(self.valid_until)}: no issuer "
                "is trusted until a valid list is loaded"
            )

    def is_listed(self, issuer: str) -> bool:
        """True when ``issuer`` has an entry (whatever its period); gates DID resolution."""
        return issuer in self.entries

    def entry_for(self, issuer: str, now: datetime) -> TrustEntry:
        """The entry of an issuer trusted at ``now``, whatever the type.

        Raises:
            TrustListExpiredError: the whole list has expired.
            UntrustedIssuerError: not listed, or outside its accreditation period.
        """
        self.check_in_force(now)
        entry = self.entries.get(issuer)
        if entry is None:
            raise UntrustedIssuerError(f"{_short(issuer)} is not on the trust list")
        entry.check_period(now)
        return entry

    def lookup(self, issuer: str, credential_type: str, now: datetime) -> TrustEntry:
        """The entry of an issuer accredited for ``credential_type`` at ``now``.

        Raises:
            TrustListExpiredError: the whole list has expired.
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
        """The list in DESIGN §3 JSON form (with its list-level members when set)."""
        document: dict[str, Any] = {"issuers": [entry.to_json() for entry in self.entries.values()]}
        if self.valid_until is not None:
            document["validUntil"] = format_datetime(self.valid_until)
        if self.sequence is not None:
            document["sequence"] = self.sequence
        return document


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
        bearer_types=_parse_holder_binding(raw, frozenset(types), where),
    )


def _parse_holder_binding(
    entry: Mapping[str, Any], types: frozenset[str], where: str
) -> frozenset[str]:
    """``holderBinding``: the entry's bearer types (empty: every type stays bound)."""
    value = entry.get("holderBinding", _REQUIRED)
    if value == _REQUIRED:
        return frozenset()
    if value == _OPTIONAL:
        return types
    if not isinstance(value, Mapping) or len(value) > _MAX_TYPES:
        raise TrustListError(
            f"{where}: holderBinding must be 'required', 'optional' or an object of "
            "type names to 'required' / 'optional'"
        )
    bearer: set[str] = set()
    for name, binding in value.items():
        if name not in types:
            raise TrustListError(
                f"{where}: holderBinding names {_short(name)!r}, not a listed type"
            )
        if binding not in (_REQUIRED, _OPTIONAL):
            raise TrustListError(
                f"{where}: holderBinding of {_short(name)!r} must be 'required' or 'optional'"
            )
        if binding == _OPTIONAL:
            bearer.add(name)
    return frozenset(bearer)


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


def _parse_sequence(document: Mapping[str, Any]) -> int | None:
    if "sequence" not in document:
        return None
    value = document["sequence"]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_SEQUENCE:
        raise TrustListError(f"sequence must be an integer from 0 to {_MAX_SEQUENCE}")
    return value


def parse_trust_list(document: object, *, signed: bool = False) -> TrustList:
    """Parse the trust-list JSON object (DESIGN §3, list-level members §6).

    Raises:
        TrustListError: not an object with an ``issuers`` list of valid entries, an
            issuer listed twice (which entry would win is exactly the ambiguity an
            attacker looks for), or a malformed ``validUntil`` / ``sequence``.
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
    return TrustList(
        entries=entries,
        signed=signed,
        valid_until=_parse_date(document, "validUntil", "trust list"),
        sequence=_parse_sequence(document),
    )


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
        trust = parse_trust_list(document)
        _refuse_expired(trust, now)
        return trust
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
        expires = from_timestamp(payload["exp"]) if "exp" in payload else None
        issued_at = from_timestamp(payload["iat"]) if "iat" in payload else None
    except TrustListError:
        raise
    except TrustIDError as exc:
        raise TrustListError(f"trust list nbf/exp/iat malformed: {exc.detail}") from exc
    trust = parse_trust_list(payload, signed=True)
    if expires is not None and (trust.valid_until is None or expires < trust.valid_until):
        trust = replace(trust, valid_until=expires)
    trust = replace(trust, issued_at=issued_at)
    _refuse_expired(trust, now)
    return trust


def _refuse_expired(trust: TrustList, now: datetime) -> None:
    try:
        trust.check_in_force(now)
    except TrustListExpiredError as exc:
        raise TrustListExpiredError(
            "the trust list has expired (validUntil/exp); fetch a new one"
        ) from exc


def check_replacement(current: TrustList, candidate: TrustList) -> None:
    """Refuse a candidate list older than the one in force (a replay).

    Older means: a lower ``sequence``, no ``sequence`` while the current list has one,
    or an earlier ``iat``. An equal sequence with an equal or later ``iat`` is accepted
    (the same list re-read, or re-signed).

    Raises:
        TrustListReplayError: the candidate is older.
    """
    if current.sequence is not None:
        if candidate.sequence is None:
            raise TrustListReplayError(
                f"the new trust list has no sequence; the one in force has {current.sequence}"
            )
        if candidate.sequence < current.sequence:
            raise TrustListReplayError(
                f"the new trust list has sequence {candidate.sequence}, lower than "
                f"{current.sequence} in force: refused as a replay"
            )
    if current.issued_at is not None and (
        candidate.issued_at is None or candidate.issued_at < current.issued_at
    ):
        raise TrustListReplayError(
            "the new trust list was issued before the one in force (iat): refused as a replay"
        )


def sign_trust_list(
    document: Mapping[str, Any],
    key: PrivateKey,
    *,
    kid: str,
    now: datetime,
    valid_for: timedelta | None = None,
    sequence: int | None = None,
) -> str:
    """Sign a trust list as a ``trustlist+jwt`` with the anchor key.

    The document is parsed first, so an invalid list is never signed.

    Args:
        document: The trust-list JSON object.
        key: The anchor's private key.
        kid: Key id for the header (e.g. the anchor key's thumbprint).
        now: Becomes ``iat``.
        valid_for: When set, ``exp`` and the list-level ``validUntil`` = ``now + valid_for``.
        sequence: When set, the list's ``sequence`` (replaces one in the document); each
            new list must carry a higher one than the list it replaces.

    Raises:
        TrustListError: the document (with these members) is not a valid trust list.
    """
    payload = dict(document)
    payload["iat"] = to_timestamp(now)
    if valid_for is not None:
        payload["exp"] = to_timestamp(now + valid_for)
        payload["validUntil"] = format_datetime(now + valid_for)
    if sequence is not None:
        payload["sequence"] = sequence
    parse_trust_list(payload)
    return sign(payload, SoftwareSigner(key, kid), typ=TRUST_LIST_TYP)
