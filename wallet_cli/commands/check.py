"""``verify`` (ask a verifier) and ``status`` (refresh revocation/suspension)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from wallet_cli.commands.browse import IdArgument
from wallet_cli.errors import VerificationError
from wallet_cli.records import NAME_FROM_VERIFIER, NAME_SELF_DECLARED
from wallet_cli.render import credential_json, print_checks, print_credentials
from wallet_cli.session import session_of
from wallet_cli.terminal import clean

__all__ = ["register"]


def _accredited_name(report: dict[str, Any], issuer: str) -> str | None:
    """The name the verifier's trust list gives this issuer, if it reported it trusted."""
    entry = report.get("issuer")
    if not isinstance(entry, dict) or entry.get("id") != issuer or not _trust_passed(report):
        return None
    name = entry.get("name")
    return (clean(name, 120).strip() or None) if isinstance(name, str) else None


def _trust_passed(report: dict[str, Any]) -> bool:
    checks = report.get("checks")
    return isinstance(checks, list) and any(
        isinstance(c, dict) and c.get("id") == "trust" and c.get("status") == "passed"
        for c in checks
    )


def _trust_failed(report: dict[str, Any]) -> bool:
    checks = report.get("checks")
    return isinstance(checks, list) and any(
        isinstance(c, dict) and c.get("id") == "trust" and c.get("status") == "failed"
        for c in checks
    )


def verify(
    ctx: typer.Context,
    credential_id: IdArgument,
    verifier: Annotated[
        str, typer.Option("--verifier", metavar="URL", help="The verifier's base URL.")
    ],
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="The verifier's API key, if it requires one \\[env: TRUSTID_WALLET_VERIFIER_KEY].",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verifier's report.")] = False,
) -> None:
    """Ask a verifier whether it accepts a credential, and show each of its checks.

    Exit code 0 when verified, 5 when not.

    Example:

      trustid-wallet verify 3f2a --verifier https://verify.city.example
    """
    session = session_of(ctx)
    vault = session.vault()
    record = vault.load().find(credential_id)
    key = api_key
    if key is None and session.settings.wallet_verifier_key is not None:
        key = session.settings.wallet_verifier_key.get_secret_value()
    with session.client() as client:
        from vcore.formats import envelope_credential

        report = client.verify_credential(verifier, envelope_credential(record.token), key)
    name = _accredited_name(report, record.view.issuer)
    if name and (name != record.issuer_name or record.issuer_name_source != NAME_FROM_VERIFIER):
        # The verifier's trust list knows the issuer's real name: remember it for `list`.
        # It overrides the name the issuer declared for itself at receipt.
        with vault.edit() as contents:
            stored = contents.get(record.id)
            if stored is not None:
                stored.issuer_name = name
                stored.issuer_name_source = NAME_FROM_VERIFIER
    elif record.issuer_name_source == NAME_FROM_VERIFIER and _trust_failed(report):
        # The trust list no longer names it (removed, or the list expired): the name it
        # was shown under is no longer vouched for.
        with vault.edit() as contents:
            stored = contents.get(record.id)
            if stored is not None:
                stored.issuer_name_source = NAME_SELF_DECLARED
    if as_json:
        session.json(report)
    else:
        print_checks(session.out, report, session.locale)
    if not report.get("verified"):
        problems = report.get("problemDetails")
        first = problems[0] if isinstance(problems, list) and problems else {}
        detail = first.get("detail") if isinstance(first, dict) else None
        raise VerificationError(f"the verifier did not verify it: {detail or 'see the checks'}")


def status(
    ctx: typer.Context,
    credential_id: Annotated[
        str | None,
        typer.Argument(metavar="[ID]", help="One credential (default: all).", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Refresh revocation and suspension from the issuers' status lists.

    Shows the status of each credential "as of" the time its list was fetched; if an
    issuer cannot be reached, the last known status and its date are kept.

    Examples:

      trustid-wallet status

      trustid-wallet status 3f2a --json
    """
    from wallet_cli.receiving import refresh_status
    from wallet_cli.resolution import Resolver

    session = session_of(ctx)
    vault = session.vault()
    snapshot = vault.load()
    targets = [snapshot.find(credential_id)] if credential_id is not None else snapshot.credentials
    with Resolver(session.client, snapshot.issuer_keys, session.now) as resolver:
        fresh = {r.id: refresh_status(r, resolver=resolver, now=session.now) for r in targets}
    with vault.edit() as contents:
        # Merge by id into the current contents: another command may have run meanwhile.
        for record in contents.credentials:
            if record.id in fresh:
                record.status = fresh[record.id]
        contents.issuer_keys.update(resolver.fetched)
        shown = [r for r in contents.credentials if r.id in fresh]
    for record in shown:
        if record.status.error:
            session.warn(f"{record.short_id}: {record.status.error}")
    if as_json:
        items = [credential_json(r, session.now) for r in shown]
        session.json(items)
        return
    print_credentials(session.out, shown, session.now, session.locale)


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
    app.command("status")(status)
