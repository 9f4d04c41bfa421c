"""What the issuer will sign, decided from the request before any database work.

The caller's credential is first checked against every VC Data Model 2.0 rule
(:func:`vcore.vcdm.check_credential`), then against this issuer's policy:

* ``issuer``, if given, names this issuer (its DID, or an object with that ``id`` and
  only ``name`` / ``description`` beside it); anything else is ``issuer_mismatch``.
* ``type`` picks the governing credential type: the one registered type it names (with
  nothing but ``VerifiableCredential`` beside it), or, when it names no registered type,
  the open type ``VerifiableCredential`` if the operator defined it. The agency must be
  accredited for the governing type; its JSON Schema validates each subject.
* Subjects of a type with holder binding (every built-in type) carry the holder's DID
  as ``id``; the open type also takes bearer subjects.
* ``validFrom`` / ``validUntil`` lie within the type's policy (backdating, at most ten
  years of validity).
* ``credentialStatus`` and ``credentialSchema`` entries of the caller are kept beside
  the issuer's own (a revocation and a suspension entry, and the type's schema); no
  caller entry may point into this issuer's own status lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from issuer.credential_types import MAX_VALID_DAYS, OPEN_TYPE, CredentialType, TypeRegistry
from issuer.errors import InvalidRequestError, IssuerMismatchError, UnknownTypeError
from vcore.credentials import VC2_CONTEXT
from vcore.dids import did_web_to_url, parse_did_url, resolve_offline
from vcore.errors import DIDError, InvalidKeyError, TypeNotAccreditedError
from vcore.vcdm import check_credential, parse_date_time_stamp

__all__ = ["EXTRA_MEMBERS", "IssuancePlan", "check_holder_did", "plan_issuance"]

_VC_TYPE = "VerifiableCredential"
_LEEWAY = timedelta(seconds=60)
EXTRA_MEMBERS = (
    "name",
    "description",
    "evidence",
    "termsOfUse",
    "refreshService",
    "relatedResource",
)
"""Members a caller may give that the issuer copies as they are (after the VCDM checks)."""
_ISSUER_OBJECT_MEMBERS = frozenset({"id", "name", "description"})


@dataclass(frozen=True)
class IssuancePlan:
    """Everything the credential will hold except its id (if not the caller's) and status.

    ``holder`` is what the issuance record keeps: the first subject's ``id`` (the holder
    DID for bound types), or ``""`` for a bearer credential of the open type.
    """

    ctype: CredentialType
    holder: str
    subjects: tuple[dict[str, Any], ...]
    valid_from: datetime
    valid_until: datetime
    fmt: str
    issuer: str | dict[str, Any]
    types: tuple[str, ...]
    contexts: tuple[str | dict[str, Any], ...] = ()
    caller_id: str | None = None
    status: tuple[dict[str, Any], ...] = ()
    schemas: tuple[dict[str, Any], ...] = ()
    extra: tuple[tuple[str, Any], ...] = ()

    def with_validity(self, valid_from: datetime, valid_until: datetime) -> IssuancePlan:
        """The same plan with the dates a reserved record holds."""
        return IssuancePlan(
            **{**self.__dict__, "valid_from": valid_from, "valid_until": valid_until}
        )


def check_holder_did(value: object) -> str:
    """A holder DID: did:key, did:jwk (whose key must decode) or did:web, no fragment.

    Raises:
        DIDError: anything else.
    """
    parsed = parse_did_url(value)
    if parsed.fragment is not None:
        raise DIDError("the holder must be a DID, not a DID URL with a fragment")
    method = parsed.did.split(":")[1]
    try:
        if method in {"key", "jwk"}:
            resolve_offline(parsed.did)
        else:
            did_web_to_url(parsed.did)
    except InvalidKeyError as exc:
        raise DIDError(f"the holder DID does not hold a usable key: {exc.detail}") from exc
    return parsed.did


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _issuer(value: object, issuer_did: str) -> str | dict[str, Any]:
    """The ``issuer`` member: this issuer's DID, or its object with a name/description."""
    if value is None:
        return issuer_did
    given = value.get("id") if isinstance(value, Mapping) else value
    if given != issuer_did:
        raise IssuerMismatchError(
            f"credential.issuer must be this issuer ({issuer_did}) or be left out; "
            "an issuer signs only in its own name"
        )
    if not isinstance(value, Mapping):
        return issuer_did
    extra = sorted(set(value) - _ISSUER_OBJECT_MEMBERS)
    if extra:
        raise InvalidRequestError(
            f"credential.issuer may hold only id, name and description, not {extra}"
        )
    return dict(value)


def _governing_type(
    types: Sequence[str], registry: TypeRegistry, accredited: frozenset[str], agency: str
) -> CredentialType:
    if len(set(types)) != len(types):
        raise InvalidRequestError("credential.type must not repeat a type")
    specific = [t for t in types if t != _VC_TYPE]
    registered = [t for t in specific if t in registry and t != OPEN_TYPE]
    if registered:
        if len(specific) != 1:
            raise InvalidRequestError(
                f"credential.type must name {registered[0]} alone (besides "
                "VerifiableCredential): a registered type governs the whole credential"
            )
        ctype = registry[registered[0]]
    else:
        open_type = registry.get(OPEN_TYPE)
        if open_type is None:
            known = ", ".join(t for t in registry if t != OPEN_TYPE)
            if specific:
                raise UnknownTypeError(
                    f"unknown credential type {specific[0][:64]!r}; known: {known}"
                )
            raise UnknownTypeError(
                f"credential.type names no credential type besides VerifiableCredential; "
                f"known: {known} (the open type is not enabled on this issuer)"
            )
        ctype = open_type
    if ctype.name not in accredited:
        what = ctype.name if not ctype.is_open else "the open type VerifiableCredential"
        raise TypeNotAccreditedError(f"agency {agency!r} is not accredited to issue {what}")
    return ctype


def _subjects(value: object, ctype: CredentialType) -> tuple[tuple[dict[str, Any], ...], str]:
    subjects = tuple(dict(s) for s in _as_list(value))
    holders: list[str] = []
    for number, subject in enumerate(subjects):
        where = "credential.credentialSubject" + (f"[{number}]" if isinstance(value, list) else "")
        if ctype.holder_required:
            if "id" not in subject:
                raise InvalidRequestError(f"{where}.id (the holder DID) is required")
            subject["id"] = check_holder_did(subject["id"])
        ctype.validate_subject(subject, index=number if isinstance(value, list) else None)
        if isinstance(subject.get("id"), str):
            holders.append(subject["id"])
    return subjects, (holders[0] if holders else "")


def _validity(
    credential: Mapping[str, Any], valid_days: int | None, ctype: CredentialType, now: datetime
) -> tuple[datetime, datetime]:
    if "validUntil" in credential and valid_days is not None:
        raise InvalidRequestError("give credential.validUntil or options.validDays, not both")
    start = now
    if "validFrom" in credential:
        start = parse_date_time_stamp(credential["validFrom"], "validFrom").replace(microsecond=0)
        earliest = now - timedelta(days=ctype.backdate_days) - _LEEWAY
        if start < earliest:
            raise InvalidRequestError(
                f"credential.validFrom may not lie in the past for {ctype.name}"
                if ctype.backdate_days == 0
                else f"credential.validFrom may lie at most {ctype.backdate_days} days in the past"
            )
        if start > now + timedelta(days=MAX_VALID_DAYS):
            raise InvalidRequestError(
                f"credential.validFrom may be at most {MAX_VALID_DAYS} days ahead"
            )
    if "validUntil" not in credential:
        days = valid_days if valid_days is not None else ctype.valid_days
        return start, start + timedelta(days=days)
    until = parse_date_time_stamp(credential["validUntil"], "validUntil").replace(microsecond=0)
    if ctype.backdate_days == 0 and until <= now:
        raise InvalidRequestError("credential.validUntil must be in the future")
    latest = min(start, now) + timedelta(days=MAX_VALID_DAYS)
    if until > latest:
        raise InvalidRequestError(
            f"credential.validUntil may be at most {MAX_VALID_DAYS} days after validFrom"
        )
    return start, max(until, start)


def _caller_status(value: object, own_lists: str) -> tuple[dict[str, Any], ...]:
    entries = tuple(dict(e) for e in _as_list(value)) if value is not None else ()
    for entry in entries:
        urls = [entry.get("id"), entry.get("statusListCredential")]
        if any(isinstance(u, str) and u.startswith(own_lists) for u in urls):
            raise InvalidRequestError(
                "credential.credentialStatus may not point into this issuer's status lists: "
                "the issuer allocates those entries itself"
            )
    return entries


def plan_issuance(
    credential: Mapping[str, Any],
    *,
    fmt: str,
    valid_days: int | None,
    registry: TypeRegistry,
    accredited: frozenset[str],
    agency: str,
    issuer_did: str,
    own_lists: str,
    now: datetime,
    resources: Mapping[str, bytes] | None = None,
) -> IssuancePlan:
    """Check a caller's credential and decide what to sign (see the module docstring).

    Raises:
        DataModelError: a VCDM 2.0 rule is broken (the subclass names it).
        IssuerMismatchError: ``issuer`` names another issuer.
        InvalidRequestError, UnknownTypeError: against this issuer's policy.
        TypeNotAccreditedError: the agency may not issue the governing type.
        DIDError: a holder DID is unusable.
        ClaimsInvalidError: a subject fails the type's schema.
    """
    draft = dict(credential)
    draft.setdefault("@context", [VC2_CONTEXT])
    draft.setdefault("issuer", issuer_did)
    check_credential(draft, resources=resources)
    issuer = _issuer(credential.get("issuer"), issuer_did)
    types = tuple(_as_list(draft["type"]))
    ctype = _governing_type(types, registry, accredited, agency)
    subjects, holder = _subjects(draft["credentialSubject"], ctype)
    valid_from, valid_until = _validity(draft, valid_days, ctype, now)
    contexts = tuple(_as_list(draft["@context"])[1:])
    schemas = tuple(dict(s) for s in _as_list(draft.get("credentialSchema", [])))
    return IssuancePlan(
        ctype=ctype,
        holder=holder,
        subjects=subjects,
        valid_from=valid_from,
        valid_until=valid_until,
        fmt=fmt,
        issuer=issuer,
        types=types,
        contexts=contexts,
        caller_id=credential.get("id"),
        status=_caller_status(credential.get("credentialStatus"), own_lists),
        schemas=schemas,
        extra=tuple((name, draft[name]) for name in EXTRA_MEMBERS if name in draft),
    )
