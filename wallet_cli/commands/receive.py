"""``receive``: check a credential and keep it in the vault."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from wallet_cli.session import session_of

__all__ = ["register"]


def receive(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Argument(
            help="A credential file, - for standard input, the JWT itself, or the https URL "
            "the issuer gave you.",
            show_default=False,
        ),
    ] = None,
    qr: Annotated[
        Path | None,
        typer.Option("--qr", metavar="IMAGE", help="Read the credential from a QR code photo."),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Check the signature against cached issuer keys; no network."
        ),
    ] = False,
    accept_unbound: Annotated[
        bool,
        typer.Option(
            "--accept-unbound",
            help="Keep a credential issued to another holder (or to none); you cannot "
            "present it as its holder.",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the stored credential as JSON.")
    ] = False,
    tx_code: Annotated[
        str | None,
        typer.Option(
            "--tx-code",
            metavar="CODE",
            help="The transaction code of a credential offer (asked for when not given).",
        ),
    ] = None,
) -> None:
    """Receive a credential: check its signature and issuer, then store it encrypted.

    Refused when the signature does not verify or the credential names another holder.
    An expired, revoked or suspended credential is stored with a warning.

    Examples:

      trustid-wallet receive resident.jwt

      trustid-wallet receive --qr photo-of-the-qr-code.png

      cat resident.jwt | trustid-wallet receive -

      trustid-wallet receive 'openid-credential-offer://?credential_offer_uri=...'

      trustid-wallet receive --qr offer.png --tx-code 123456
    """
    # Imported here: the verification pipeline is only needed by this command.
    from wallet_cli.offer_receiving import offer_source, redeem
    from wallet_cli.receiving import accept_credential
    from wallet_cli.render import credential_json, issuer_label, type_label
    from wallet_cli.resolution import Resolver
    from wallet_cli.sources import read_credential_source

    session = session_of(ctx)
    offer_text = offer_source(source, qr)
    vault = session.vault()
    snapshot = vault.load()
    failure: str | None = None
    if offer_text is not None:
        redemption = redeem(session, offer_text, snapshot.holder, tx_code, quiet=as_json)
        tokens, failure = list(redemption.credentials), redemption.failure
    else:
        tokens = [
            read_credential_source(source, qr_image=qr, stdin=sys.stdin, client=session.client)
        ]
    results = []
    for token in tokens:
        with Resolver(
            None if offline else session.client, snapshot.issuer_keys, session.now
        ) as resolver:
            acceptance = accept_credential(
                token,
                holder_did=snapshot.holder.did,
                resolver=resolver,
                now=session.now,
                accept_unbound=accept_unbound,
            )
        record = acceptance.record
        with vault.edit() as contents:
            added = contents.add(record)
            contents.issuer_keys.update(resolver.fetched)
        for warning in acceptance.warnings:
            session.warn(warning)
        stored = record if added else contents.get(record.id) or record
        results.append({"stored": added, **credential_json(stored, session.now)})
        if as_json:
            continue
        # The type's own name from its Type Metadata, else its identifier as issued.
        kind = (
            type_label(stored, session.locale)
            if stored.type_metadata is not None
            else stored.view.credential_type
        )
        if not added:
            session.say(session.t("receive.already", type=kind, id=record.short_id))
            continue
        issuer = issuer_label(stored, locale=session.locale)
        session.say(session.t("receive.stored", type=kind, issuer=issuer, id=record.short_id))
    if as_json:
        session.json(results[0] if offer_text is None else results, indent=None)
    if failure is not None:
        from wallet_cli.errors import NetworkError

        raise NetworkError(f"{failure}; the credentials received before were stored")


def register(app: typer.Typer) -> None:
    app.command("receive")(receive)
