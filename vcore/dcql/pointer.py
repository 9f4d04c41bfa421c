"""Claims path pointers (OpenID4VP 1.0 §7): select claims from a credential's JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vcore.dcql.query import PathElement

__all__ = ["select_claims"]


def select_claims(root: Mapping[str, Any], path: Sequence[PathElement]) -> list[Any]:
    """The values ``path`` points to in ``root`` (§7.1); empty when it points to nothing.

    A string selects an object member, a non-negative integer an array item, ``null``
    every item of an array. A step that meets the wrong kind of value selects nothing
    (§7.1 says the path then does not match; it is not an error of the query).
    """
    selected: list[Any] = [root]
    for element in path:
        following: list[Any] = []
        for node in selected:
            if isinstance(element, str):
                if isinstance(node, Mapping) and element in node:
                    following.append(node[element])
            elif element is None:
                if isinstance(node, list):
                    following.extend(node)
            elif isinstance(node, list) and element < len(node):
                following.append(node[element])
        selected = following
        if not selected:
            break
    return selected
