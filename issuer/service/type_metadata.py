"""SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc §6) for the issuer's credential types.

Served at ``GET /types/{TypeName}`` (the ``vct`` of the SD-JWT VCs it issues): the type's
display name and description, and one claim metadata entry per claim of its schema
(nested object members too, and the derived ``age_over_<N>`` booleans) with ``sd`` from
the type file's ``x-trustid-disclosure`` (``always``, ``allowed`` for ``selective``,
``never``). The document is built from the type file only: it holds no claim value.

Names and labels come from the type file's ``x-trustid-display`` (``{"en": {"name",
"description"?, "claims": {"address.locality": "..."}}, "zh-Hans": {...}}``), one
``display`` entry per locale, tagged ``locale`` (the member's name since draft -12;
``lang`` before). The same entries feed the OpenID4VCI metadata
(:func:`localised_displays`), so a wallet sees one name whichever document it reads. A
type file without them gets English derived from its identifiers.

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
from vcore.oid4vci import LocalisedDisplay

__all__ = [
    "derived_claims",
    "integrity_of",
    "localised_displays",
    "type_metadata",
    "type_metadata_bytes",
]

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


def localised_displays(ctype: CredentialType) -> tuple[LocalisedDisplay, ...]:
    """The type's name, description and claim labels per locale, from ``x-trustid-display``.

    English first (derived from the identifiers when the file has none), then the others
    in file order.
    """
    raw = ctype.schema.get("x-trustid-display")
    displays: list[LocalisedDisplay] = []
    for locale, entry in raw.items() if isinstance(raw, Mapping) else ():
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            continue
        claims = entry.get("claims")
        labels = (
            {k: v for k, v in claims.items() if isinstance(v, str)}
            if isinstance(claims, Mapping)
            else {}
        )
        description = entry.get("description")
        displays.append(
            LocalisedDisplay(
                str(locale),
                entry["name"],
                description if isinstance(description, str) else None,
                labels,
            )
        )
    if not any(d.locale == "en" for d in displays):
        displays.insert(0, LocalisedDisplay("en", _label(ctype.name.removesuffix("Credential"))))
    displays.sort(key=lambda d: d.locale != "en")
    return tuple(displays)


def _claim(
    path: list[str],
    mode: DisclosureMode,
    schema: Mapping[str, Any],
    displays: tuple[LocalisedDisplay, ...],
) -> dict[str, Any]:
    dotted = ".".join(path)
    entries: list[dict[str, Any]] = []
    for display in displays:
        label = display.claim_labels.get(dotted)
        if label is None and display.locale == "en":
            label = _label(path[-1])
        if label is None:
            continue
        entry: dict[str, Any] = {"locale": display.locale, "label": label}
        description = schema.get("description")
        # The schema's descriptions are English: they go with the English label only.
        if display.locale == "en" and isinstance(description, str):
            entry["description"] = description
        entries.append(entry)
    return {"path": path, "display": entries, "sd": _SD[mode]}


def type_metadata(ctype: CredentialType, vct: str) -> dict[str, Any]:
    """The Type Metadata document of ``ctype`` published under ``vct``."""
    displays = localised_displays(ctype)
    properties = ctype.schema.get("properties", {})
    claims: list[dict[str, Any]] = []
    for name, schema in properties.items():
        mode = ctype.disclosure.mode(name)
        if name == "id" or mode is DisclosureMode.NEVER:
            continue
        claims.append(_claim([name], mode, schema, displays))
        members = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(members, Mapping):
            claims.extend(
                _claim([name, member], mode, sub, displays) for member, sub in members.items()
            )
    for age in ctype.derived_ages:
        name = f"age_over_{age}"
        claims.append(_claim([name], ctype.disclosure.mode(name), {}, displays))
    description = ctype.schema.get("description")
    display: list[dict[str, Any]] = []
    for entry in displays:
        item: dict[str, Any] = {"locale": entry.locale, "name": entry.name}
        text = entry.description or (description if entry.locale == "en" else None)
        if isinstance(text, str):
            item["description"] = text
        display.append(item)
    document: dict[str, Any] = {"vct": vct, "name": ctype.name, "display": display}
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
