"""Types (VCDM 2.0 §4.5): ``type`` values, and the typed objects a credential may hold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vcore.errors import VcdmTypeError
from vcore.vcdm.contexts import TERM_RE, ActiveContext
from vcore.vcdm.identifiers import as_list, is_url

__all__ = [
    "check_type_value",
    "check_typed_objects",
]


def check_type_value(
    value: object,
    where: str,
    active: ActiveContext,
    error: type[VcdmTypeError] | type[Exception] = VcdmTypeError,
) -> list[str]:
    """§4.5: one or more terms and/or absolute URL strings, each mapping to an IRI."""
    items = as_list(value)
    if not items or not all(isinstance(t, str) and t for t in items):
        raise error(f"{where} must be one or more terms or absolute URLs (§4.5)")
    for item in items:
        if ":" in item:
            prefix = item.split(":", 1)[0]
            if not (is_url(item) or active.defines(prefix)):
                raise error(f"{where}: {item[:80]!r} is not an absolute URL (§4.5)")
        elif not TERM_RE.fullmatch(item):
            raise error(f"{where}: {item[:80]!r} is not a term (§4.5)")
        elif not active.defines(item) and active.vocab is None and active.vocab_known:
            raise error(
                f"{where}: the term {item!r} is not defined by any @context (§4.5: types "
                "must map to URLs)"
            )
    return items


def check_typed_objects(
    document: Mapping[str, Any],
    name: str,
    active: ActiveContext,
    error: type[Exception],
    *,
    id_required: bool = False,
) -> None:
    """An object or a non-empty array of objects, each with a ``type`` (§4.5).

    An ``id``, optional unless ``id_required``, is a single URL (§4.4).
    """
    if name not in document:
        return
    entries = as_list(document[name])
    if not entries:
        raise error(f"{name} must be one or more objects")
    for number, entry in enumerate(entries):
        where = name if not isinstance(document[name], list) else f"{name}[{number}]"
        if not isinstance(entry, Mapping):
            raise error(f"{where} must be an object")
        if "type" not in entry:
            raise error(f"{where} must have a type (§4.5)")
        check_type_value(entry["type"], f"{where}.type", active, error)
        if "id" in entry and not is_url(entry["id"]):
            raise error(f"{where}.id must be a single URL (§4.4)")
        if id_required and "id" not in entry:
            raise error(f"{where} must have an id, a URL (§4.11)")
