"""``answer``: answer a verifier's OpenID4VP request (a link or its QR code)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from vcore.errors import TrustIDError
from vcore.formats import lookup
from wallet_cli.errors import InputError
from wallet_cli.records import CredentialRecord
from wallet_cli.session import session_of
from wallet_cli.terminal import clean, confirm

__all__ = ["register"]


def answer(
    ctx: typer.Context,
    link: Annotated[
        str | None,
        typer.Argument(help="The openid4vp:// link the verifier showed.", show_default=False),
    ] = None,
    qr: Annotated[
        Path | None,
        typer.Option("--qr", metavar="IMAGE", help="Read the link from a photo of its QR code."),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Send without asking (scripts): you approve in advance."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print who asked and what was sent as JSON.")
    ] = False,
) -> None:
    """Answer a verifier's request: see who asks and for what, approve, send.

    The request is checked first (its signature by the verifier's DID, its client id,
    where the answer goes, its expiry). Only the claims the verifier asked for leave the
    wallet, bound to this request so they cannot be replayed elsewhere.

    Examples:

      trustid-wallet answer 'openid4vp://?client_id=...&request_uri=...'

      trustid-wallet answer --qr photo-of-the-counter-screen.png
    """
    # Imported here: the protocol code is only needed by this command.
    from vcore.outbound import parse_allow_list
    from wallet_cli.answering import check_request, plan_answer, send_answer
    from wallet_cli.render import overall_status
    from wallet_cli.resolution import Resolver
    from wallet_cli.sources import decode_qr_image

    session = session_of(ctx)
    if (link is None) == (qr is None):
        raise InputError("give the openid4vp:// link or --qr IMAGE (one of them)")
    if qr is not None:
        try:
            data = qr.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {qr}: {exc.strerror}") from None
        link = decode_qr_image(data, str(qr))
    assert link is not None  # noqa: S101 - one of them was given
    contents = session.vault().load()
    allow = parse_allow_list(session.settings.allow_insecure_hosts)
    with (
        session.client() as client,
        Resolver(lambda: client, contents.issuer_keys, session.now) as resolver,
    ):
        request = check_request(link, client, resolver, allow=allow, now=session.now)
        # Only credentials this wallet can present as their holder, valid ones first.
        holder = contents.holder.did
        usable = [r for r in contents.credentials if _bound_to(r, holder)]
        usable.sort(key=lambda r: overall_status(r, session.now) != "valid")
        plan = plan_answer(request, usable)
        if not as_json:
            session.err.print(f"Asked by {clean(request.who)}", soft_wrap=True)
        summary = []
        for item in plan:
            view = item.record.view
            leaving = (
                "the whole credential"
                if item.whole
                else ", ".join([*item.always, *item.names]) or "only that you hold it"
            )
            summary.append(
                {
                    "query": item.query_id,
                    "credential": item.record.short_id,
                    "type": view.credential_type,
                    "claims": item.names,
                    "alwaysShown": item.always,
                }
            )
            if not as_json:
                session.err.print(
                    f"{clean(view.credential_type)} {item.record.short_id}: {clean(leaving)}",
                    soft_wrap=True,
                )
            state = overall_status(item.record, session.now)
            if state != "valid":
                session.warn(f"credential {item.record.short_id} is {state.replace('_', ' ')}")
        if not yes:
            if not sys.stdin.isatty():
                raise InputError("approve with --yes, or run in a terminal to be asked")
            if not confirm("Send exactly this?"):
                raise InputError("nothing was sent")
        reply = send_answer(request, plan, contents.holder, client, now=session.now)
    redirect = reply.get("redirect_uri")
    if as_json:
        session.json(
            {
                "clientId": request.client_id,
                "verifier": request.verifier_name,
                "signed": request.signed,
                "sent": summary,
                "redirectUri": redirect if isinstance(redirect, str) else None,
            },
            indent=None,
        )
        return
    session.say("Sent. The verifier accepted the answer.")
    if isinstance(redirect, str):
        session.say(f"Continue at {clean(redirect)}")


def _bound_to(record: CredentialRecord, holder: str) -> bool:
    try:
        lookup(record.view.format).check_holder_binding(record.view, holder)
    except TrustIDError:
        return False
    return True


def register(app: typer.Typer) -> None:
    app.command("answer")(answer)
