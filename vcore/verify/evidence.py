"""What the app fetches for the pipeline (keys, status lists, schemas) and how it is asked.

The pipeline is pure: an app resolves what a plan asks for with its own I/O and hands
the results back as :class:`Material`. The resolver types are the callables the
synchronous helpers (:func:`vcore.verify.verify_credential_token`) take.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vcore.errors import TrustIDError
from vcore.keys import PublicKey
from vcore.status.mechanism import StatusListSnapshot
from vcore.status.packed import PackedStatuses

__all__ = ["KeyResolver", "Material", "SchemaResolver", "StatusResolver"]

KeyResolver = Callable[[str], PublicKey]
"""Key id (a DID URL of a trust-listed issuer) -> key; raises a :class:`TrustIDError`."""
StatusResolver = Callable[[str], StatusListSnapshot]
"""Status list URL -> verified snapshot; raises a :class:`TrustIDError`."""
SchemaResolver = Callable[[str, str], Mapping[str, Any] | None]
"""``(credential type, schema URL)`` -> JSON Schema, or None when it is not known."""


@dataclass
class Material:
    """What the app fetched for one or many plans (keys, status lists, schemas).

    Each value is the fetched thing or the :class:`TrustIDError` that explains why it
    could not be had. A missing ``status_lists``/``keys`` entry counts as unavailable;
    a missing schema counts as unknown (the schema check is skipped).
    """

    keys: dict[str, PublicKey | TrustIDError] = field(default_factory=dict)
    status_lists: dict[str, StatusListSnapshot | TrustIDError] = field(default_factory=dict)
    schemas: dict[str, Mapping[str, Any] | TrustIDError | None] = field(default_factory=dict)
    # The SRI tokens (vcore.integrity.integrity_of) of each fetched schema's bytes, for the
    # documents a credential pins by digest (SD-JWT VC vct#integrity).
    integrity: dict[str, frozenset[str]] = field(default_factory=dict)
    # Signature outcomes by token (None = verified), from :func:`verify_signatures`.
    signatures: dict[str, TrustIDError | None] = field(default_factory=dict, repr=False)
    # Decoded lists, shared by every credential decided with this material (a batch of a
    # thousand credentials inflates each list once, not a thousand times).
    decoded_lists: dict[tuple[str, str, int], PackedStatuses] = field(
        default_factory=dict, repr=False
    )
