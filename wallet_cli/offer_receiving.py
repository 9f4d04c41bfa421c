"""``receive`` of an OpenID4VCI credential offer: where the offer comes from, what the
citizen is told, the transaction code prompt. The protocol is :mod:`wallet_cli.issuance`."""

from __future__ import annotations

import getpass
from pathlib import Path

from vcore.oid4vci import TxCodeSpec
from wallet_cli.errors import InputError
from wallet_cli.issuance import Redemption, is_offer_link, read_offer, redeem_offer, summarise
from wallet_cli.records import HolderRecord
from wallet_cli.session import Session, _terminal_available
from wallet_cli.sources import MAX_IMAGE_BYTES, decode_qr_image
from wallet_cli.store import read_input_file
from wallet_cli.terminal import clean

__all__ = ["offer_source", "redeem"]

_OFFER_PATH = "/credential-offer/"


def offer_source(source: str | None, qr: Path | None) -> str | None:
    """The offer link or ``credential_offer_uri`` named on the command line, if any."""
    if qr is not None and source is not None:
        raise InputError("give either SOURCE or --qr IMAGE, not both")
    if qr is not None:
        text = decode_qr_image(read_input_file(qr, MAX_IMAGE_BYTES), str(qr))
        return text if is_offer_link(text) else None
    if source is None:
        return None
    if is_offer_link(source):
        return source
    if source.startswith(("https://", "http://")) and _OFFER_PATH in source:
        return source
    return None


def _ask_tx_code(session: Session, spec: TxCodeSpec) -> str:
    if not _terminal_available():
        raise InputError.keyed("tx_code_needed")
    hint = f" ({clean(spec.description, 120)})" if spec.description else ""
    return getpass.getpass(session.t("offer.tx_code", length=spec.length, hint=hint))


def redeem(
    session: Session, text: str, holder: HolderRecord, tx_code: str | None, *, quiet: bool
) -> Redemption:
    """Run the offer's flow with the holder key; the credentials it yields."""
    with session.client() as client:
        offer = read_offer(client, text)
        summary, endpoints = summarise(client, offer, session.locale)
        if not quiet:
            name = clean(summary.issuer_name or summary.issuer, 100)
            offered = ", ".join(clean(c, 80) for c in summary.credentials)
            issuer = clean(summary.issuer, 100)
            session.say(session.t("offer.offers", name=name, issuer=issuer, offered=offered))
        return redeem_offer(
            client,
            offer,
            endpoints,
            holder_key=holder.private_key,
            holder_did=holder.did,
            tx_code=(
                (lambda spec: tx_code)
                if tx_code is not None
                else (lambda spec: _ask_tx_code(session, spec))
            ),
            now=lambda: session.now,
        )
