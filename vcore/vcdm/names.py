"""Names and descriptions (VCDM 2.0 §4.6, §11.1): strings or language value objects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from vcore.errors import VcdmLanguageValueError
from vcore.vcdm.identifiers import as_list, join_path

__all__ = [
    "check_language_values",
]

_LANGUAGE_TAG_RE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


def check_language_values(node: Mapping[str, Any], path: str) -> None:
    """§4.6, §11.1: ``name`` / ``description`` are strings or language value objects."""
    for name in ("name", "description"):
        if name not in node:
            continue
        where = join_path(path, name)
        values = as_list(node[name])
        if not values:
            raise VcdmLanguageValueError(f"{where} must not be an empty list (§4.6)")
        for value in values:
            if isinstance(value, str):
                continue
            if not isinstance(value, Mapping) or not isinstance(value.get("@value"), str):
                raise VcdmLanguageValueError(
                    f"{where} must be a string or a language value object (§4.6)"
                )
            extra = sorted(k for k in value if k not in {"@value", "@language", "@direction"})
            if extra:
                raise VcdmLanguageValueError(
                    f"{where}: a language value object holds only @value, @language and "
                    f"@direction, not {extra} (§11.1)"
                )
            language = value.get("@language")
            if language is not None and not (
                isinstance(language, str) and _LANGUAGE_TAG_RE.fullmatch(language)
            ):
                raise VcdmLanguageValueError(f"{where}.@language must be a BCP 47 tag (§11.1)")
            if value.get("@direction", "ltr") not in ("ltr", "rtl"):  # may be any JSON
                raise VcdmLanguageValueError(f"{where}.@direction must be ltr or rtl (§11.1)")
