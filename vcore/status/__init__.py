"""Credential status: status mechanisms behind one protocol, and their registry.

* :mod:`vcore.status.mechanism`: :class:`StatusMechanism` (the seam), :class:`StatusEntry`,
  :class:`StatusListSnapshot`, :class:`StatusPurpose`.
* :mod:`vcore.status.registry`: ``register`` / ``lookup`` by entry type.
* :mod:`vcore.status.bitstring` and :mod:`vcore.status.bitstring_list`: W3C Bitstring
  Status List v1.0 (``BitstringStatusListEntry``), what TrustID issues.
* :mod:`vcore.status.token_status_list`: IETF Token Status List (``status_list``), for
  SD-JWT VC.

Importing this package registers both mechanisms.
"""

from __future__ import annotations

from vcore.status.bitstring import (
    MIN_BITSTRING_ENTRIES,
    STATUS_PURPOSES,
    BitstringStatusList,
    build_status_entry,
    build_status_list_credential,
    parse_status_entry,
    pick_free_index,
    read_status_list_credential,
)
from vcore.status.bitstring_list import (
    BITSTRING,
    MAX_STATUS_LIST_TOKEN,
    BitstringStatusListMechanism,
    parse_status_list_unverified,
    verify_status_list_token,
)
from vcore.status.mechanism import (
    DecodedLists,
    StatusEntry,
    StatusListSnapshot,
    StatusMechanism,
    StatusPurpose,
    UnverifiedStatusList,
)
from vcore.status.packed import DEFAULT_MAX_INFLATED
from vcore.status.registry import (
    lookup,
    mechanism_for,
    read_list_unverified,
    register,
    registered,
    verify_list,
)
from vcore.status.token_status_list import (
    LIST_TYP,
    TOKEN_STATUS_LIST,
    TokenStatusList,
    TokenStatusListMechanism,
    build_status_list_payload,
)

__all__ = [
    "BITSTRING",
    "DEFAULT_MAX_INFLATED",
    "LIST_TYP",
    "MAX_STATUS_LIST_TOKEN",
    "MIN_BITSTRING_ENTRIES",
    "STATUS_PURPOSES",
    "TOKEN_STATUS_LIST",
    "BitstringStatusList",
    "BitstringStatusListMechanism",
    "DecodedLists",
    "StatusEntry",
    "StatusListSnapshot",
    "StatusMechanism",
    "StatusPurpose",
    "TokenStatusList",
    "TokenStatusListMechanism",
    "UnverifiedStatusList",
    "build_status_entry",
    "build_status_list_credential",
    "build_status_list_payload",
    "lookup",
    "mechanism_for",
    "parse_status_entry",
    "parse_status_list_unverified",
    "pick_free_index",
    "read_list_unverified",
    "read_status_list_credential",
    "register",
    "registered",
    "verify_list",
    "verify_status_list_token",
]
