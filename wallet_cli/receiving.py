"""What the wallet checks before it keeps a credential, and how status is refreshed.

Both run the shared pipeline of :mod:`vcore.verify` (without a trust list: the
wallet checks that the issuer's own DID signed it, the verifier checks accreditation).

At receipt a credential is refused when its format, issuer/key match, key or signature
fails, or when it is bound to another holder (unless ``--accept-unbound``). An expired,
not-yet-valid, revoked or suspended credential is kept with a warning: it is the
citizen's record, and the verifier will refuse it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from vcore.clock import format_datetime
from vcore.dids import parse_did_url
from vcore.errors import TrustIDError
from vcore.formats import lookup, parse_credential_unverified
from vcore.verify import VerificationReport, verify_credential_token
from wallet_cli.errors import VerificationError, WalletError
from wallet_cli.records import (
    NAME_SELF_DECLARED,
    CredentialRecord,
    StatusRecord,
    issuer_name_of,
    local_id_for,
)
from wallet_cli.resolution import Resolver

__all__ = ["Acceptance", "accept_credential", "refresh_status", "status_from_report"]

_FATAL = ("format", "issuer_match", "key", "signature")


@dataclass(frozen=True)
class Acceptance:
    """A credential ready to store, with what the user should be told."""

    record: CredentialRecord
    warnings: list[str]
    report: VerificationReport


def _bound_to(token_holder: str | None) -> str | None:
    if token_holder is None:
        return None
    try:
        return parse_did_url(token_holder).did
    except TrustIDError:
        return token_holder


def status_from_report(
    report: VerificationReport, now: datetime, previous: StatusRecord | None = None
) -> StatusRecord:
    """The status record a verification report implies.

    A purpose whose check could not be done keeps the previous value (last known) and
    records why in ``error``; ``checked_at`` then stays the date of that last value.
    """
    record = replace(previous) if previous is not None else StatusRecord()
    errors: list[str] = []
    checked = False
    if report.credential is not None and "credentialStatus" not in report.credential:
        checked = True  # no status entry: nothing can be revoked; checked now
    for check in report.checks:
        if not check.id.startswith("status."):
            continue
        purpose = check.id.removeprefix("status.")
        if check.status == "passed" or check.code in ("revoked", "suspended"):
            value = check.status == "failed"
            if purpose == "revocation":
                record.revocation = value
            elif purpose == "suspension":
                record.suspension = value
            checked = True
        elif check.status == "failed":
            errors.append(check.detail)
    if checked:
        at = report.status_as_of or now
        record.checked_at = format_datetime(at)
    record.error = "; ".join(dict.fromkeys(errors)) or None
    return record


def accept_credential(
    token: str,
    *,
    holder_did: str,
    resolver: Resolver,
    now: datetime,
    accept_unbound: bool = False,
) -> Acceptance:
    """Verify a credential for receipt.

    Raises:
        VerificationError: bad format or signature, or bound to another holder.
        NetworkError, OutboundURLError: the issuer's key could not be fetched.
    """
    report = verify_credential_token(
        token, trust=None, key_for=resolver.key_for, status_for=resolver.status_for, now=now
    )
    for check in report.checks:
        if check.id in _FATAL and check.status == "failed":
            raise VerificationError(f"not stored: {check.detail} ({check.code})")
    if report.credential is None:  # pragma: no cover - the signature check passed
        raise VerificationError("not stored: the credential did not verify")
    view = parse_credential_unverified(token)  # signature verified just above
    warnings: list[str] = []
    bound = _bound_to(view.holder)
    if view.confirmation is not None:
        # Bound to a key (SD-JWT VC cnf), not to a subject id: the format checks it.
        try:
            lookup(view.format).check_holder_binding(view, holder_did)
            bound = holder_did
        except TrustIDError:
            bound = "another holder key (cnf)"
    if bound != holder_did:
        whom = f"to {bound[:48]}..." if bound else "to no holder (a bearer credential)"
        if not accept_unbound:
            raise VerificationError(
                f"not stored: this credential was issued {whom}, not to this wallet "
                f"({holder_did[:48]}...); use --accept-unbound to keep it anyway"
            )
        warnings.append(
            f"this credential is bound {whom.removeprefix('to ')}: you cannot present it "
            "as its holder"
        )
    for check in report.checks:
        if check.id == "validity" and check.status == "failed":
            warnings.append(f"{check.detail}: stored anyway, verifiers will refuse it")
        elif check.id.startswith("status.") and check.code in ("revoked", "suspended"):
            warnings.append(f"{check.detail}: stored with that status")
        elif check.id.startswith("status") and check.status == "failed":
            warnings.append(f"status not checked: {check.detail}")
    if resolver.offline:
        warnings.append("checked offline against cached keys; status not checked")
    declared = resolver.issuer_display_name(view.issuer)
    type_metadata, metadata_note = resolver.type_metadata(view)
    if metadata_note is not None:
        warnings.append(metadata_note)
    record = CredentialRecord(
        id=local_id_for(view),
        token=view.token,
        received_at=format_datetime(now),
        issuer_name=declared or issuer_name_of(view),
        # Whatever the issuer calls itself; only `verify` (a trust list) makes it trusted.
        issuer_name_source=NAME_SELF_DECLARED,
        notes=list(warnings),
        status=status_from_report(report, now),
        type_metadata=type_metadata,
    )
    return Acceptance(record=record, warnings=warnings, report=report)


def refresh_status(record: CredentialRecord, *, resolver: Resolver, now: datetime) -> StatusRecord:
    """Re-check one stored credential's status; on failure keep the last known values.

    Raises nothing for the issuer being unreachable: that is recorded in ``error``.
    """
    try:
        report = verify_credential_token(
            record.token,
            trust=None,
            key_for=resolver.key_for,
            status_for=resolver.status_for,
            now=now,
        )
    except (WalletError, TrustIDError) as exc:
        message = exc.message if isinstance(exc, WalletError) else exc.detail
        return replace(record.status, error=message)
    for check in report.checks:
        if check.id in _FATAL and check.status == "failed":
            return replace(record.status, error=f"{check.detail} ({check.code})")
    return status_from_report(report, now, record.status)
