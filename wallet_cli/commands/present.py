"""``present``: prove you hold credentials, for one verifier and one challenge."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from vcore.errors import QRTooLargeError, TrustIDError
from wallet_cli.commands.browse import EncodingOption
from wallet_cli.errors import DoesNotFitError, InputError, VerificationError
from wallet_cli.records import CredentialRecord
from wallet_cli.render import Encoding, overall_status
from wallet_cli.session import Session, session_of
from wallet_cli.store import write_output_file
from wallet_cli.terminal import confirm

__all__ = ["register"]

_ADVICE = (
    "At a counter that checks your photo ID, show the credential's own QR code instead "
    "(trustid-wallet show ID --qr), or send the presentation over the network "
    "(trustid-wallet present ... --out FILE)."
)


def present(
    ctx: typer.Context,
    credential_ids: Annotated[
        list[str], typer.Argument(metavar="ID...", help="The credential(s) to present.")
    ],
    audience: Annotated[
        str,
        typer.Option("--audience", help="The verifier's identifier, as it gave it to you."),
    ],
    nonce: Annotated[str, typer.Option("--nonce", help="The verifier's one-time challenge.")],
    disclose: Annotated[
        str | None,
        typer.Option(
            "--disclose",
            metavar="NAME[,NAME...]",
            help="SD-JWT credentials: the claims to show (see `show ID --claims`); every "
            "other selectively disclosable claim stays in the wallet. Without it you are "
            "asked, claim by claim.",
        ),
    ] = None,
    qr: Annotated[bool, typer.Option("--qr", help="Draw the presentation as a QR code.")] = False,
    png: Annotated[
        Path | None,
        typer.Option("--png", metavar="FILE", help="Write the presentation's QR code as a PNG."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write the presentation token to a file."),
    ] = None,
    encoding: EncodingOption = Encoding.auto,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the token and its QR plan as JSON.")
    ] = False,
) -> None:
    """Present credentials to a verifier, signed with your holder key (a vp+jwt).

    The verifier gives you its audience and a fresh nonce; the presentation is only
    valid for them, for about five minutes. Without --qr/--png/--out the token is printed.

    A presentation wrapping a full credential is often too large for one QR code: the
    wallet says which QR version it needs and refuses, with advice, when none is enough.

    Examples:

      trustid-wallet present 3f2a --audience https://counter.example --nonce 8fJ2 --out vp.jwt

      trustid-wallet present 3f2a --audience https://counter.example --nonce 8fJ2 --png vp.png
    """
    # Here, not at the top: `trustid-wallet --help` must not load every format.
    from vcore.dids import holder_kid
    from vcore.formats import SdJwtCredential, build_presentation, lookup
    from vcore.sdjwt import present_sd_jwt
    from vcore.signing import SoftwareSigner

    session = session_of(ctx)
    if sum((qr, png is not None, out is not None, as_json)) > 1:
        raise InputError("choose one of --qr, --png, --out and --json")
    contents = session.vault().load()
    records = [contents.find(ref) for ref in credential_ids]
    if len({r.id for r in records}) != len(records):
        raise InputError("the same credential is named twice")
    holder = contents.holder
    for record in records:
        try:
            lookup(record.view.format).check_holder_binding(record.view, holder.did)
        except TrustIDError:
            raise VerificationError(
                f"credential {record.short_id} is not issued to this wallet's DID, so a "
                "verifier would refuse it in a presentation; show it with `show --qr` instead"
            ) from None
        state = overall_status(record, session.now)
        if state != "valid":
            word = session.t(f"status.{state}")
            session.warn(session.t("warn.not_valid", id=record.short_id, state=word))
    selective = [r for r in records if isinstance(r.view, SdJwtCredential)]
    if selective:
        if len(records) != 1:
            raise InputError("an SD-JWT credential is presented on its own: name only it")
        signer = SoftwareSigner(holder.private_key, holder_kid(holder.did))
        names = _chosen_claims(session, records[0], disclose)
        try:
            token = present_sd_jwt(
                records[0].token,
                names,
                signer=signer,
                nonce=nonce,
                audience=audience,
                now=session.now,
                base=selective[0].view.claim_base,  # type: ignore[attr-defined]
            )
        except TrustIDError as exc:
            raise InputError(f"{exc.detail} (see `show {records[0].short_id} --claims`)") from None
    elif disclose is not None:
        raise InputError("--disclose is for SD-JWT credentials; this one shows every claim")
    else:
        token = build_presentation(
            [r.token for r in records],
            holder.private_key,
            holder.did,
            audience=audience,
            nonce=nonce,
            now=session.now,
        )
    if out is not None:
        write_output_file(session.output_path(out), token.encode("ascii") + b"\n")
        session.say(session.t("present.wrote", size=len(token), path=out))
        return
    if not (qr or png is not None or as_json):
        session.echo(token)
        return
    from wallet_cli.render import plan_qr_text, print_qr, qr_png

    try:
        chosen = plan_qr_text(token, encoding)
    except QRTooLargeError as exc:
        if as_json:
            session.json({"presentation": token, "qr": None, "qrError": exc.detail}, indent=None)
            return
        raise DoesNotFitError(
            f"the presentation does not fit in a QR code: {exc.detail}. {_ADVICE}"
        ) from None
    if as_json:
        plan = chosen.plan
        qr_info = {"version": plan.version, "ecc": plan.ecc, "compact": chosen.compact}
        session.json({"presentation": token, "qr": qr_info}, indent=None)
        return
    session.err.print(session.t("qr.plan", plan=chosen.describe()), soft_wrap=True)
    if png is not None:
        write_output_file(session.output_path(png), qr_png(chosen))
        session.say(session.t("wrote", path=png))
    else:
        print_qr(session.out, chosen)


def _chosen_claims(session: Session, record: CredentialRecord, disclose: str | None) -> list[str]:
    """The claims to disclose: from --disclose, or asked one by one (nothing by default)."""
    from vcore.formats import DisclosureMode, SdJwtCredential
    from vcore.i18n import Locale
    from wallet_cli.render import claim_name

    view = record.view
    assert isinstance(view, SdJwtCredential)  # noqa: S101 - the caller checked
    modes = view.claim_modes()

    def label(name: str) -> str:
        # English keeps the names --disclose takes; another locale shows its labels.
        return name if session.locale is Locale.EN else claim_name(record, name, session.locale)

    always = [name for name, mode in modes.items() if mode is DisclosureMode.ALWAYS]
    if disclose is not None:
        names = list(dict.fromkeys(n.strip() for n in disclose.split(",") if n.strip()))
        if not names:
            raise InputError("--disclose needs at least one claim name")
    else:
        if not sys.stdin.isatty():
            raise InputError(
                "say which claims to show with --disclose NAME[,NAME...] "
                f"(see `trustid-wallet show {record.short_id} --claims`)"
            )
        names = [
            name
            for name, mode in modes.items()
            if mode is DisclosureMode.SELECTIVE
            and "." not in name
            and confirm(session.t("present.show_claim", claim=label(name)))
        ]
    shown = ", ".join(label(n) for n in [*always, *names]) or session.t(
        "present.nothing_but_holding"
    )
    session.err.print(session.t("present.leaving", claims=shown), soft_wrap=True)
    if disclose is None and not confirm(session.t("answer.confirm")):
        raise InputError.keyed("nothing_presented")
    return names


def register(app: typer.Typer) -> None:
    app.command("present")(present)
