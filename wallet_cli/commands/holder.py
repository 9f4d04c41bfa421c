"""``init`` and ``did``: the holder key and the DID credentials are issued to."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from wallet_cli.errors import InputError
from wallet_cli.records import HolderRecord, WalletContents
from wallet_cli.session import session_of
from wallet_cli.store import vault_exists

__all__ = ["register"]


class Alg(StrEnum):
    ES256 = "ES256"
    EdDSA = "EdDSA"


class DIDMethod(StrEnum):
    key = "key"
    jwk = "jwk"


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def init(
    ctx: typer.Context,
    alg: Annotated[
        Alg, typer.Option("--alg", help="Holder key algorithm: ES256 (P-256) or EdDSA.")
    ] = Alg.ES256,
    method: Annotated[
        DIDMethod,
        typer.Option(
            "--did-method",
            help="did:key (short, best for QR codes) or did:jwk (for older verifiers).",
        ),
    ] = DIDMethod.key,
    as_json: JsonOption = False,
) -> None:
    """Create a wallet: a new holder key in a new encrypted vault.

    Prints the holder DID: give it to the agency that issues your credentials.

    Examples:

      trustid-wallet init

      trustid-wallet --home /media/usb/wallet init --alg EdDSA
    """
    session = session_of(ctx)
    if vault_exists(session.home):
        raise InputError(f"a wallet already exists at {session.home}; use another --home")
    from vcore.dids import did_jwk_for
    from vcore.keys import generate_key

    key = generate_key(alg.value)
    holder = HolderRecord.generate(key)
    if method is DIDMethod.jwk:
        holder = HolderRecord(jwk=holder.jwk, did=did_jwk_for(key.public_key()))
    vault = session.vault(new=True)
    vault.create(WalletContents(holder=holder), params=session.kdf)
    if as_json:
        session.json({"did": holder.did, "alg": holder.alg, "home": str(vault.home)}, indent=None)
        return
    session.say(session.t("init.created", home=vault.home))
    session.say(session.t("init.did"))
    session.echo(holder.did)


def did(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Print this wallet's holder DID.

    Example:

      trustid-wallet did
    """
    session = session_of(ctx)
    holder = session.vault().load().holder
    if as_json:
        payload = {"did": holder.did, "kid": holder.kid, "alg": holder.alg}
        session.json(payload, indent=None)
        return
    session.echo(holder.did)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("did")(did)
