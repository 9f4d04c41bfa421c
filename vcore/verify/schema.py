"""The schema step: which ``credentialSchema`` entries to fetch, then validate against them.

TrustID issuers publish the JSON Schema of ``credentialSubject`` (without the holder
id); a schema that describes the whole credential (VC 2.0 §4.11) has
``credentialSubject`` among its properties, and then the whole credential is validated.
No remote ``$ref`` is ever fetched (no retriever is configured).

A schema is checked against its metaschema and compiled into a validator once, then
reused (:func:`compiled_validator`): building a validator and re-checking the schema
cost far more than validating the claims. The memo is keyed by the identity of the
schema object the verifier's cache hands out (held, so the identity cannot be reused),
and bounded; it is a memo of a pure function, not a source of truth.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import jsonschema
import referencing.exceptions
from jsonschema.validators import validator_for

from vcore.errors import SchemaInvalidError, TrustIDError
from vcore.formats.secured import SecuredCredential
from vcore.integrity import check_integrity
from vcore.verify.evidence import Material
from vcore.verify.plan import CredentialPlan
from vcore.verify.report import CheckId, Steps

__all__ = ["check_schema", "compiled_validator", "decide_schema", "schema_urls"]

_MEMO_SIZE = 256
_memo: OrderedDict[int, tuple[Mapping[str, Any], Any]] = OrderedDict()
_memo_lock = threading.Lock()


def schema_urls(credential: SecuredCredential) -> tuple[tuple[str, ...], list[str]]:
    """The ``JsonSchema`` URLs to fetch, and warnings for entries that are not checked."""
    urls: list[str] = []
    warnings: list[str] = []
    for schema in credential.schemas:
        kind, url = schema.get("type"), schema.get("id")
        if kind in ("JsonSchema", "JsonSchemaCredential") and isinstance(url, str):
            if kind == "JsonSchema":
                urls.append(url)
            else:
                warnings.append("schemas delivered as credentials are not checked")
        else:
            warnings.append(f"credentialSchema of type {str(kind)[:60]!r} was not checked")
    return tuple(dict.fromkeys(urls)), warnings


def _compile(schema: Mapping[str, Any]) -> Any:
    plain = dict(schema)
    cls = validator_for(plain, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(plain)
    except jsonschema.SchemaError as exc:
        raise SchemaInvalidError(f"the published schema itself is invalid: {exc.message}") from exc
    return cls(plain, format_checker=cls.FORMAT_CHECKER)


def compiled_validator(schema: Mapping[str, Any]) -> Any:
    """The validator of ``schema``, checked against its metaschema once and then reused.

    Raises:
        SchemaInvalidError: the schema itself is invalid (not memoised: raised each time).
    """
    key = id(schema)
    with _memo_lock:
        hit = _memo.get(key)
        if hit is not None and hit[0] is schema:
            _memo.move_to_end(key)
            return hit[1]
    validator = _compile(schema)
    with _memo_lock:
        _memo[key] = (schema, validator)
        _memo.move_to_end(key)
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return validator


def check_schema(credential: SecuredCredential, schema: Mapping[str, Any]) -> None:
    """Validate the credential (or its subject claims) against ``schema``.

    Raises:
        SchemaInvalidError: the claims do not match, or the schema itself is unusable.
    """
    properties = schema.get("properties")
    whole = isinstance(properties, Mapping) and "credentialSubject" in properties
    instance: Any = (
        credential.credential
        if whole
        else {k: v for k, v in credential.subject.items() if k != "id"}
    )
    validator = compiled_validator(schema)
    try:
        # No retriever is configured, so a remote $ref is never fetched (no I/O here).
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    except referencing.exceptions.Unresolvable as exc:
        raise SchemaInvalidError(f"the schema refers to another document: {exc}") from exc
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the claims"
        raise SchemaInvalidError(f"{where}: {error.message[:200]}")


def _check_type_metadata(
    credential: SecuredCredential, material: Material, warnings: list[str]
) -> bool:
    """True when the fetched type metadata matched ``vct#integrity``.

    Raises:
        TypeMetadataIntegrityError: it did not, or the claim is unusable.
    """
    url = credential.type_metadata_url
    claim = credential.type_metadata_integrity
    if url is None or claim is None:
        return False
    fetched = material.schemas.get(url)
    satisfied = material.integrity.get(url)
    if not isinstance(fetched, Mapping) or not satisfied:
        warnings.append(f"vct#integrity not checked: the Type Metadata at {url} was not fetched")
        return False
    check_integrity(claim, satisfied)
    return True


def decide_schema(
    plan: CredentialPlan,
    credential: SecuredCredential,
    material: Material,
    steps: Steps,
    warnings: list[str],
) -> None:
    """Add the ``schema`` check (skipped when no schema is known).

    A credential that pins its type metadata by digest (``vct#integrity``) fails it with
    ``vct_integrity_mismatch`` when the fetched metadata's bytes do not match; metadata
    that was not fetched (another host, unavailable) leaves a warning.
    """
    checked = 0
    try:
        pinned = _check_type_metadata(credential, material, warnings)
    except TrustIDError as exc:
        steps.fail(CheckId.SCHEMA, exc)
        return
    for url in plan.schema_urls:
        if url == credential.type_metadata_url:
            continue  # type metadata, not a JSON Schema (see plan_credential)
        schema = material.schemas.get(url)
        if schema is None:
            continue
        if isinstance(schema, TrustIDError):
            warnings.append(f"the schema {url} could not be fetched: {schema.detail}")
            continue
        try:
            check_schema(credential, schema)
        except TrustIDError as exc:
            steps.fail(CheckId.SCHEMA, exc)
            return
        checked += 1
    if checked:
        steps.passed(CheckId.SCHEMA, f"the claims match the {credential.credential_type} schema")
    elif pinned:
        steps.passed(CheckId.SCHEMA, "the Type Metadata matches the credential's vct#integrity")
    else:
        steps.skip(CheckId.SCHEMA, f"no schema for {credential.credential_type} is known")
