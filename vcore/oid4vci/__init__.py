"""OpenID for Verifiable Credential Issuance 1.0 (pre-authorized code flow) and DPoP.

Pure protocol logic for both sides: metadata and offers (:mod:`.metadata`,
:mod:`.offers`), DPoP proofs (RFC 9449, :mod:`.dpop`) and key proofs (:mod:`.key_proofs`).
The issuer's endpoints live in ``issuer/api/oid4vci.py``; the wallet's client in
``wallet_cli/issuance.py``.
"""

from vcore.oid4vci.dpop import (
    DPOP_MAX_AGE,
    DpopProof,
    access_token_hash,
    check_dpop_proof,
    create_dpop_proof,
    normalise_htu,
)
from vcore.oid4vci.jwt_proofs import PROOF_ALGS
from vcore.oid4vci.key_proofs import KeyProof, check_key_proof, create_key_proof
from vcore.oid4vci.metadata import (
    AS_METADATA_PATH,
    ISSUER_METADATA_JWT_TYP,
    ISSUER_METADATA_PATH,
    PROFILES,
    ConfigurationProfile,
    CredentialTypeDescription,
    IssuerEndpoints,
    LocalisedDisplay,
    build_authorization_server_metadata,
    build_issuer_metadata,
    configuration_id,
    parse_issuer_endpoints,
    well_known_url,
)
from vcore.oid4vci.offers import (
    OFFER_SCHEME,
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    OfferReference,
    TxCodeSpec,
    build_credential_offer,
    check_tx_code,
    new_tx_code,
    offer_link,
    parse_credential_offer,
    parse_offer_link,
    secret_digest,
    tx_code_digest,
)

__all__ = [
    "AS_METADATA_PATH",
    "DPOP_MAX_AGE",
    "ISSUER_METADATA_JWT_TYP",
    "ISSUER_METADATA_PATH",
    "OFFER_SCHEME",
    "PRE_AUTHORIZED_GRANT",
    "PROFILES",
    "PROOF_ALGS",
    "ConfigurationProfile",
    "CredentialOffer",
    "CredentialTypeDescription",
    "DpopProof",
    "IssuerEndpoints",
    "KeyProof",
    "LocalisedDisplay",
    "OfferReference",
    "TxCodeSpec",
    "access_token_hash",
    "build_authorization_server_metadata",
    "build_credential_offer",
    "build_issuer_metadata",
    "check_dpop_proof",
    "check_key_proof",
    "check_tx_code",
    "configuration_id",
    "create_dpop_proof",
    "create_key_proof",
    "new_tx_code",
    "normalise_htu",
    "offer_link",
    "parse_credential_offer",
    "parse_issuer_endpoints",
    "parse_offer_link",
    "secret_digest",
    "tx_code_digest",
    "well_known_url",
]
