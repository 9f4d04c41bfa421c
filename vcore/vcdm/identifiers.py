"""Identifiers (VCDM 2.0 §4.4): what a URL is, and the small helpers every rule shares."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from vcore.errors import VcdmIdentifierError

__all__ = [
    "MAX_URL_LENGTH",
    "as_list",
    "check_id",
    "is_url",
    "join_path",
]

MAX_URL_LENGTH = 2048
"""No identifier or context URL is longer than this (our bound)."""

# RFC 3986 §3.1 scheme, then a body of URI characters (RFC 3987 ucschar allowed); no
# whitespace, controls, or the characters RFC 3986 excludes. Percent-escapes well formed.
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_URL_BODY_RE = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2}|[^\x00-\x7f])+")


def is_url(value: object) -> bool:
    """Whether ``value`` is a single absolute URL (VCDM 2.0 §4.4, RFC 3986 §4.3).

    Any scheme (``https:``, ``did:``, ``urn:`` ...); ``http(s)`` needs an authority.
    """
    if not isinstance(value, str) or not 0 < len(value) <= MAX_URL_LENGTH:
        return False
    scheme, sep, rest = value.partition(":")
    if not sep or not rest or not _SCHEME_RE.fullmatch(scheme):
        return False
    if not _URL_BODY_RE.fullmatch(rest):
        return False
    if scheme.lower() in {"http", "https"}:
        return rest.startswith("//") and len(rest) > 2 and rest[2] not in "/?#"
    return True


def as_list(value: object) -> list[Any]:
    """A JSON-LD set as a list: ``value`` itself if it is a list, else ``[value]``."""
    return value if isinstance(value, list) else [value]


def join_path(path: str, name: str) -> str:
    """The dotted path of member ``name`` under ``path``, for error messages."""
    return f"{path}.{name}" if path else name


def check_id(node: Mapping[str, Any], path: str, *, required: bool = False) -> None:
    """§4.4: if present, ``id`` is a single URL."""
    if "id" not in node:
        if required:
            raise VcdmIdentifierError(f"{join_path(path, 'id')} is required (§4.4)")
        return
    if not is_url(node["id"]):
        raise VcdmIdentifierError(f"{join_path(path, 'id')} must be a single URL (§4.4)")
