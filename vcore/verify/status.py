"""The status step: plan a credential's status entries, then decide each one.

Entries are read through the registered :class:`~vcore.status.mechanism.StatusMechanism`
of their ``type``; an entry of an unregistered type is reported as a warning, never
silently taken as "not revoked". Each ``revocation``/``suspension`` entry becomes one
``status.<purpose>`` check; a credential without one gets both checks ``skipped``,
unless its trust-list entry says the type requires status (``statusRequired``): then
``status.revocation`` fails with ``status_required``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vcore.clock import format_datetime
from vcore.errors import (
    RevokedError,
    StatusListError,
    StatusRequiredError,
    StatusUnavailableError,
    SuspendedError,
    TrustIDError,
)
from vcore.formats.secured import SecuredCredential
from vcore.status.mechanism import StatusEntry, StatusListSnapshot, StatusPurpose
from vcore.status.registry import lookup, mechanism_for
from vcore.verify.evidence import Material
from vcore.verify.plan import STATUS_PURPOSES_CHECKED, CredentialPlan
from vcore.verify.report import Steps, status_check_id

__all__ = ["StatusAge", "decide_status", "plan_status", "skip_status"]


@dataclass(frozen=True)
class StatusAge:
    """How old the status behind a verdict is.

    Attributes:
        as_of: When the oldest status list used was fetched from the issuer.
        fresh_until: The earliest moment a list used passes its own ``ttl`` (None when
            no list states one): a counter shows the verdict as ageing after it.
    """

    as_of: datetime
    fresh_until: datetime | None = None


_STATUS_ERRORS: dict[StatusPurpose, type[TrustIDError]] = {
    StatusPurpose.REVOCATION: RevokedError,
    StatusPurpose.SUSPENSION: SuspendedError,
}
_VERB = {StatusPurpose.REVOCATION: "revoked", StatusPurpose.SUSPENSION: "suspended"}


def _claimed_purpose(raw: dict[str, object]) -> StatusPurpose:
    # A malformed entry is reported under the purpose it claims; one that claims none
    # that carries a verdict counts against revocation (it fails closed either way).
    purpose = raw.get("statusPurpose")
    if isinstance(purpose, str) and purpose in STATUS_PURPOSES_CHECKED:
        return StatusPurpose(purpose)
    return StatusPurpose.REVOCATION


def plan_status(
    credential: SecuredCredential,
) -> tuple[tuple[StatusEntry, ...], tuple[tuple[StatusPurpose, TrustIDError], ...], list[str]]:
    """The entries to check, the malformed ones, and warnings for unknown types."""
    entries: list[StatusEntry] = []
    errors: list[tuple[StatusPurpose, TrustIDError]] = []
    warnings: list[str] = []
    for raw in credential.status_entries:
        mechanism = mechanism_for(raw)
        if mechanism is None:
            warnings.append(f"a status entry of type {str(raw.get('type'))[:60]!r} was not checked")
            continue
        try:
            entry = mechanism.parse_entry(raw)
        except TrustIDError as exc:
            errors.append((_claimed_purpose(raw), exc))
            continue
        if entry.purpose in STATUS_PURPOSES_CHECKED:
            entries.append(entry)
    return tuple(entries), tuple(errors), warnings


def skip_status(steps: Steps, detail: str) -> None:
    """Skip both status checks (an earlier failure, or no status entry)."""
    for purpose in STATUS_PURPOSES_CHECKED:
        steps.skip(status_check_id(purpose), detail)


def _decide_one(
    entry: StatusEntry,
    credential: SecuredCredential,
    snapshot: StatusListSnapshot,
    issuer_name: str,
    now: datetime,
    material: Material,
) -> str:
    """Return the passed detail, or raise the status error."""
    if snapshot.issuer != credential.issuer:
        raise StatusListError("the status list is not signed by the credential's issuer")
    if snapshot.entry_type != entry.entry_type:
        # A validly signed list of another kind (a Bitstring list where the credential
        # points at a Token Status List) must not be read as this one.
        raise StatusListError(
            f"the status list is a {snapshot.entry_type} list, not one for {entry.entry_type}"
        )
    mechanism = lookup(entry.entry_type)
    if mechanism is None:  # pragma: no cover - plan_status only keeps registered types
        raise StatusUnavailableError(f"no status mechanism {entry.entry_type!r}")
    value = mechanism.value_at(snapshot, entry, snapshot.decoded)
    mechanism.check_list_times(snapshot, now)
    asserted = mechanism.asserted(entry, value)
    as_of = format_datetime(snapshot.fetched_at)
    if asserted in _STATUS_ERRORS:
        raise _STATUS_ERRORS[asserted](
            f"{issuer_name} has {_VERB[asserted]} this credential (status as of {as_of})"
        )
    return f"not {_VERB[entry.purpose]} (status as of {as_of})"


def decide_status(
    plan: CredentialPlan,
    credential: SecuredCredential,
    material: Material,
    steps: Steps,
    warnings: list[str],
    now: datetime,
) -> StatusAge | None:
    """Add the ``status.*`` checks; return the age of the lists used (None if none was)."""
    for purpose, error in plan.status_errors:
        steps.fail(status_check_id(purpose), error)
    if not plan.status_entries:
        trusted = plan.trust_entry
        if (
            not plan.status_errors
            and trusted is not None
            and trusted.requires_status(credential.types)
        ):
            # A type the trust list says always carries status: an entry-less credential
            # is what one forged with a leaked key looks like (it could never be revoked).
            steps.fail(
                status_check_id(StatusPurpose.REVOCATION),
                StatusRequiredError(
                    f"{trusted.name} gives every credential of this type a status entry; "
                    "this one has none"
                ),
            )
            steps.skip(status_check_id(StatusPurpose.SUSPENSION), "no status entry")
            return None
        if not plan.status_errors:
            skip_status(steps, "the credential has no status list entry")
            warnings.append("this credential cannot be revoked or suspended (no status entry)")
        return None
    issuer_name = plan.trust_entry.name if plan.trust_entry is not None else "the issuer"
    as_of: datetime | None = None
    fresh_until: datetime | None = None
    stale_warned: set[str] = set()
    for entry in plan.status_entries:
        check_id = status_check_id(entry.purpose)
        snapshot = material.status_lists.get(entry.list_url)
        if snapshot is None:
            snapshot = StatusUnavailableError(f"the status list {entry.list_url} was not fetched")
        if isinstance(snapshot, TrustIDError):
            error = snapshot
            if not isinstance(error, StatusUnavailableError | StatusListError):
                error = StatusUnavailableError(f"status could not be checked: {error.detail}")
            steps.fail(check_id, error)
            continue
        try:
            detail = _decide_one(entry, credential, snapshot, issuer_name, now, material)
        except TrustIDError as exc:
            steps.fail(check_id, exc)
        else:
            steps.passed(check_id, detail)
        as_of = snapshot.fetched_at if as_of is None else min(as_of, snapshot.fetched_at)
        ttl = snapshot.ttl
        if ttl is not None:
            until = snapshot.fetched_at + ttl
            fresh_until = until if fresh_until is None else min(fresh_until, until)
        if snapshot.stale and entry.list_url not in stale_warned:
            stale_warned.add(entry.list_url)
            warnings.append(
                f"status as of {format_datetime(snapshot.fetched_at)}: the issuer could not "
                "be reached, a cached status list was used"
            )
    return None if as_of is None else StatusAge(as_of, fresh_until)
