"""Bulk commands: ``issue-batch FILE`` and ``revoke`` / ``suspend`` by selection.

``issue-batch`` reads subjects from JSON Lines or CSV and issues them as the agency whose
API key is in ``TRUSTID_API_KEY`` (or ``--api-key-file``), in chunks through the same
service as ``POST /credentials/issue/batch``, with a progress bar, and appends each
credential to ``--out`` (JSON Lines: line, idempotencyKey, credentialId,
verifiableCredential). It is resumable: every row has an idempotency key (its
``idempotencyKey`` member or column, else the SHA-256 of the row), rows already in the
output are skipped, and a row issued before an interruption but not yet written is
answered again by the stored idempotent response: never a duplicate credential. A
malformed or refused row is reported with its line number and the rest continues; the
exit code is then 1.

Row shape. JSON Lines: ``{"credentialSubject": {...}, "type": "T", "validDays": N,
"idempotencyKey": "..."}`` or a whole issue request (``{"credential": {...},
"options": {...}, "idempotencyKey": ...}``). CSV: a header row; ``idempotencyKey``,
``type`` and ``validDays`` columns are taken as such, every other column is a
``credentialSubject`` claim (``id`` is the holder DID; ``address.locality`` is a member
of an object); a cell is text unless the type's JSON Schema makes that claim an integer,
number or boolean; empty cells are left out.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from issuer.api.models import IssueRequest
from issuer.cli.agencies import _actor
from issuer.cli.output import JsonFlag, admin_services, print_json
from issuer.credential_types import load_types
from issuer.service import IssueCommand
from issuer.service.bulk_status import Selection
from issuer.settings import get_settings
from vcore.clock import parse_datetime
from vcore.errors import MalformedError, TrustIDError
from vcore.formats import envelope_credential

__all__ = ["issue_batch", "read_rows", "revoke", "suspend"]

CHUNK = 200
_MAX_LINE = 64 * 1024


@dataclass(frozen=True)
class Row:
    """One input row: its 1-based line, its idempotency key, and the request or a fault."""

    line: int
    key: str
    request: dict[str, Any] | None
    fault: str | None = None


def _key_of(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "row-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _as_request(data: dict[str, Any], default_type: str | None) -> dict[str, Any]:
    data = dict(data)
    data.pop("idempotencyKey", None)
    if "credential" in data:
        return data
    subject = data.pop("credentialSubject", None)
    type_name = data.pop("type", None) or default_type
    valid_days = data.pop("validDays", None)
    if data:
        raise ValueError(f"unknown member(s) {', '.join(sorted(data))}")
    if not isinstance(subject, dict):
        raise ValueError("credentialSubject must be an object")
    if not isinstance(type_name, str) or not type_name:
        raise ValueError("no type: give a 'type' member or --type")
    request: dict[str, Any] = {
        "credential": {"type": ["VerifiableCredential", type_name], "credentialSubject": subject}
    }
    if valid_days is not None:
        request["options"] = {"validDays": valid_days}
    return request


def _row(line: int, data: Any, default_type: str | None) -> Row:
    if not isinstance(data, dict):
        return Row(line, _key_of(data), None, "a row must be a JSON object")
    key = data.get("idempotencyKey")
    if key is not None and (
        not isinstance(key, str)
        or not 1 <= len(key) <= 255
        or not key.isascii()
        or not key.isprintable()
    ):
        return Row(
            line, _key_of(data), None, "idempotencyKey must be 1-255 printable ASCII characters"
        )
    key = key or _key_of({k: v for k, v in data.items() if k != "idempotencyKey"})
    try:
        return Row(line, key, _as_request(data, default_type))
    except ValueError as exc:
        return Row(line, key, None, str(exc))


Coerce = Callable[[str | None, tuple[str, ...], str], Any]
"""(type name, claim path, cell text) -> the claim's value."""


def _text(_type: str | None, _path: tuple[str, ...], text: str) -> Any:
    return text


def schema_coercion(schemas: Mapping[str, Mapping[str, Any]]) -> Coerce:
    """Cells to integers, numbers or booleans where the type's schema says so."""

    def coerce(type_name: str | None, path: tuple[str, ...], text: str) -> Any:
        node: Any = schemas.get(type_name or "", {})
        for part in path:
            props = node.get("properties") if isinstance(node, Mapping) else None
            node = props.get(part, {}) if isinstance(props, Mapping) else {}
        kind = node.get("type") if isinstance(node, Mapping) else None
        try:
            if kind == "integer":
                return int(text)
            if kind == "number":
                return float(text)
        except ValueError:
            return text
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        return text

    return coerce


def read_rows(path: Path, default_type: str | None, coerce: Coerce = _text) -> Iterator[Row]:
    """The rows of a JSON Lines (``.jsonl``/``.ndjson``/``.json``) or CSV file."""
    with path.open("r", encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            for record in reader:
                line = reader.line_num
                if None in record:
                    yield Row(line, f"line-{line}", None, "more cells than header columns")
                    continue
                data: dict[str, Any] = {}
                subject: dict[str, Any] = {}
                row_type = record.get("type") or default_type
                for name, value in record.items():
                    if value is None or value == "":
                        continue
                    if name in ("idempotencyKey", "type"):
                        data[name] = value
                    elif name == "validDays":
                        data[name] = int(value) if value.isdigit() else value
                    else:
                        claim = tuple(name.split("."))
                        target = subject
                        for part in claim[:-1]:
                            target = target.setdefault(part, {})
                        target[claim[-1]] = coerce(row_type, claim, value)
                data["credentialSubject"] = subject
                yield _row(line, data, default_type)
            return
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            if len(text) > _MAX_LINE:
                yield Row(number, f"line-{number}", None, "the line is longer than 64 KiB")
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Row(number, f"line-{number}", None, f"not JSON: {exc.msg}")
                continue
            yield _row(number, data, default_type)


def _done_keys(out: Path) -> set[str]:
    """Idempotency keys already written to ``out`` (a torn last line is ignored)."""
    done: set[str] = set()
    if not out.exists():
        return done
    with out.open("r", encoding="utf-8") as handle:
        for text in handle:
            try:
                done.add(json.loads(text)["idempotencyKey"])
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
    return done


def _api_key(api_key_file: Path | None) -> str:
    if api_key_file is not None:
        return api_key_file.read_text(encoding="utf-8").strip()
    key = os.environ.get("TRUSTID_API_KEY", "").strip()
    if not key:
        raise typer.BadParameter("set TRUSTID_API_KEY or pass --api-key-file (the agency's key)")
    return key


def issue_batch(
    file: Annotated[
        Path, typer.Argument(help="JSON Lines or CSV of subjects.", exists=True, dir_okay=False)
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Where credentials are appended (JSON Lines).")
    ],
    type_name: Annotated[
        str | None, typer.Option("--type", help="Type of rows without one.")
    ] = None,
    api_key_file: Annotated[
        Path | None, typer.Option("--api-key-file", help="File with the agency's API key.")
    ] = None,
) -> None:
    """Issue a credential for every row of FILE as the agency of TRUSTID_API_KEY.

    Resumable: run it again after an interruption; rows already in --out are skipped and
    none is issued twice. A bad row is reported with its line number (exit 1 at the end).
    """
    key = _api_key(api_key_file)
    schemas = {name: t.schema for name, t in load_types(get_settings().types_dir).items()}
    rows = list(read_rows(file, type_name, schema_coercion(schemas)))
    done = _done_keys(out)
    pending = [row for row in rows if row.key not in done]
    failures = 0
    issued = 0
    with admin_services() as services:
        principal = services.agencies.authenticate(key)
        out.parent.mkdir(parents=True, exist_ok=True)
        with (
            out.open("a", encoding="utf-8") as sink,
            Progress(
                TextColumn("issuing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
                console=Console(stderr=True),
            ) as progress,
        ):
            task = progress.add_task("issue", total=len(rows), completed=len(rows) - len(pending))
            for start in range(0, len(pending), CHUNK):
                chunk = pending[start : start + CHUNK]
                commands: list[tuple[IssueCommand, str | None]] = []
                ready: list[Row] = []
                for row in chunk:
                    if row.fault is not None:
                        failures += 1
                        progress.console.print(
                            f"line {row.line}: {row.fault}", style=None, markup=False
                        )
                        continue
                    try:
                        request = IssueRequest.model_validate(row.request)
                    except ValidationError as exc:
                        failures += 1
                        first = exc.errors()[0]
                        where = ".".join(str(p) for p in first["loc"])
                        progress.console.print(
                            f"line {row.line}: {where}: {first['msg']}", markup=False
                        )
                        continue
                    commands.append((request.to_command(), row.key))
                    ready.append(row)
                outcomes = services.issuance.issue_batch(principal, commands) if commands else []
                lines = []
                for row, outcome in zip(ready, outcomes, strict=True):
                    if isinstance(outcome, TrustIDError):
                        failures += 1
                        progress.console.print(
                            f"line {row.line}: {outcome.code}: {outcome.detail}", markup=False
                        )
                        continue
                    issued += 1
                    record = {
                        "line": row.line,
                        "idempotencyKey": row.key,
                        "credentialId": outcome.credential_id,
                        "verifiableCredential": envelope_credential(outcome.token),
                    }
                    lines.append(json.dumps(record, separators=(",", ":")) + "\n")
                sink.write("".join(lines))
                sink.flush()
                os.fsync(sink.fileno())
                progress.advance(task, len(chunk))
    skipped = len(rows) - len(pending)
    typer.echo(
        f"issued {issued}, skipped {skipped} already in {out}, {failures} row(s) refused", err=True
    )
    if failures:
        raise SystemExit(1)


def _selection(
    ids: Path | None, holder: str | None, type_name: str | None, issued_from: str | None,
    issued_until: str | None, signed_by: str | None,
) -> Selection:  # fmt: skip
    def when(value: str | None, name: str) -> Any:
        if value is None:
            return None
        try:
            return parse_datetime(value if "T" in value else value + "T00:00:00Z")
        except MalformedError as exc:
            raise typer.BadParameter(f"{name}: an RFC 3339 date or date-time") from exc

    listed: tuple[str, ...] = ()
    if ids is not None:
        text = ids.read_text(encoding="utf-8")
        listed = tuple(line.strip() for line in io.StringIO(text) if line.strip())
        if not listed:
            raise typer.BadParameter(f"{ids} holds no credential id")
    return Selection(
        ids=listed,
        holder=holder,
        type_name=type_name,
        issued_from=when(issued_from, "--issued-from"),
        issued_until=when(issued_until, "--issued-until"),
        signed_by=signed_by,
    )


IdsOption = Annotated[
    Path | None,
    typer.Option("--ids", help="File of credential ids, one a line.", exists=True, dir_okay=False),
]
HolderOption = Annotated[
    str | None, typer.Option("--holder", metavar="DID", help="Every credential of this holder.")
]
TypeOption = Annotated[str | None, typer.Option("--type", help="Every credential of this type...")]
FromOption = Annotated[
    str | None, typer.Option("--issued-from", metavar="DATE", help="...issued from (RFC 3339).")
]
UntilOption = Annotated[
    str | None, typer.Option("--issued-until", metavar="DATE", help="...issued until.")
]
SignedByOption = Annotated[
    str | None, typer.Option("--signed-by", metavar="KID", help="Everything this key signed.")
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Reason code, kept with every change.")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Only print how many would change.")]


def _bulk(
    purpose: str, status: bool, selection: Selection, reason: str, dry_run: bool, as_json: bool
) -> None:
    with admin_services() as services:
        result = services.bulk_status.change(
            selection, purpose, status, reason, actor=_actor(), dry_run=dry_run
        )
    if as_json:
        print_json(
            {
                "statusPurpose": result.purpose,
                "status": result.status,
                "matched": result.matched,
                "changed": result.changed,
                "unchanged": result.unchanged,
                "statusLists": list(result.lists),
                "dryRun": result.dry_run,
            }
        )
        return
    verb = {
        ("revocation", True): "revoke",
        ("suspension", True): "suspend",
        ("suspension", False): "lift the suspension of",
    }[(purpose, status)]
    done = (
        f"would {verb}"
        if dry_run
        else {"revoke": "revoked", "suspend": "suspended"}.get(verb, "lifted the suspension of")
    )
    typer.echo(
        f"{done} {result.changed} of {result.matched} selected credential(s) "
        f"({result.unchanged} already so or revoked) in {len(result.lists)} status list(s)"
    )


def revoke(
    reason: ReasonOption,
    ids: IdsOption = None,
    holder: HolderOption = None,
    type_name: TypeOption = None,
    issued_from: FromOption = None,
    issued_until: UntilOption = None,
    signed_by: SignedByOption = None,
    dry_run: DryRunOption = False,
    as_json: JsonFlag = False,
) -> None:
    """Revoke many credentials: by --ids FILE, --holder DID, --type (with --issued-from /
    --issued-until) or --signed-by KID. Each affected status list is re-published once;
    revoked credentials stay revoked (revocation is final)."""
    selection = _selection(ids, holder, type_name, issued_from, issued_until, signed_by)
    if signed_by is not None and not (ids or holder or type_name):
        _revoke_signed_by(signed_by, reason, dry_run, as_json)
        return
    _bulk("revocation", True, selection, reason, dry_run, as_json)


def _revoke_signed_by(signed_by: str, reason: str, dry_run: bool, as_json: bool) -> None:
    """The key-compromise playbook's step (also records the key event)."""
    with admin_services() as services:
        result = services.key_revocation.revoke_signed_by(
            signed_by, reason, actor=_actor(), dry_run=dry_run
        )
    if as_json:
        print_json(
            {
                "kid": result.kid,
                "revoked": result.revoked,
                "statusLists": list(result.lists),
                "dryRun": result.dry_run,
            }
        )
        return
    verb = "would revoke" if result.dry_run else "revoked"
    typer.echo(
        f"{verb} {result.revoked} credential(s) signed by {result.kid} "
        f"in {len(result.lists)} status list(s)"
    )


def suspend(
    reason: ReasonOption,
    ids: IdsOption = None,
    holder: HolderOption = None,
    type_name: TypeOption = None,
    issued_from: FromOption = None,
    issued_until: UntilOption = None,
    signed_by: SignedByOption = None,
    lift: Annotated[bool, typer.Option("--lift", help="Lift the suspension instead.")] = False,
    dry_run: DryRunOption = False,
    as_json: JsonFlag = False,
) -> None:
    """Suspend (or --lift the suspension of) many credentials, selected like `revoke`."""
    selection = _selection(ids, holder, type_name, issued_from, issued_until, signed_by)
    _bulk("suspension", not lift, selection, reason, dry_run, as_json)
