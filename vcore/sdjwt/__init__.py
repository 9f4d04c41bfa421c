"""SD-JWT (RFC 9901): selective disclosure for JWTs, pure and format-neutral.

* :mod:`vcore.sdjwt.disclosures`: Disclosures, digests, decoys, ``_sd_alg`` (``sha-256``).
* :mod:`vcore.sdjwt.serialization`: the compact ``jwt~d1~...~[kb]`` form, ``sd_hash``.
* :mod:`vcore.sdjwt.json_serialization`: the JWS JSON form (§8), read into compact parts.
* :mod:`vcore.sdjwt.issuance`: :class:`Selective` markers -> signed payload + Disclosures.
* :mod:`vcore.sdjwt.processing`: the strict §7.1 rebuild of the claims.
* :mod:`vcore.sdjwt.presentation`: choose Disclosures by claim path, append a KB-JWT.
* :mod:`vcore.sdjwt.key_binding`: KB-JWT create/verify (``nonce``, ``aud``, ``iat``,
  ``sd_hash``), the ``cnf`` key.
* :mod:`vcore.sdjwt.verification`: the whole check.
* :mod:`vcore.sdjwt.errors`: the error types and their codes.

The credential formats built on it (``dc+sd-jwt``, ``vc+sd-jwt``) live in
:mod:`vcore.formats.sd_jwt_vc`.
"""

from __future__ import annotations

from vcore.sdjwt.disclosures import (
    DEFAULT_SD_ALG,
    SD_ALGS,
    Disclosure,
    decoy_digest,
    digest,
    make_disclosure,
    parse_disclosure,
)
from vcore.sdjwt.errors import (
    DisclosureDuplicateError,
    DisclosureInvalidError,
    DisclosureUnreferencedError,
    KeyBindingError,
    KeyBindingRequiredError,
    KeyBindingSignatureError,
    KeyBindingTimeError,
    SdAlgUnsupportedError,
    SdHashMismatchError,
    SdJwtError,
)
from vcore.sdjwt.issuance import (
    DEFAULT_DECOYS,
    NO_DECOYS,
    DecoyPolicy,
    IssuedSdJwt,
    Selective,
    build_sd_payload,
    issue_sd_jwt,
)
from vcore.sdjwt.json_serialization import read_json_sd_jwt
from vcore.sdjwt.key_binding import (
    KB_JWT_TYP,
    KB_MAX_AGE,
    confirmation_key,
    create_kb_jwt,
    verify_kb_jwt,
)
from vcore.sdjwt.presentation import (
    ClaimChoice,
    parse_claim_path,
    present_sd_jwt,
    select_disclosures,
)
from vcore.sdjwt.processing import ClaimPath, DisclosedClaim, ProcessedClaims, process_disclosures
from vcore.sdjwt.serialization import (
    MAX_SD_JWT_SIZE,
    CompactSdJwt,
    join_sd_jwt,
    looks_like_sd_jwt,
    sd_hash,
)
from vcore.sdjwt.verification import (
    UnverifiedSdJwt,
    VerifiedSdJwt,
    read_sd_jwt_unverified,
    verify_sd_jwt,
)

__all__ = [
    "DEFAULT_DECOYS",
    "DEFAULT_SD_ALG",
    "KB_JWT_TYP",
    "KB_MAX_AGE",
    "MAX_SD_JWT_SIZE",
    "NO_DECOYS",
    "SD_ALGS",
    "ClaimChoice",
    "ClaimPath",
    "CompactSdJwt",
    "DecoyPolicy",
    "DisclosedClaim",
    "Disclosure",
    "DisclosureDuplicateError",
    "DisclosureInvalidError",
    "DisclosureUnreferencedError",
    "IssuedSdJwt",
    "KeyBindingError",
    "KeyBindingRequiredError",
    "KeyBindingSignatureError",
    "KeyBindingTimeError",
    "ProcessedClaims",
    "SdAlgUnsupportedError",
    "SdHashMismatchError",
    "SdJwtError",
    "Selective",
    "UnverifiedSdJwt",
    "VerifiedSdJwt",
    "build_sd_payload",
    "confirmation_key",
    "create_kb_jwt",
    "decoy_digest",
    "digest",
    "issue_sd_jwt",
    "join_sd_jwt",
    "looks_like_sd_jwt",
    "make_disclosure",
    "parse_claim_path",
    "parse_disclosure",
    "present_sd_jwt",
    "process_disclosures",
    "read_json_sd_jwt",
    "read_sd_jwt_unverified",
    "sd_hash",
    "select_disclosures",
    "verify_kb_jwt",
    "verify_sd_jwt",
]
