"""Credential types: a JSON Schema (Draft 2020-12) for ``credentialSubject`` per type.

Built-in types live in ``issuer/types/<Type>.json``; ``TRUSTID_TYPES_DIR`` adds more in
the same shape. A type file is a schema whose ``title`` is the type name (equal to the
file name), with ``examples`` (at least one valid subject, without ``id``) and optional
annotations:

* ``x-trustid-validDays``: default validity in days (1826);
* ``x-trustid-backdateDays``: how far in the past a caller's ``validFrom`` may lie (0:
  a credential starts now or later, and cannot be issued already expired);
* ``x-trustid-holderBinding``: ``required`` (default: every subject's ``id`` is the
  holder's DID, did:key / did:jwk / did:web) or ``optional`` (a subject ``id``, if any,
  is any URL: bearer credentials);
* ``x-trustid-disclosure``: for the SD-JWT formats (``dc+sd-jwt``, ``vc+sd-jwt``), claim
  name -> ``always`` (a plain claim), ``selective`` (the default for a claim not listed:
  the holder chooses; an object member by member) or ``never`` (not issued in those
  formats). Derived claims are listed here too: ``age_over_<N>`` (a boolean computed from
  ``birthDate`` on the day of issuance, so "over 18" never needs the birth date);
* ``x-trustid-statusRequired``: ``true`` (default, and set in every shipped type) or
  ``false``. The issuer always gives credentials a status entry; this flag is what it
  tells verifiers, through its trust-list entry (``statusRequired``), so a credential
  of the type *without* a status entry (forged with a leaked key) is refused with
  ``status_required``. A verifier cannot read the issuer's type files, which is why the
  requirement travels in the trust list.
* ``x-trustid-content`` on a top-level property: a check of the value's content that a
  JSON Schema cannot express, by name from :data:`CONTENT_CHECKS` (``portrait``: a JPEG
  or PNG data URL whose bytes are that image, :mod:`vcore.portrait`).

Every schema is checked against the metaschema and its own examples when loaded, so a
broken type stops the service at start rather than at the first issuance.

The open type (:data:`OPEN_TYPE`, ``VerifiableCredential``) is not built in. An operator
who puts a ``VerifiableCredential.json`` in ``TRUSTID_TYPES_DIR`` (the repository ships
one in ``examples/types/``, a schema that admits any subject) and accredits an agency
for ``VerifiableCredential`` lets that agency issue any credential VCDM 2.0 allows whose
types name none of the registered types: what a conformance run needs, and nothing a
production registry should switch on without thought (see ``docs/conformance.md``).

Claims are validated with format checking on (``date`` is enforced); messages name
the failing rule, never echo the value (it is a citizen's personal data).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from issuer.errors import ClaimsInvalidError, ConfigurationError
from vcore.formats import DisclosureMode, DisclosurePolicy
from vcore.jsontext import loads_strict
from vcore.portrait import parse_portrait

__all__ = [
    "BUILTIN_TYPES_DIR",
    "CONTENT_CHECKS",
    "DEFAULT_VALID_DAYS",
    "MAX_VALID_DAYS",
    "OPEN_TYPE",
    "CredentialType",
    "TypeRegistry",
    "load_types",
]

BUILTIN_TYPES_DIR = Path(__file__).resolve().parent / "types"
DEFAULT_VALID_DAYS = 1826
MAX_VALID_DAYS = 3653
"""No credential is valid longer than 10 years: keys rotate and claims age."""
OPEN_TYPE = "VerifiableCredential"
"""The name of the open type: it governs credentials whose types name no registered type."""

_NAME_RE = re.compile(r"[A-Z][A-Za-z0-9]{2,63}")
_DERIVED_RE = re.compile(r"age_over_([1-9][0-9]?)")
_MAX_SCHEMA_FILE = 256 * 1024
_MAX_ERRORS = 20

CONTENT_CHECKS: Mapping[str, Callable[[object], object]] = {"portrait": parse_portrait}
"""``x-trustid-content`` name -> check raising ``ValueError`` with a message free of the value."""


@dataclass(frozen=True)
class CredentialType:
    """One credential type and its subject schema."""

    name: str
    schema: dict[str, Any]
    valid_days: int
    source: str
    _validator: Draft202012Validator = field(repr=False, compare=False)
    backdate_days: int = 0
    holder_required: bool = True
    status_required: bool = True
    """``x-trustid-statusRequired``: verifiers must refuse a credential without status."""
    disclosure: DisclosurePolicy = field(default_factory=DisclosurePolicy)
    """``x-trustid-disclosure``: how each claim appears in the SD-JWT formats."""
    derived_ages: tuple[int, ...] = ()
    """The N of every derived ``age_over_<N>`` claim (from ``birthDate``)."""
    content_checks: Mapping[str, str] = field(default_factory=dict)
    """``x-trustid-content``: top-level claim -> name in :data:`CONTENT_CHECKS`."""

    @property
    def is_open(self) -> bool:
        """Whether this is the open type (:data:`OPEN_TYPE`)."""
        return self.name == OPEN_TYPE

    @property
    def schema_json(self) -> str:
        """The schema as canonical JSON (sorted members, no whitespace), as stored."""
        return json.dumps(self.schema, sort_keys=True, separators=(",", ":"))

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of :attr:`schema_json`: changes when the schema does."""
        return hashlib.sha256(self.schema_json.encode("utf-8")).hexdigest()

    @property
    def examples(self) -> list[dict[str, Any]]:
        """Example subjects (valid, without ``id``)."""
        return list(self.schema.get("examples", []))

    def published_schema(self, schema_url: str) -> dict[str, Any]:
        """The schema as served to verifiers, with ``$id`` set to where it is served."""
        return {"$id": schema_url, **self.schema}

    def validate_subject(self, subject: Mapping[str, Any], index: int | None = None) -> None:
        """Check a ``credentialSubject`` (including ``id``) against the schema.

        Args:
            subject: One subject object.
            index: Its position when ``credentialSubject`` is a list (for the messages).

        Raises:
            ClaimsInvalidError: with up to 20 ``errors`` naming the path and the rule.
        """
        errors = sorted(
            self._validator.iter_errors(dict(subject)), key=lambda e: list(e.absolute_path)
        )
        details = [_describe(error, index) for error in errors[:_MAX_ERRORS]]
        if not details:
            details = self._content_errors(subject, index)
        if not details:
            return
        raise ClaimsInvalidError(
            f"credentialSubject does not satisfy the {self.name} schema: {details[0]['msg']}",
            details,
        )

    def _content_errors(
        self, subject: Mapping[str, Any], index: int | None
    ) -> list[dict[str, Any]]:
        # Run after the schema passed, so each value already has the schema's shape.
        prefix: list[Any] = ["credential", "credentialSubject"] + ([] if index is None else [index])
        details = []
        for claim, check in self.content_checks.items():
            if claim not in subject:
                continue
            try:
                CONTENT_CHECKS[check](subject[claim])
            except ValueError as exc:
                details.append(
                    {"loc": [*prefix, claim], "msg": str(exc), "type": f"content.{check}"}
                )
        return details


def _describe(error: ValidationError, index: int | None = None) -> dict[str, Any]:
    prefix: list[Any] = ["credential", "credentialSubject"] + ([] if index is None else [index])
    where = [*prefix, *error.absolute_path]
    if error.validator in {"required", "additionalProperties", "unevaluatedProperties"}:
        # These messages hold property names only, never values.
        message = error.message
    else:
        message = f"fails '{error.validator}' ({error.validator_value!r})"
    return {"loc": where, "msg": message, "type": f"schema.{error.validator}"}


def _days(schema: Mapping[str, Any], name: str, default: int, least: int, path: Path) -> int:
    value = schema.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{path}: {name} must be an integer")
    if not least <= value <= MAX_VALID_DAYS:
        raise ConfigurationError(f"{path}: {name} must be {least}..{MAX_VALID_DAYS}")
    return value


def _disclosure(schema: Mapping[str, Any], path: Path) -> tuple[DisclosurePolicy, tuple[int, ...]]:
    raw = schema.get("x-trustid-disclosure", {})
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{path}: x-trustid-disclosure must be an object")
    properties = schema.get("properties", {})
    modes: dict[str, DisclosureMode] = {}
    ages: list[int] = []
    for name, value in raw.items():
        try:
            modes[name] = DisclosureMode(value)
        except ValueError:
            raise ConfigurationError(
                f"{path}: x-trustid-disclosure.{name} must be always, selective or never"
            ) from None
        derived = _DERIVED_RE.fullmatch(name)
        if derived is not None:
            if "birthDate" not in properties:
                raise ConfigurationError(f"{path}: {name} is derived from birthDate, absent here")
            ages.append(int(derived.group(1)))
        elif name not in properties or name == "id":
            raise ConfigurationError(f"{path}: x-trustid-disclosure names no claim {name!r}")
    return DisclosurePolicy(modes), tuple(sorted(ages))


def _content_checks(schema: Mapping[str, Any], path: Path) -> dict[str, str]:
    checks: dict[str, str] = {}
    properties = schema.get("properties", {})
    for name, prop in properties.items() if isinstance(properties, dict) else ():
        check = prop.get("x-trustid-content") if isinstance(prop, dict) else None
        if check is None:
            continue
        if check not in CONTENT_CHECKS:
            known = ", ".join(CONTENT_CHECKS)
            raise ConfigurationError(f"{path}: {name}.x-trustid-content must be one of: {known}")
        checks[name] = check
    return checks


def _load_type(path: Path, source: str) -> CredentialType:
    name = path.stem
    if not _NAME_RE.fullmatch(name):
        raise ConfigurationError(f"{path}: type name must match {_NAME_RE.pattern}")
    if path.stat().st_size > _MAX_SCHEMA_FILE:
        raise ConfigurationError(f"{path}: schema file larger than {_MAX_SCHEMA_FILE} bytes")
    try:
        schema = loads_strict(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{path}: not readable JSON: {exc}") from exc
    if not isinstance(schema, dict):
        raise ConfigurationError(f"{path}: a schema must be a JSON object")
    if schema.get("title") != name:
        raise ConfigurationError(f"{path}: 'title' must be the type name {name!r}")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ConfigurationError(f"{path}: not a valid JSON Schema: {exc.message}") from exc
    valid_days = _days(schema, "x-trustid-validDays", DEFAULT_VALID_DAYS, 1, path)
    backdate_days = _days(schema, "x-trustid-backdateDays", 0, 0, path)
    binding = schema.get("x-trustid-holderBinding", "required")
    if binding not in {"required", "optional"}:
        raise ConfigurationError(f"{path}: x-trustid-holderBinding must be required or optional")
    status_required = schema.get("x-trustid-statusRequired", True)
    if not isinstance(status_required, bool):
        raise ConfigurationError(f"{path}: x-trustid-statusRequired must be true or false")
    disclosure, derived_ages = _disclosure(schema, path)
    content_checks = _content_checks(schema, path)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    ctype = CredentialType(
        name,
        schema,
        valid_days,
        source,
        validator,
        backdate_days,
        binding == "required",
        status_required,
        disclosure,
        derived_ages,
        content_checks,
    )
    examples = schema.get("examples")
    if not isinstance(examples, list) or not examples:
        raise ConfigurationError(f"{path}: 'examples' must list at least one valid subject")
    for number, example in enumerate(examples):
        if not isinstance(example, dict) or "id" in example:
            raise ConfigurationError(f"{path}: example {number} must be an object without 'id'")
        try:
            ctype.validate_subject(example)
        except ClaimsInvalidError as exc:
            raise ConfigurationError(f"{path}: example {number} is invalid: {exc.detail}") from exc
    return ctype


class TypeRegistry(Mapping[str, CredentialType]):
    """The credential types this issuer knows, by name (sorted)."""

    def __init__(self, types: Mapping[str, CredentialType]) -> None:
        self._types = dict(sorted(types.items()))

    def __getitem__(self, name: str) -> CredentialType:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)


def load_types(extra_dir: Path | None = None) -> TypeRegistry:
    """Load the built-in types and those in ``extra_dir``.

    Raises:
        ConfigurationError: a schema is invalid, an example fails its schema, or a type
            in ``extra_dir`` has the name of one already loaded.
    """
    types: dict[str, CredentialType] = {}
    sources = [(BUILTIN_TYPES_DIR, "builtin")]
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise ConfigurationError(f"TRUSTID_TYPES_DIR {extra_dir} is not a directory")
        sources.append((extra_dir, str(extra_dir)))
    for directory, source in sources:
        for path in sorted(directory.glob("*.json")):
            ctype = _load_type(path, source)
            if ctype.name in types:
                raise ConfigurationError(f"{path}: type {ctype.name} is already defined")
            types[ctype.name] = ctype
    return TypeRegistry(types)
