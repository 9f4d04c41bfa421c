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
    from vcore.outbound import parse_allow_list, url_host_port
    from wallet_cli.answering import check_request, plan_answer, send_answer
    from wallet_cli.render import claim_name, overall_status, type_label
    from wallet_cli.resolution import Resolver
    from wallet_cli.sources import decode_qr_image

    session = session_of(ctx)
    if (link is None) == (qr is None):
        raise InputError.keyed("answer_source")
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
        t, locale = session.t, session.locale
        if not as_json:
            name = f"{clean(request.verifier_name)} " if request.verifier_name else ""
            who = (
                t("answer.signed", name=name, identifier=clean(request.identifier))
                if request.signed
                else t("answer.unsigned", name=name, host=url_host_port(request.response_uri))
            )
            session.err.print(t("answer.asked_by", who=who), soft_wrap=True)
        summary = []
        for item in plan:
            view = item.record.view
            # What leaves, by the labels of the type's metadata in the citizen's language.
            leaving = (
                t("answer.whole")
                if item.whole
                else ", ".join(
                    claim_name(item.record, n, locale) for n in [*item.always, *item.names]
                )
                or t("answer.only_holding")
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
                kind = type_label(item.record, locale)
                line = t("answer.item", type=kind, id=item.record.short_id, claims=leaving)
                session.err.print(clean(line), soft_wrap=True)
            state = overall_status(item.record, session.now)
            if state != "valid":
                word = t(f"status.{state}")
                session.warn(t("warn.not_valid", id=item.record.short_id, state=word))
        if not yes:
            if not sys.stdin.isatty():
                raise InputError.keyed("approve_with_yes")
            if not confirm(t("answer.confirm")):
                raise InputError.keyed("nothing_sent")
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
    session.say(session.t("answer.sent"))
    if isinstance(redirect, str):
        session.say(session.t("answer.continue", url=clean(redirect)))


def _bound_to(record: CredentialRecord, holder: str) -> bool:
    try:
        lookup(record.view.format).check_holder_binding(record.view, holder)
    except TrustIDError:
        return False
    return True


def register(app: typer.Typer) -> None:
    app.command("answer")(answer)
