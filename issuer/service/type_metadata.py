"""SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc §6) for the issuer's credential types.

Served at ``GET /types/{TypeName}`` (the ``vct`` of the SD-JWT VCs it issues): the type's
display name and description, and one claim metadata entry per claim of its schema
(nested object members too, and the derived ``age_over_<N>`` booleans) with ``sd`` from
the type file's ``x-trustid-disclosure`` (``always``, ``allowed`` for ``selective``,
``never``). The document is built from the type file only: it holds no claim value.

``vct#integrity`` in each credential is the W3C SRI ``sha256-<base64>`` of the exact bytes
served, so a holder or verifier can tell a changed document.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from issuer.credential_types import CredentialType
from vcore.formats import DisclosureMode
from vcore.jsontext import dumps_compact

__all__ = ["derived_claims", "integrity_of", "type_metadata", "type_metadata_bytes"]

_SD = {
    DisclosureMode.ALWAYS: "always",
    DisclosureMode.SELECTIVE: "allowed",
    DisclosureMode.NEVER: "never",
}
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _label(name: str) -> str:
    if name.startswith("age_over_"):
        return f"Over {name.removeprefix('age_over_')}"
    words = _WORD.sub(" ", name).replace("_", " ").split()
    return " ".join([words[0].capitalize(), *(w.lower() for w in words[1:])]) if words else name


def _claim(path: list[str], mode: DisclosureMode, schema: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": path,
        "display": [{"lang": "en", "label": _label(path[-1])}],
        "sd": _SD[mode],
    }
    description = schema.get("description")
    if isinstance(description, str):
        entry["display"][0]["description"] = description
    return entry


def type_metadata(ctype: CredentialType, vct: str) -> dict[str, Any]:
    """The Type Metadata document of ``ctype`` published under ``vct``."""
    properties = ctype.schema.get("properties", {})
    claims: list[dict[str, Any]] = []
    for name, schema in properties.items():
        mode = ctype.disclosure.mode(name)
        if name == "id" or mode is DisclosureMode.NEVER:
            continue
        claims.append(_claim([name], mode, schema))
        members = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(members, Mapping):
            claims.extend(_claim([name, member], mode, sub) for member, sub in members.items())
    for age in ctype.derived_ages:
        name = f"age_over_{age}"
        claims.append(_claim([name], ctype.disclosure.mode(name), {}))
    description = ctype.schema.get("description")
    display: dict[str, Any] = {"lang": "en", "name": _label(ctype.name)}
    if isinstance(description, str):
        display["description"] = description
    document: dict[str, Any] = {"vct": vct, "name": ctype.name, "display": [display]}
    if isinstance(description, str):
        document["description"] = description
    document["claims"] = claims
    return document


def type_metadata_bytes(ctype: CredentialType, vct: str) -> bytes:
    """The served bytes (compact JSON): what ``vct#integrity`` is computed over."""
    return dumps_compact(type_metadata(ctype, vct)).encode("utf-8")


def integrity_of(body: bytes) -> str:
    """W3C Subresource Integrity ``sha256-<base64>`` of ``body``."""
    return "sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def derived_claims(
    subject: Mapping[str, Any], ages: tuple[int, ...], today: date
) -> dict[str, bool]:
    """``age_over_<N>`` for each N, from the subject's ``birthDate`` on ``today``.

    No ``birthDate`` (or one that does not parse): no derived claims.
    """
    raw = subject.get("birthDate")
    if not isinstance(raw, str) or not ages:
        return {}
    try:
        born = date.fromisoformat(raw)
    except ValueError:
        return {}
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return {f"age_over_{n}": age >= n for n in ages}
