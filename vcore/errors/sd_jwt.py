"""Errors of SD-JWT (RFC 9901) and its key binding; tree in :mod:`vcore.errors`."""

from __future__ import annotations

from vcore.errors.base import MalformedError
from vcore.errors.presentation import PresentationError

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


class SdJwtError(MalformedError):
    """An SD-JWT that breaks RFC 9901 (serialisation, ``_sd`` shape)."""

    code = "sd_jwt_invalid"
    title = "The SD-JWT is malformed"


class DisclosureInvalidError(SdJwtError):
    """A Disclosure that is not ``[salt, name, value]`` / ``[salt, value]`` (RFC 9901 §4.2)."""

    code = "sd_jwt_disclosure_invalid"
    title = "A disclosure is malformed"


class DisclosureUnreferencedError(SdJwtError):
    """A Disclosure whose digest the signed payload does not contain (§7.1 step 5)."""

    code = "sd_jwt_disclosure_unreferenced"
    title = "A disclosure is not part of the signed credential"


class DisclosureDuplicateError(SdJwtError):
    """A Disclosure sent twice, or a digest that appears twice in the payload (§7.1)."""

    code = "sd_jwt_disclosure_duplicate"
    title = "A disclosure or digest appears more than once"


class SdAlgUnsupportedError(SdJwtError):
    """An ``_sd_alg`` this implementation does not accept (§4.1.1)."""

    code = "sd_alg_unsupported"
    title = "The disclosure hash algorithm is not supported"


class KeyBindingError(PresentationError):
    """A Key Binding JWT that is malformed or does not bind this presentation (§4.3)."""

    code = "kb_jwt_invalid"
    title = "The key binding is invalid"


class KeyBindingRequiredError(KeyBindingError):
    """Key binding is required (by the request or the configuration) and absent."""

    code = "kb_jwt_required"
    title = "Key binding is required"


class KeyBindingSignatureError(KeyBindingError):
    """The KB-JWT is not signed by the key in the credential's ``cnf`` (§7.3 step 5)."""

    code = "kb_jwt_bad_signature"
    title = "The key binding is not signed by the holder's key"


class KeyBindingTimeError(KeyBindingError):
    """The KB-JWT ``iat`` is outside the accepted window (§7.3 step 5)."""

    code = "kb_jwt_stale"
    title = "The key binding was not made just now"


class SdHashMismatchError(KeyBindingError):
    """The KB-JWT ``sd_hash`` is not the hash of this SD-JWT (§4.3.1)."""

    code = "sd_hash_mismatch"
    title = "The key binding was made for another presentation"
