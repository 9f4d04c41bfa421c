"""SD-JWT error types (RFC 9901), kept in :mod:`vcore.errors` (``vcore/errors/sd_jwt.py``).

Tree (beside the rest of :mod:`vcore.errors`)::

    MalformedError                            malformed
    └── SdJwtError                            sd_jwt_invalid
        ├── DisclosureInvalidError            sd_jwt_disclosure_invalid   §4.2
        ├── DisclosureUnreferencedError       sd_jwt_disclosure_unreferenced  §7.1 step 5
        ├── DisclosureDuplicateError          sd_jwt_disclosure_duplicate §7.1 step 3, 4
        └── SdAlgUnsupportedError             sd_alg_unsupported          §4.1.1
    PresentationError                         presentation_invalid
    └── KeyBindingError                       kb_jwt_invalid              §4.3
        ├── KeyBindingRequiredError           kb_jwt_required             §7.3
        ├── KeyBindingSignatureError          kb_jwt_bad_signature        §7.3 step 5
        ├── KeyBindingTimeError               kb_jwt_stale                §7.3 step 5
        └── SdHashMismatchError               sd_hash_mismatch            §4.3.1

A KB-JWT for another nonce or audience raises :class:`~vcore.errors.NonceMismatchError`
(``nonce_mismatch``) / :class:`~vcore.errors.AudienceMismatchError` (``audience_mismatch``),
as every other presentation does.
"""

from __future__ import annotations

from vcore.errors.sd_jwt import (
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

__all__ = [
    "DisclosureDuplicateError",
    "DisclosureInvalidError",
    "DisclosureUnreferencedError",
    "KeyBindingError",
    "KeyBindingRequiredError",
    "KeyBindingSignatureError",
    "KeyBindingTimeError",
    "SdAlgUnsupportedError",
    "SdHashMismatchError",
    "SdJwtError",
]
