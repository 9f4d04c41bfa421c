"""The DCQL query model and its parser (OpenID4VP 1.0 §6).

A query names the credentials wanted (``credentials``: id, ``format``, ``meta``,
``claims``, ``claim_sets``, ``multiple``) and, optionally, which combinations of them
satisfy the request (``credential_sets``). :func:`parse_dcql_query` checks every rule of
§6 it can without knowing a format: ids (``[A-Za-z0-9_-]+``, unique), claims path
pointers (§7: strings, non-negative integers, ``null``), ``values`` (strings, integers,
booleans), ``claim_sets`` only beside ``claims`` and naming their ids, ``credential_sets``
naming credential query ids. The ``meta`` of a format this module knows (see
:mod:`vcore.dcql.profiles`) is checked by that format's profile; the ``meta`` of another
format is kept as given, so a wallet can still read a query asking for ``mso_mdoc``.

Unknown members are refused: a member this parser does not know could carry a
constraint it would silently drop. ``trusted_authorities`` is read but not enforced
(the verifier's trust list decides), and says so in :attr:`CredentialQuery.trusted_authorities`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vcore.errors import DcqlQueryError

__all__ = [
    "ClaimValue",
    "ClaimsQuery",
    "CredentialQuery",
    "CredentialSetQuery",
    "DcqlQuery",
    "PathElement",
    "parse_dcql_query",
]

PathElement = str | int | None
ClaimValue = str | int | bool

_ID = re.compile(r"[A-Za-z0-9_-]+")
_MAX_CREDENTIALS = 50
_MAX_CLAIMS = 100
_MAX_PATH = 16

_QUERY_MEMBERS = frozenset({"credentials", "credential_sets"})
_CREDENTIAL_MEMBERS = frozenset(
    {
        "id",
        "format",
        "multiple",
        "meta",
        "trusted_authorities",
        "require_cryptographic_holder_binding",
        "claims",
        "claim_sets",
    }
)
_CLAIM_MEMBERS = frozenset({"id", "path", "values", "intent_to_retain"})
_SET_MEMBERS = frozenset({"options", "required"})


@dataclass(frozen=True)
class ClaimsQuery:
    """One requested claim (§6.3): where it is (``path``), and the values accepted."""

    path: tuple[PathElement, ...]
    id: str | None = None
    values: tuple[ClaimValue, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        out: dict[str, Any] = {"path": list(self.path)}
        if self.id is not None:
            out["id"] = self.id
        if self.values is not None:
            out["values"] = list(self.values)
        return out

    @property
    def label(self) -> str:
        """The path as dotted text (``address.locality``; ``[]`` for every array item)."""
        return ".".join("[]" if p is None else str(p) for p in self.path)


@dataclass(frozen=True)
class CredentialQuery:
    """One requested credential (§6.1)."""

    id: str
    format: str
    meta: Mapping[str, Any]
    claims: tuple[ClaimsQuery, ...] | None = None
    claim_sets: tuple[tuple[str, ...], ...] | None = None
    multiple: bool = False
    require_cryptographic_holder_binding: bool = True
    trusted_authorities: tuple[Mapping[str, Any], ...] | None = None

    def claim_options(self) -> list[tuple[ClaimsQuery, ...]]:
        """The acceptable sets of claims, in the verifier's order of preference.

        No ``claims``: one option with no claim (only the credential itself is asked
        for). ``claims`` without ``claim_sets``: all of them. Otherwise each claim set.
        """
        if self.claims is None:
            return [()]
        if self.claim_sets is None:
            return [self.claims]
        by_id = {c.id: c for c in self.claims}
        return [tuple(by_id[i] for i in option) for option in self.claim_sets]

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        out: dict[str, Any] = {"id": self.id, "format": self.format, "meta": dict(self.meta)}
        if self.multiple:
            out["multiple"] = True
        if not self.require_cryptographic_holder_binding:
            out["require_cryptographic_holder_binding"] = False
        if self.claims is not None:
            out["claims"] = [c.to_json() for c in self.claims]
        if self.claim_sets is not None:
            out["claim_sets"] = [list(s) for s in self.claim_sets]
        if self.trusted_authorities is not None:
            out["trusted_authorities"] = [dict(t) for t in self.trusted_authorities]
        return out


@dataclass(frozen=True)
class CredentialSetQuery:
    """A constraint on which credential queries together satisfy the request (§6.2)."""

    options: tuple[tuple[str, ...], ...]
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        out: dict[str, Any] = {"options": [list(o) for o in self.options]}
        if not self.required:
            out["required"] = False
        return out


@dataclass(frozen=True)
class DcqlQuery:
    """A parsed DCQL query."""

    credentials: tuple[CredentialQuery, ...]
    credential_sets: tuple[CredentialSetQuery, ...] | None = None

    def credential(self, query_id: str) -> CredentialQuery | None:
        """The credential query with this id, if any."""
        return next((c for c in self.credentials if c.id == query_id), None)

    def required_sets(self) -> list[tuple[tuple[str, ...], ...]]:
        """The options of every required credential set (each must be met by one option).

        Without ``credential_sets`` every credential query is required on its own.
        """
        if self.credential_sets is None:
            return [((c.id,),) for c in self.credentials]
        return [s.options for s in self.credential_sets if s.required]

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        out: dict[str, Any] = {"credentials": [c.to_json() for c in self.credentials]}
        if self.credential_sets is not None:
            out["credential_sets"] = [s.to_json() for s in self.credential_sets]
        return out


def _fail(where: str, message: str) -> DcqlQueryError:
    return DcqlQueryError(f"{where}: {message}")


def _object(value: object, where: str, members: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, "must be an object")
    unknown = sorted(str(k) for k in value if k not in members)
    if unknown:
        raise _fail(where, f"unknown member {unknown[0]!r}")
    return value


def _array(value: object, where: str, *, limit: int = _MAX_CLAIMS) -> Sequence[Any]:
    if not isinstance(value, list) or not value:
        raise _fail(where, "must be a non-empty array")
    if len(value) > limit:
        raise _fail(where, f"has more than {limit} entries")
    return value


def _identifier(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _fail(where, "must be a non-empty string of letters, digits, '_' and '-'")
    return value


def _bool(value: object, where: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _fail(where, "must be a boolean")
    return value


def _path(value: object, where: str) -> tuple[PathElement, ...]:
    items = _array(value, where, limit=_MAX_PATH)
    path: list[PathElement] = []
    for index, item in enumerate(items):
        if (
            item is None
            or isinstance(item, str)
            or (isinstance(item, int) and not isinstance(item, bool) and item >= 0)
        ):
            path.append(item)
        else:
            raise _fail(
                f"{where}[{index}]", "a path element is a string, a non-negative integer or null"
            )
    return tuple(path)


def _values(value: object, where: str) -> tuple[ClaimValue, ...]:
    items = _array(value, where)
    for index, item in enumerate(items):
        if not isinstance(item, str | int | bool):
            raise _fail(f"{where}[{index}]", "a value is a string, an integer or a boolean")
    return tuple(items)


def _claim(value: object, where: str) -> ClaimsQuery:
    obj = _object(value, where, _CLAIM_MEMBERS)
    if "path" not in obj:
        raise _fail(where, "path is required")
    claim_id = _identifier(obj["id"], f"{where}.id") if "id" in obj else None
    values = _values(obj["values"], f"{where}.values") if "values" in obj else None
    _bool(obj.get("intent_to_retain"), f"{where}.intent_to_retain", False)
    return ClaimsQuery(path=_path(obj["path"], f"{where}.path"), id=claim_id, values=values)


def _credential(value: object, where: str) -> CredentialQuery:
    # Imported here: the profiles import this module for the model.
    from vcore.dcql.profiles import profile_for

    obj = _object(value, where, _CREDENTIAL_MEMBERS)
    for member in ("id", "format", "meta"):
        if member not in obj:
            raise _fail(where, f"{member} is required")
    query_id = _identifier(obj["id"], f"{where}.id")
    fmt = obj["format"]
    if not isinstance(fmt, str) or not fmt:
        raise _fail(f"{where}.format", "must be a non-empty string")
    meta = obj["meta"]
    if not isinstance(meta, Mapping):
        raise _fail(f"{where}.meta", "must be an object")
    profile = profile_for(fmt)
    if profile is not None:
        profile.check_meta(meta, f"{where}.meta")
    claims: tuple[ClaimsQuery, ...] | None = None
    if "claims" in obj:
        claims = tuple(
            _claim(item, f"{where}.claims[{i}]")
            for i, item in enumerate(_array(obj["claims"], f"{where}.claims"))
        )
    claim_sets: tuple[tuple[str, ...], ...] | None = None
    if "claim_sets" in obj:
        if claims is None:
            raise _fail(f"{where}.claim_sets", "must not be present without claims")
        known = {c.id for c in claims}
        if None in known:
            raise _fail(f"{where}.claims", "every claim needs an id when claim_sets is present")
        sets = []
        for i, option in enumerate(_array(obj["claim_sets"], f"{where}.claim_sets")):
            ids = tuple(
                _identifier(item, f"{where}.claim_sets[{i}][{j}]")
                for j, item in enumerate(_array(option, f"{where}.claim_sets[{i}]"))
            )
            missing = [x for x in ids if x not in known]
            if missing:
                raise _fail(f"{where}.claim_sets[{i}]", f"names no claim {missing[0]!r}")
            sets.append(ids)
        claim_sets = tuple(sets)
    if claims is not None:
        claim_ids = [c.id for c in claims if c.id is not None]
        if len(claim_ids) != len(set(claim_ids)):
            raise _fail(f"{where}.claims", "claim ids must be unique")
    authorities = None
    if "trusted_authorities" in obj:
        items = _array(obj["trusted_authorities"], f"{where}.trusted_authorities")
        if not all(isinstance(a, Mapping) for a in items):
            raise _fail(f"{where}.trusted_authorities", "entries must be objects")
        authorities = tuple(items)
    return CredentialQuery(
        id=query_id,
        format=fmt,
        meta=dict(meta),
        claims=claims,
        claim_sets=claim_sets,
        multiple=_bool(obj.get("multiple"), f"{where}.multiple", False),
        require_cryptographic_holder_binding=_bool(
            obj.get("require_cryptographic_holder_binding"),
            f"{where}.require_cryptographic_holder_binding",
            True,
        ),
        trusted_authorities=authorities,
    )


def _credential_set(value: object, where: str, known: set[str]) -> CredentialSetQuery:
    obj = _object(value, where, _SET_MEMBERS)
    if "options" not in obj:
        raise _fail(where, "options is required")
    options = []
    for i, option in enumerate(_array(obj["options"], f"{where}.options")):
        ids = tuple(
            _identifier(item, f"{where}.options[{i}][{j}]")
            for j, item in enumerate(_array(option, f"{where}.options[{i}]"))
        )
        missing = [x for x in ids if x not in known]
        if missing:
            raise _fail(f"{where}.options[{i}]", f"names no credential query {missing[0]!r}")
        options.append(ids)
    return CredentialSetQuery(
        options=tuple(options), required=_bool(obj.get("required"), f"{where}.required", True)
    )


def parse_dcql_query(value: object) -> DcqlQuery:
    """Parse and check a DCQL query (OpenID4VP 1.0 §6).

    Raises:
        DcqlQueryError: the first rule it breaks, named by its place (``credentials[0].id``).
    """
    obj = _object(value, "dcql_query", _QUERY_MEMBERS)
    if "credentials" not in obj:
        raise _fail("dcql_query", "credentials is required")
    items = _array(obj["credentials"], "credentials", limit=_MAX_CREDENTIALS)
    credentials = tuple(_credential(item, f"credentials[{i}]") for i, item in enumerate(items))
    ids = [c.id for c in credentials]
    if len(ids) != len(set(ids)):
        raise _fail("credentials", "credential query ids must be unique")
    sets = None
    if "credential_sets" in obj:
        sets = tuple(
            _credential_set(item, f"credential_sets[{i}]", set(ids))
            for i, item in enumerate(_array(obj["credential_sets"], "credential_sets"))
        )
    return DcqlQuery(credentials=credentials, credential_sets=sets)
