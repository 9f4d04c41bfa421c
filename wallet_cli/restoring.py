"""What ``import`` trusts from a backup: the holder key and the credential tokens, nothing
else.

A backup is a file someone can hand you. Its passphrase proves only that whoever made it
knew the passphrase, not that its contents were ever checked. So every credential in it
is verified again as if it were being received (:func:`wallet_cli.receiving.accept_credential`):
signature against the issuer's keys resolved afresh (never the backup's cached keys),
bound to the backup's holder DID, status fetched now. What the backup says about a
credential (its issuer's name and where it came from, its last status, its notes, its
cached issuer keys) is dropped and rebuilt from that check. Only ``received_at`` is kept:
it is the citizen's own history and decides nothing.

A credential that fails is *not imported* and reported with the reason; the others are
imported. The backup file is never changed, so one refused for a network failure can be
imported later by running ``import`` again (already imported ones are skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from vcore.dids import resolve_offline
from vcore.errors import TrustIDError
from wallet_cli.errors import InputError, WalletError
from wallet_cli.receiving import accept_credential
from wallet_cli.records import CredentialRecord, HolderRecord, WalletContents
from wallet_cli.resolution import Resolver

__all__ = ["Refusal", "Restoration", "check_holder_key", "reverify_backup"]


@dataclass(frozen=True)
class Refusal:
    """A credential of the backup that was not imported, and why."""

    record: CredentialRecord
    reason: str

    def describe(self) -> str:
        try:
            what = f"{self.record.view.credential_type} {self.record.short_id}"
        except TrustIDError:  # pragma: no cover - from_json already parsed every token
            what = self.record.short_id
        return f"not imported: {what}: {self.reason}"


@dataclass(frozen=True)
class Restoration:
    """The backup as it may be imported: re-verified credentials, fresh keys only."""

    contents: WalletContents
    refused: list[Refusal]
    warnings: list[str]


def check_holder_key(holder: HolderRecord) -> None:
    """The backup's holder DID must be the DID of its holder key.

    Raises:
        InputError: they differ (a crafted or damaged backup).
    """
    try:
        public = resolve_offline(holder.kid)
    except TrustIDError as exc:
        raise InputError(f"the backup's holder DID is not usable: {exc.detail}") from None
    if public.to_jwk() != holder.private_key.public_key().to_jwk():
        raise InputError(
            "the backup's holder DID is not the DID of its holder key: nothing was imported"
        )


def reverify_backup(
    incoming: WalletContents,
    *,
    resolver: Resolver,
    now: datetime,
    accept_unbound: bool = False,
) -> Restoration:
    """Verify every credential of a backup afresh; see the module doc.

    ``resolver`` must have been built with an empty cache (the backup's keys are not used)
    and online, so keys and status come from the issuers now.

    Raises:
        InputError: the holder key does not match its DID.
    """
    check_holder_key(incoming.holder)
    accepted: list[CredentialRecord] = []
    refused: list[Refusal] = []
    warnings: list[str] = []
    for record in incoming.credentials:
        try:
            acceptance = accept_credential(
                record.token,
                holder_did=incoming.holder.did,
                resolver=resolver,
                now=now,
                accept_unbound=accept_unbound,
            )
        except (WalletError, TrustIDError) as exc:
            reason = exc.message if isinstance(exc, WalletError) else exc.detail
            refused.append(Refusal(record, reason.removeprefix("not stored: ")))
            continue
        fresh = replace(acceptance.record, received_at=record.received_at)
        accepted.append(fresh)
        warnings.extend(f"{fresh.short_id}: {w}" for w in acceptance.warnings)
    contents = WalletContents(
        holder=incoming.holder, credentials=accepted, issuer_keys=dict(resolver.fetched)
    )
    return Restoration(contents=contents, refused=refused, warnings=warnings)
