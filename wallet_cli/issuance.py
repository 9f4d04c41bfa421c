"""OpenID4VCI 1.0 pre-authorized code flow, the wallet's side (the protocol is pure in
:mod:`vcore.oid4vci`; every request goes through :class:`wallet_cli.client.WalletClient`,
so the outbound policy applies to every URL an offer or metadata names).

Steps: read the offer (by value or ``credential_offer_uri``), fetch the issuer's metadata
(checked to name the offer's issuer) and its authorization server's, ask for the
transaction code, redeem the code at the token endpoint with a fresh DPoP key, then per
offered configuration get a ``c_nonce`` and ask for the credential with a key proof by
the holder key (``jwk`` for configurations bound to a key, the holder's DID URL as
``kid`` for those bound to a DID). What comes back is checked and stored by the caller
like any received credential.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vcore.dids import holder_kid
from vcore.errors import MalformedError
from vcore.i18n import Locale, pick_display
from vcore.keys import PrivateKey, generate_key
from vcore.oid4vci import (
    AS_METADATA_PATH,
    ISSUER_METADATA_PATH,
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    IssuerEndpoints,
    TxCodeSpec,
    create_dpop_proof,
    create_key_proof,
    parse_credential_offer,
    parse_issuer_endpoints,
    parse_offer_link,
    well_known_url,
)
from wallet_cli.client import WalletClient
from wallet_cli.errors import InputError, NetworkError

__all__ = ["OfferSummary", "Redemption", "is_offer_link", "read_offer", "redeem_offer", "summarise"]

_MAX_METADATA = 256 * 1024


def is_offer_link(text: str) -> bool:
    """Whether a command-line source is an offer link rather than a credential."""
    return text.strip().startswith(("openid-credential-offer://", "haip://"))


@dataclass(frozen=True)
class Redemption:
    """The credentials an offer gave, and why the rest (if any) was not given."""

    credentials: tuple[str, ...]
    failure: str | None


@dataclass(frozen=True)
class OfferSummary:
    """What the citizen is told before the transaction code is asked for."""

    issuer: str
    issuer_name: str | None
    credentials: tuple[str, ...]


def _get_json(client: WalletClient, url: str) -> Any:
    status, value, _ = client.exchange("GET", url, limit=_MAX_METADATA)
    if status != 200 or value is None:
        raise NetworkError(f"{url[:100]} answered {status}, not JSON")
    return value


def read_offer(client: WalletClient, text: str) -> CredentialOffer:
    """The offer behind a link, or behind an https ``credential_offer_uri``.

    Raises:
        InputError: not an offer. NetworkError: it could not be fetched.
    """
    try:
        if is_offer_link(text):
            reference = parse_offer_link(text)
            value = reference.value if reference.uri is None else _get_json(client, reference.uri)
        else:
            value = _get_json(client, text.strip())
        return parse_credential_offer(value)
    except MalformedError as exc:
        raise InputError(f"not a usable credential offer: {exc.detail}") from None


def _localised(entries: Any, locale: Locale) -> str | None:
    entry = pick_display(list(entries) if isinstance(entries, tuple) else entries, locale)
    return str(entry["name"]) if entry is not None else None


def _metadata(client: WalletClient, offer: CredentialOffer) -> IssuerEndpoints:
    url = well_known_url(offer.credential_issuer, ISSUER_METADATA_PATH)
    try:
        return parse_issuer_endpoints(
            _get_json(client, url), expected_issuer=offer.credential_issuer
        )
    except MalformedError as exc:
        raise NetworkError(f"the issuer's metadata is unusable: {exc.detail}") from None


def summarise(
    client: WalletClient, offer: CredentialOffer, locale: Locale = Locale.EN
) -> tuple[OfferSummary, IssuerEndpoints]:
    """Fetch the issuer's metadata and name the issuer and what it offers."""
    endpoints = _metadata(client, offer)
    names = []
    for config_id in offer.configuration_ids:
        config = endpoints.configurations.get(config_id)
        if config is None:
            raise NetworkError(f"the issuer does not describe {config_id[:60]!r}")
        meta = config.get("credential_metadata")
        display = meta.get("display") if isinstance(meta, Mapping) else config.get("display")
        name = _localised(display, locale) or config_id
        fmt = config.get("format")
        names.append(f"{name} ({fmt})" if isinstance(fmt, str) else name)
    summary = OfferSummary(
        offer.credential_issuer, _localised(endpoints.display, locale), tuple(names)
    )
    return summary, endpoints


def _error(status: int, value: Any, what: str) -> NetworkError:
    if isinstance(value, Mapping) and isinstance(value.get("error"), str):
        detail = value.get("error_description")
        text = f"{value['error']}" + (f": {detail}" if isinstance(detail, str) else "")
        return NetworkError(f"the issuer refused the {what} ({text[:300]})")
    return NetworkError(f"the issuer answered {status} to the {what}")


def _token_endpoint(client: WalletClient, endpoints: IssuerEndpoints) -> str:
    server = endpoints.authorization_servers[0] if endpoints.authorization_servers else None
    value = _get_json(
        client, well_known_url(server or endpoints.credential_issuer, AS_METADATA_PATH)
    )
    endpoint = value.get("token_endpoint") if isinstance(value, Mapping) else None
    if not isinstance(endpoint, str):
        raise NetworkError("the authorization server metadata has no token_endpoint")
    return endpoint


def _post_dpop(
    client: WalletClient,
    url: str,
    key: PrivateKey,
    now: datetime,
    *,
    access_token: str | None = None,
    **kwargs: Any,
) -> tuple[int, Any]:
    """POST with a DPoP proof; once more with the server's ``DPoP-Nonce`` if it asks (§8)."""
    nonce: str | None = None
    for _ in range(2):
        proof = create_dpop_proof(
            key, method="POST", url=url, now=now, access_token=access_token, nonce=nonce
        )
        headers = {"DPoP": proof, **kwargs.pop("headers", {})}
        status, value, response_headers = client.exchange("POST", url, headers=headers, **kwargs)
        kwargs["headers"] = {k: v for k, v in headers.items() if k != "DPoP"}
        asked = response_headers.get("DPoP-Nonce")
        if (
            status in (400, 401)
            and isinstance(value, Mapping)
            and value.get("error") == "use_dpop_nonce"
            and asked
            and nonce is None
        ):
            nonce = asked
            continue
        return status, value
    return status, value


def redeem_offer(
    client: WalletClient,
    offer: CredentialOffer,
    endpoints: IssuerEndpoints,
    *,
    holder_key: PrivateKey,
    holder_did: str,
    tx_code: Callable[[TxCodeSpec], str],
    now: Callable[[], datetime],
) -> Redemption:
    """Run token -> nonce -> credential; the compact credentials, one per configuration.

    A failure after some configurations were issued returns those with the failure.

    Raises:
        NetworkError: a step refused (the spec's error code in the message).
        InputError: no transaction code given.
    """
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": offer.pre_authorized_code}
    if offer.tx_code is not None:
        code = tx_code(offer.tx_code).strip()
        if not code:
            raise InputError("this offer needs its transaction code (--tx-code CODE)")
        form["tx_code"] = code
    dpop_key = generate_key("ES256")
    token_url = _token_endpoint(client, endpoints)
    status, value = _post_dpop(client, token_url, dpop_key, now(), data=form)
    if (
        status != 200
        or not isinstance(value, Mapping)
        or not isinstance(value.get("access_token"), str)
    ):
        raise _error(status, value, "transaction code or offer")
    access_token = str(value["access_token"])
    scheme = "DPoP" if str(value.get("token_type", "")).lower() == "dpop" else "Bearer"
    credentials: list[str] = []
    for config_id in offer.configuration_ids:
        try:
            credentials.extend(
                _request_credential(
                    client,
                    offer,
                    endpoints,
                    config_id,
                    holder_key,
                    holder_did,
                    dpop_key,
                    access_token,
                    scheme,
                    now,
                )
            )
        except NetworkError as exc:
            if not credentials:
                raise
            # Keep what was issued: the offer's code is spent, it cannot be asked again.
            return Redemption(tuple(credentials), exc.message)
    return Redemption(tuple(credentials), None)


def _request_credential(
    client: WalletClient,
    offer: CredentialOffer,
    endpoints: IssuerEndpoints,
    config_id: str,
    holder_key: PrivateKey,
    holder_did: str,
    dpop_key: PrivateKey,
    access_token: str,
    scheme: str,
    now: Callable[[], datetime],
) -> list[str]:
    """Nonce, key proof, credential request for one configuration."""
    config = endpoints.configurations[config_id]
    if endpoints.nonce_endpoint is None:
        raise NetworkError("the issuer has no nonce endpoint; cannot prove the holder key")
    status, value, _ = client.exchange("POST", endpoints.nonce_endpoint)
    if status != 200 or not isinstance(value, Mapping) or not isinstance(value.get("c_nonce"), str):
        raise _error(status, value, "nonce request")
    methods = config.get("cryptographic_binding_methods_supported") or []
    by_did = "jwk" not in methods and any(str(m).startswith("did:") for m in methods)
    proof = create_key_proof(
        holder_key,
        audience=offer.credential_issuer,
        nonce=str(value["c_nonce"]),
        now=now(),
        kid=holder_kid(holder_did) if by_did else None,
    )
    body = {"credential_configuration_id": config_id, "proofs": {"jwt": [proof]}}
    status, value = _post_dpop(
        client,
        endpoints.credential_endpoint,
        dpop_key,
        now(),
        access_token=access_token,
        json=body,
        headers={"Authorization": f"{scheme} {access_token}"},
    )
    issued = value.get("credentials") if isinstance(value, Mapping) else None
    if status != 200 or not isinstance(issued, list) or not issued:
        raise _error(status, value, "credential request")
    tokens = []
    for item in issued:
        token = item.get("credential") if isinstance(item, Mapping) else None
        if not isinstance(token, str):
            raise NetworkError("the issuer sent a credential that is not a compact token")
        tokens.append(token)
    return tokens
