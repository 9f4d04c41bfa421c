"""Locales TrustID speaks and how it picks one: English and Simplified Chinese.

Pure: the caller passes the ``Accept-Language`` header or the environment it read.

* :func:`negotiate` reads an HTTP ``Accept-Language`` value (RFC 9110 §12.5.4, language
  ranges by quality, RFC 4647 "lookup"); :func:`locale_from_environment` reads the POSIX
  variables in gettext's order (``LANGUAGE``, then ``LC_ALL``, ``LC_MESSAGES``, ``LANG``).
  ``zh``, ``zh-CN``, ``zh-SG``, ``zh-Hans``, ``zh_CN.UTF-8`` are Simplified Chinese. A
  Traditional Chinese tag (``zh-Hant``, ``zh-TW``, ``zh-HK``, ``zh-MO``) is not: the
  script differs, so it falls through to the next preference (RFC 4647 §3.4), then English.
* :func:`pick_display` chooses one entry of a ``display`` array: SD-JWT VC Type Metadata
  (draft-ietf-oauth-sd-jwt-vc §6 "Display metadata", member ``lang``; newer drafts say
  ``locale``) and OpenID4VCI 1.0 (§12.2.4, member ``locale``) are both read.
* :func:`type_display_name` / :func:`claim_label` read a Type Metadata document.
* :func:`display_labels`: every name and label of a Type Metadata document in the locales
  TrustID speaks, for a report a page renders in its own language.
* :func:`format_person_name`: a name in the order its script and the reader's locale expect.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

__all__ = [
    "DEFAULT_LOCALE",
    "Locale",
    "claim_label",
    "display_labels",
    "format_person_name",
    "locale_from_environment",
    "locale_from_tag",
    "negotiate",
    "pick_display",
    "type_display_name",
]


class Locale(StrEnum):
    """A locale TrustID has texts for, as its BCP 47 tag."""

    EN = "en"
    ZH_HANS = "zh-Hans"


DEFAULT_LOCALE = Locale.EN

_TRADITIONAL = frozenset({"hant", "tw", "hk", "mo"})
_POSIX_NEUTRAL = frozenset({"c", "posix"})
_MAX_HEADER = 1024
_MAX_RANGES = 32
_QVALUE = re.compile(r"^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$", re.IGNORECASE)


def locale_from_tag(tag: str) -> Locale | None:
    """The locale of one language tag or POSIX locale name, or ``None`` if TrustID has none.

    ``zh_CN.UTF-8``, ``zh_CN.GB18030@pinyin``, ``zh-Hans-CN``, ``ZH-cn`` are read alike:
    the POSIX codeset and modifier are dropped, ``_`` is ``-``, case is ignored.
    """
    text = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-").lower()
    subtags = [s for s in text.split("-") if s]
    if not subtags:
        return None
    language = subtags[0]
    if language == "en":
        return Locale.EN
    if language == "zh":
        if any(s in _TRADITIONAL for s in subtags[1:]) and "hans" not in subtags[1:]:
            return None
        return Locale.ZH_HANS
    return None


def negotiate(accept_language: str | None, default: Locale = DEFAULT_LOCALE) -> Locale:
    """The best locale for an ``Accept-Language`` header value (``default`` if none fits).

    Ranges are taken by descending quality (stable for equal ones); ``q=0`` excludes; ``*``
    accepts the default. A malformed range is skipped, not an error: the header is a hint.
    """
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language[:_MAX_HEADER].split(",")[:_MAX_RANGES]):
        tag, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            match = _QVALUE.match(param)
            if match:
                quality = float(match.group(1))
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        if tag == "*":
            return default
        found = locale_from_tag(tag)
        if found is not None:
            return found
    return default


def locale_from_environment(environ: Mapping[str, str], default: Locale = DEFAULT_LOCALE) -> Locale:
    """The locale the POSIX environment asks for, in gettext's order.

    ``LANGUAGE`` (a ``:`` list of preferences) counts only when a locale is set at all
    (as gettext does, it is ignored under ``C``/``POSIX``); then the first of ``LC_ALL``,
    ``LC_MESSAGES``, ``LANG`` that is set decides, ``C`` and ``POSIX`` meaning the default.
    """
    chosen = next(
        (environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), ""
    )
    if not chosen or chosen.split(".", 1)[0].lower() in _POSIX_NEUTRAL:
        return default
    for tag in environ.get("LANGUAGE", "").split(":"):
        found = locale_from_tag(tag) if tag else None
        if found is not None:
            return found
    return locale_from_tag(chosen) or default


def _entry_locale(entry: Mapping[str, Any]) -> str | None:
    value = entry.get("locale", entry.get("lang"))
    return value if isinstance(value, str) else None


def pick_display(entries: object, locale: Locale, *, key: str = "name") -> Mapping[str, Any] | None:
    """The ``display`` entry to show in ``locale``, among those whose ``key`` is a string.

    Preference: an entry whose tag maps to ``locale``; then English; then an entry without
    a tag; then the first. ``None`` when ``entries`` is not a list or holds no usable entry.
    """
    if not isinstance(entries, list):
        return None
    usable = [e for e in entries if isinstance(e, Mapping) and isinstance(e.get(key), str)]
    if not usable:
        return None
    tagged = [(e, _entry_locale(e)) for e in usable]
    for wanted in (locale, Locale.EN):
        for entry, tag in tagged:
            if tag is not None and locale_from_tag(tag) is wanted:
                return entry
    return next((e for e, tag in tagged if tag is None), usable[0])


def _text(entry: Mapping[str, Any] | None, key: str) -> str | None:
    value = None if entry is None else entry.get(key)
    return value if isinstance(value, str) and value.strip() else None


def type_display_name(type_metadata: object, locale: Locale) -> str | None:
    """The credential type's name in ``locale`` from its Type Metadata (``display[].name``)."""
    if not isinstance(type_metadata, Mapping):
        return None
    return _text(pick_display(type_metadata.get("display"), locale), "name")


def claim_label(type_metadata: object, path: Sequence[str], locale: Locale) -> str | None:
    """A claim's label in ``locale`` from Type Metadata (``claims[].display[].label``).

    ``path`` is the claim path (``["address", "locality"]``); OpenID4VCI's ``name`` member
    is read when an entry has no ``label``.
    """
    if not isinstance(type_metadata, Mapping):
        return None
    claims = type_metadata.get("claims")
    for claim in claims if isinstance(claims, list) else []:
        if not isinstance(claim, Mapping) or claim.get("path") != list(path):
            continue
        display = claim.get("display")
        entry = pick_display(display, locale, key="label") or pick_display(display, locale)
        return _text(entry, "label") or _text(entry, "name")
    return None


_MAX_LABEL = 200
_MAX_CLAIMS = 256


def _labels(entries: object, key: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        tag = _entry_locale(entry)
        locale = locale_from_tag(tag) if tag is not None else None
        text = _text(entry, key)
        if locale is not None and text is not None:
            out.setdefault(locale.value, text[:_MAX_LABEL])
    return out


def display_labels(type_metadata: object) -> dict[str, Any]:
    """``{"name": {locale: name}, "claims": {"address.locality": {locale: label}}}``.

    Only entries really in a locale count (no fallback here: the reader of the report
    falls back itself); labels are cut at 200 characters and at most 256 claims are kept,
    as the document came from the issuer.
    """
    if not isinstance(type_metadata, Mapping):
        return {"name": {}, "claims": {}}
    claims: dict[str, dict[str, str]] = {}
    raw = type_metadata.get("claims")
    for claim in (raw if isinstance(raw, list) else [])[:_MAX_CLAIMS]:
        if not isinstance(claim, Mapping):
            continue
        path = claim.get("path")
        if not isinstance(path, list) or not all(isinstance(p, str) for p in path) or not path:
            continue
        display = claim.get("display")
        labels = _labels(display, "label") or _labels(display, "name")
        if labels:
            claims[".".join(path)] = labels
    return {"name": _labels(type_metadata.get("display"), "name"), "claims": claims}


def _is_han(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all("CJK" in unicodedata.name(c, "") for c in letters)


def format_person_name(given: str | None, family: str | None, locale: Locale) -> str | None:
    """A person's name as the reader expects it; ``None`` when neither part is given.

    A name written in Han characters is family name first with no space (张伟) in every
    locale: that is how the name is written. Otherwise Simplified Chinese puts the family
    name first (Zhang Wei) and English the given name first (Wei Zhang).
    """
    parts = [p.strip() for p in (given, family) if p and p.strip()]
    if not parts:
        return None
    given_text = given.strip() if given else ""
    family_text = family.strip() if family else ""
    if not given_text or not family_text:
        return given_text or family_text
    if _is_han(given_text) and _is_han(family_text):
        return family_text + given_text
    if locale is Locale.ZH_HANS:
        return f"{family_text} {given_text}"
    return f"{given_text} {family_text}"
