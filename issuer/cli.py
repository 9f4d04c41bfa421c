"""``trustid-issuer``: run the issuer and administer agencies, types and keys.

Every command reads the same ``TRUSTID_*`` settings as the service and works on the
same database (created and migrated on first use). Errors are one line on stderr and a
non-zero exit code (:func:`main` is the one place that maps them):

==  ==================================================================
1   refused: unknown type, agency exists, invalid name, ...
2   usage error (unknown option, missing argument)
3   configuration: bad TRUSTID_* value, master key, type schema files
4   database unavailable
==  ==================================================================
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from issuer.credential_types import load_types
from issuer.errors import ConfigurationError, UnavailableError
from issuer.service import IssuerServices, open_services
from issuer.settings import IssuerSettings, get_settings
from vcore.clock import format_datetime
from vcore.errors import TrustIDError

__all__ = ["app", "main"]

app = typer.Typer(
    name="trustid-issuer",
    help="TrustID issuer: accredited agencies issue, revoke and suspend W3C credentials.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
agency_app = typer.Typer(help="Agencies and their API keys.", no_args_is_help=True)
types_app = typer.Typer(help="Credential types (JSON Schemas).", no_args_is_help=True)
keys_app = typer.Typer(help="Issuer signing keys.", no_args_is_help=True)
app.add_typer(agency_app, name="agency")
app.add_typer(types_app, name="types")
app.add_typer(keys_app, name="keys")


@app.callback()
def _root(ctx: typer.Context) -> None:
    # Bare `trustid-issuer` prints help and succeeds (it reads no stdin).
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


_LOG_LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": logging.DEBUG,
}

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _table(*columns: str) -> Table:
    table = Table(*columns, show_header=True, header_style="bold")
    return table


@contextmanager
def _services(settings: IssuerSettings | None = None) -> Iterator[IssuerServices]:
    services = open_services(settings or get_settings())
    try:
        yield services
    finally:
        services.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8100,
    log_level: Annotated[
        str, typer.Option(help="critical, error, warning, info, debug or trace.")
    ] = "info",
) -> None:
    """Run the issuer API (creates and migrates the database, and a signing key, on first start)."""
    import uvicorn

    if log_level.lower() not in _LOG_LEVELS:
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="--log-level")

    from issuer.app import create_app

    logging.basicConfig(
        level=_LOG_LEVELS[log_level.lower()], format="%(levelname)s:     %(name)s: %(message)s"
    )
    settings = get_settings()
    with _services(settings) as services:
        where = "SQLite in " + str(settings.data_dir) if settings.uses_sqlite else "database URL"
        typer.echo(
            f"TrustID issuer {services.ctx.issuer_did} on http://{host}:{port} "
            f"(public URL {settings.issuer_url}; {where})",
            err=True,
        )
        uvicorn.run(
            create_app(settings, services=services),
            host=host,
            port=port,
            log_level=log_level.lower(),
            server_header=False,
        )


@agency_app.command("create")
def agency_create(
    name: Annotated[str, typer.Argument(help="Agency name, e.g. 'Beijing Resident Registry'.")],
    types: Annotated[
        str, typer.Option("--types", help="Comma-separated credential types it may issue.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Create an accredited agency and its API key (shown once, stored hashed)."""
    with _services() as services:
        created = services.agencies.create(name, types.split(","))
    if as_json:
        _print_json(
            {
                "agency_id": created.agency_id,
                "api_key": created.api_key,
                "name": created.name,
                "types": list(created.types),
            }
        )
        return
    typer.echo(
        f"Agency {created.name!r} ({created.agency_id}) may issue: {', '.join(created.types)}"
    )
    typer.echo(f"API key (shown once, store it now): {created.api_key}")


@agency_app.command("list")
def agency_list(as_json: JsonFlag = False) -> None:
    """List agencies, their accreditations and API key prefixes."""
    with _services() as services:
        agencies = services.agencies.list()
    if as_json:
        _print_json(
            [
                {
                    "agency_id": a.agency_id,
                    "name": a.name,
                    "types": list(a.types),
                    "created": format_datetime(a.created_at),
                    "api_keys": list(a.key_prefixes),
                }
                for a in agencies
            ]
        )
        return
    table = _table("agency_id", "name", "types", "created", "api keys")
    for a in agencies:
        table.add_row(
            a.agency_id,
            a.name,
            ", ".join(a.types),
            format_datetime(a.created_at),
            ", ".join(a.key_prefixes),
        )
    Console().print(table)


@types_app.command("list")
def types_list(as_json: JsonFlag = False) -> None:
    """List credential types with their JSON Schemas (and example subjects)."""
    registry = load_types(get_settings().types_dir)
    if as_json:
        _print_json([{"type": t.name, "schema": t.schema} for t in registry.values()])
        return
    table = _table("type", "valid days", "required claims", "source")
    for t in registry.values():
        table.add_row(t.name, str(t.valid_days), ", ".join(t.schema.get("required", [])), t.source)
    Console().print(table)


@app.command("trust-entry")
def trust_entry(as_json: JsonFlag = False) -> None:
    """Print this issuer's entry for a verifier trust list."""
    with _services() as services:
        entry = services.publication.trust_entry()
    if as_json:
        _print_json(entry)
        return
    for name, value in entry.items():
        typer.echo(f"{name}: {', '.join(value) if isinstance(value, list) else value}")


def _key_json(info: Any) -> dict[str, Any]:
    return {
        "kid": info.kid,
        "alg": info.alg,
        "active": info.active,
        "created": format_datetime(info.created_at),
        "retired": format_datetime(info.retired_at) if info.retired_at else None,
    }


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """List signing keys (the active one first; retired keys stay published)."""
    with _services() as services:
        keys = services.keys.list_keys()
    if as_json:
        _print_json([_key_json(k) for k in keys])
        return
    table = _table("kid", "alg", "active", "created", "retired")
    for k in keys:
        row = _key_json(k)
        table.add_row(
            row["kid"], row["alg"], "yes" if k.active else "", row["created"], row["retired"] or ""
        )
    Console().print(table)


@keys_app.command("rotate")
def keys_rotate(as_json: JsonFlag = False) -> None:
    """Make a new signing key active; the old one stays published for verification."""
    with _services() as services:
        info = services.keys.rotate()
    if as_json:
        _print_json(_key_json(info))
        return
    typer.echo(f"new active key: {info.kid}")


def _fail(message: str, code: int) -> NoReturn:
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    typer.echo(f"trustid-issuer: error: {first_line}", err=True)
    raise SystemExit(code)


def main() -> None:
    """Console entry point: run the CLI and map errors to one line and an exit code."""
    try:
        app()
    except ValidationError as exc:
        problems = "; ".join(
            f"TRUSTID_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        _fail(f"invalid configuration: {problems}", 3)
    except ConfigurationError as exc:
        _fail(exc.detail, 3)
    except UnavailableError as exc:
        _fail(exc.detail, 4)
    except TrustIDError as exc:
        _fail(exc.detail, 1)
    except OSError as exc:
        _fail(str(exc), 3)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
