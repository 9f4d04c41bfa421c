"""The format seams: what the verification pipeline asks of a securing mechanism.

The pipeline (:mod:`vcore.verify`) knows no format. It asks the registry
(:mod:`vcore.formats.registry`) which format a value is, then talks to that format only
through :class:`CredentialFormat` or :class:`PresentationFormat`:

1. ``parse_unverified``: the secured form -> :class:`~vcore.formats.secured.SecuredCredential`
   (normalised VC 2.0 document, issuer, key id, raw form). Offline; nothing is trusted.
2. ``issuer_key_id``: the *issuer binding*: which key must have signed this (its id is a
   DID URL of the issuer itself, so only trust-listed issuers' keys are ever fetched).
3. ``verify_signature`` with the key the app resolved for that id.
4. ``check_times``: the securing layer's own times (JWT ``exp``/``nbf``), beside the
   document's ``validFrom``/``validUntil`` which the pipeline checks itself.
5. ``check_holder_binding`` in a presentation: the credential belongs to the presenter
   (subject id, or a ``cnf`` key for SD-JWT).

To add a credential format: implement :class:`CredentialFormat` in
``vcore/formats/<name>.py`` (or your own package, as ``vcore/data_integrity/`` does), and
call :func:`vcore.formats.registry.register_credential_format` once at import; make sure
the module is imported by :mod:`vcore.formats` (or by the app before verifying).
Compare format strings only inside that module. Errors are
:class:`~vcore.errors.TrustIDError` subclasses with stable codes; ``parse_unverified``
raises :class:`~vcore.errors.MalformedError` (or a subclass) for anything it cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from vcore.formats.secured import Recognition, SecuredCredential, SecuredPresentation
from vcore.keys import PublicKey
from vcore.signing import Signer

__all__ = ["CredentialFormat", "HolderKeyResolver", "PresentationFormat"]

HolderKeyResolver = Callable[[str], PublicKey]
"""A holder's key id (DID URL) -> key; offline DIDs (did:key, did:jwk) by default."""


class CredentialFormat(Protocol):
    """One way of securing a credential, registered under :attr:`key`.

    Attributes:
        key: The registry key, also ``options.format`` on issue (``vc+jwt``,
            ``jwt_vc_json``, ``ldp_vc``, ``dc+sd-jwt``...; DESIGN §6).
        media_types: Media types this format is enveloped as in a ``data:`` URL
            (``application/vc+jwt``...); empty for a format that is never enveloped
            (Data Integrity secures the JSON document itself).
    """

    @property
    def key(self) -> str:
        """The registry key."""
        ...

    @property
    def media_types(self) -> tuple[str, ...]:
        """Envelope media types, lower case, without parameters."""
        ...

    def recognise(self, value: object) -> Recognition:
        """How sure this format is that a bare ``value`` is its own; never raises."""
        ...

    def parse_unverified(self, value: object) -> SecuredCredential:
        """Parse the secured form (a bare token, an envelope body, a document).

        The view must be safe for the pipeline: ``type`` a list of strings,
        ``credentialSubject`` an object or a non-empty list of objects, each
        ``credentialStatus`` / ``credentialSchema`` entry an object.

        Raises:
            MalformedError: not a credential of this format (say why).
        """
        ...

    def issuer_key_id(self, credential: SecuredCredential) -> str:
        """The id of the key that must have signed it, after the issuer binding check.

        Raises:
            IssuerMismatchError: the securing layer names another issuer than the document.
            UnknownKeyError: no usable key id (not a DID URL of the issuer).
        """
        ...

    def verify_signature(self, credential: SecuredCredential, key: PublicKey) -> None:
        """Check the signature with the resolved key (its pinned algorithm only).

        Raises:
            AlgorithmNotAllowedError, BadSignatureError, MalformedError.
        """
        ...

    def check_times(self, credential: SecuredCredential, now: datetime) -> None:
        """The securing layer's own validity times (60 s leeway).

        Raises:
            ExpiredError, NotYetValidError, MalformedError.
        """
        ...

    def check_holder_binding(self, credential: SecuredCredential, holder: str) -> None:
        """Require the credential to be bound to ``holder`` (the presenter's id).

        Raises:
            HolderBindingError: bound to someone else, or to no one.
        """
        ...

    def sign(self, credential: Mapping[str, Any], signer: Signer) -> str:
        """Secure a VC 2.0 document built by :func:`vcore.credentials.build_credential`.

        ``signer`` holds the key (:mod:`vcore.signing`: in process, sealed, or an HSM) and
        gives the ``alg`` and ``kid``.

        Raises:
            MalformedError: the document cannot be expressed in this format.
            FormatNotSupportedError: a verify-only format.
        """
        ...


class PresentationFormat(Protocol):
    """One way of securing a presentation, registered under :attr:`key`.

    Attributes:
        key: ``vp+jwt`` (VC-JOSE-COSE), ``jwt_vp_json`` (VC-JWT 1.1), ``ldp_vp``...
        media_types: Envelope media types (``application/vp+jwt``).
    """

    @property
    def key(self) -> str:
        """The registry key."""
        ...

    @property
    def media_types(self) -> tuple[str, ...]:
        """Envelope media types, lower case, without parameters."""
        ...

    def recognise(self, value: object) -> Recognition:
        """How sure this format is that a bare ``value`` is its own; never raises."""
        ...

    def parse_unverified(self, value: object) -> SecuredPresentation:
        """Parse the secured presentation, and check each credential inside is readable.

        Raises:
            MalformedError: not a presentation of this format.
        """
        ...

    def verify(
        self,
        presentation: SecuredPresentation,
        *,
        nonce: str,
        audience: str,
        now: datetime,
        key_for: HolderKeyResolver,
        require_issued_at: bool = True,
    ) -> dict[str, Any]:
        """Check the holder's signature, the challenge, the audience and freshness.

        ``key_for`` resolves the holder's key id; the key must belong to the holder.
        An issuance time (JWT ``iat``, Data Integrity ``created``) is always held to the
        replay window when present. ``require_issued_at`` says whether one must be
        present where the format makes it optional: True when the verifier issued the
        challenge (single use, its own replay window), False when the caller owns it.

        Returns:
            The verified payload.

        Raises:
            MalformedError, AlgorithmNotAllowedError, BadSignatureError: token problems.
            HolderBindingError: not signed by the holder's own key.
            NonceMismatchError, AudienceMismatchError: replay protections failed.
            ExpiredError, NotYetValidError: made outside the accepted window.
        """
        ...
