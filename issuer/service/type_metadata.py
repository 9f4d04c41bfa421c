"""SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc §6) for the issuer's credential types.

Served at ``GET /types/{TypeName}`` (the ``vct`` of the SD-JWT VCs it issues): the type's
display name and description, and one claim metadata entry per claim of its schema
(nested object members too, and the derived ``age_over_<N>`` booleans) with ``sd`` from
the type file's ``x-trustid-disclosure`` (``always``, ``allowed`` for ``selective``,
``never``). Names and labels in each locale of the type file's ``x-trustid-display``
(English first; derived from the identifiers where the file gives none). The document is built from the type file only: it holds no claim value.

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


def _locales(ctype: CredentialType) -> dict[str, Mapping[str, Any]]:
    """The type file's ``x-trustid-display`` entries by locale (``en``, ``zh-Hans``, ...)."""
    raw = ctype.schema.get("x-trustid-display")
    if not isinstance(raw, Mapping):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, Mapping)}


def _claim_labels(locales: Mapping[str, Mapping[str, Any]], dotted: str) -> dict[str, str]:
    labels = {}
    for locale, entry in locales.items():
        claims = entry.get("claims")
        label = claims.get(dotted) if isinstance(claims, Mapping) else None
        if isinstance(label, str):
            labels[locale] = label
    return labels


def _claim(
    path: list[str],
    mode: DisclosureMode,
    schema: Mapping[str, Any],
    locales: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    labels = _claim_labels(locales, ".".join(path))
    entry: dict[str, Any] = {
        "path": path,
        "display": [{"lang": "en", "label": labels.pop("en", None) or _label(path[-1])}],
        "sd": _SD[mode],
    }
    description = schema.get("description")
    if isinstance(description, str):
        entry["display"][0]["description"] = description
    entry["display"].extend({"lang": locale, "label": label} for locale, label in labels.items())
    return entry


def type_metadata(ctype: CredentialType, vct: str) -> dict[str, Any]:
    """The Type Metadata document of ``ctype`` published under ``vct``."""
    properties = ctype.schema.get("properties", {})
    locales = _locales(ctype)
    claims: list[dict[str, Any]] = []
    for name, schema in properties.items():
        mode = ctype.disclosure.mode(name)
        if name == "id" or mode is DisclosureMode.NEVER:
            continue
        claims.append(_claim([name], mode, schema, locales))
        members = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(members, Mapping):
            claims.extend(
                _claim([name, member], mode, sub, locales) for member, sub in members.items()
            )
    for age in ctype.derived_ages:
        name = f"age_over_{age}"
        claims.append(_claim([name], ctype.disclosure.mode(name), {}, locales))
    description = ctype.schema.get("description")
    english = locales.get("en", {}).get("name")
    display: dict[str, Any] = {
        "lang": "en",
        "name": english if isinstance(english, str) else _label(ctype.name),
    }
    if isinstance(description, str):
        display["description"] = description
    displays = [display] + [
        {"lang": locale, "name": entry["name"]}
        for locale, entry in locales.items()
        if locale != "en" and isinstance(entry.get("name"), str)
    ]
    document: dict[str, Any] = {"vct": vct, "name": ctype.name, "display": displays}
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
