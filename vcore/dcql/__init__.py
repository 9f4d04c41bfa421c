"""DCQL, the Digital Credentials Query Language of OpenID4VP 1.0 (§6, §7), pure.

* :mod:`vcore.dcql.query`: the model and :func:`parse_dcql_query` (every rule of §6);
* :mod:`vcore.dcql.pointer`: claims path pointers (§7);
* :mod:`vcore.dcql.profiles`: per-format meaning (``dc+sd-jwt``, ``jwt_vc_json``);
* :mod:`vcore.dcql.matching`: the wallet's :func:`select_credentials` and the verifier's
  :func:`check_presented`;
* :mod:`vcore.dcql.presets`: the counter's named queries.
"""

from __future__ import annotations

from vcore.dcql.matching import (
    CredentialMatch,
    check_presented,
    match_credential,
    missing_claims,
    requested_claims,
    select_credentials,
)
from vcore.dcql.pointer import select_claims
from vcore.dcql.presets import Preset, preset_query
from vcore.dcql.profiles import DcqlFormatProfile, profile_for, register_profile, supported_formats
from vcore.dcql.query import (
    ClaimsQuery,
    ClaimValue,
    CredentialQuery,
    CredentialSetQuery,
    DcqlQuery,
    PathElement,
    parse_dcql_query,
)

__all__ = [
    "ClaimValue",
    "ClaimsQuery",
    "CredentialMatch",
    "CredentialQuery",
    "CredentialSetQuery",
    "DcqlFormatProfile",
    "DcqlQuery",
    "PathElement",
    "Preset",
    "check_presented",
    "match_credential",
    "missing_claims",
    "parse_dcql_query",
    "preset_query",
    "profile_for",
    "register_profile",
    "requested_claims",
    "select_claims",
    "select_credentials",
    "supported_formats",
]
