"""``trustid-issuer``: run the issuer and administer agencies, types and keys.

Every command reads the same ``TRUSTID_*`` settings as the service and works on the
same database. A command that opens it first prints where it is (``trustid-issuer: data
directory /srv/trustid/var`` on stderr); only ``serve`` creates a new one unasked
(:mod:`issuer.data_dir` says when else). Errors are one line on stderr and a non-zero
exit code (:func:`main` is the one place that maps them):

==  ==================================================================
1   refused: agency exists, invalid name, no such agency or API key, ...
2   usage error (unknown option, missing argument, unknown credential type)
3   configuration: bad TRUSTID_* value, master key, type schema files, no
    database in the data directory
4   database unavailable
==  ==================================================================
"""

from __future__ import annotations

import logging
import sys
from contextlib import closing
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from issuer.cli.agencies import agency_app
from issuer.cli.bulk import issue_batch, revoke, suspend
from issuer.cli.keys import keys_app
from issuer.cli.output import JsonFlag, admin_services, new_table, print_json
from issuer.cli.publish import publish
from issuer.credential_types import load_types
from issuer.data_dir import describe_database
from issuer.errors import ConfigurationError, UnavailableError, UnknownTypeError
from issuer.service import open_services
from issuer.settings import get_settings
from vcore.errors import TrustIDError

__all__ = ["app", "main"]

app = typer.Typer(
    name="trustid-issuer",
    help="TrustID issuer: accredited agencies issue, revoke and suspend W3C credentials.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
types_app = typer.Typer(help="Credential types (JSON Schemas).", no_args_is_help=True)
app.add_typer(agency_app, name="agency")
app.add_typer(types_app, name="types")
app.add_typer(keys_app, name="keys")
app.command("revoke")(revoke)
app.command("suspend")(suspend)
app.command("issue-batch")(issue_batch)
app.command("publish")(publish)


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

    from trustid_http.server import uvicorn_options

    if log_level.lower() not in _LOG_LEVELS:
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="--log-level")

    from issuer.app import create_app

    logging.basicConfig(
        level=_LOG_LEVELS[log_level.lower()], format="%(levelname)s:     %(name)s: %(message)s"
    )
    settings = get_settings()
    services = open_services(settings)  # serve creates the data directory and database
    with closing(services):
        where = describe_database(settings)
        typer.echo(
            f"TrustID issuer {services.ctx.issuer_did} on http://{host}:{port} "
            f"(public URL {settings.issuer_url}; {where})",
            err=True,
        )
        # Header deadline (10 s), connection bound, quiet logs: trustid_http.server.
        uvicorn.run(
            create_app(settings, services=services),
            host=host,
            port=port,
            log_level=log_level.lower(),
            **uvicorn_options(),
        )


@types_app.command("list")
def types_list(as_json: JsonFlag = False) -> None:
    """List credential types with their JSON Schemas (and example subjects)."""
    registry = load_types(get_settings().types_dir)
    if as_json:
        print_json([{"type": t.name, "schema": t.schema} for t in registry.values()])
        return
    table = new_table("type", "valid days", "required claims", "source")
    for t in registry.values():
        table.add_row(t.name, str(t.valid_days), ", ".join(t.schema.get("required", [])), t.source)
    Console().print(table)


@app.command("trust-entry")
def trust_entry(as_json: JsonFlag = False) -> None:
    """Print this issuer's entry for a verifier trust list."""
    with admin_services() as services:
        entry = services.publication.trust_entry()
    if as_json:
        print_json(entry)
        return
    for name, value in entry.items():
        typer.echo(f"{name}: {', '.join(value) if isinstance(value, list) else value}")


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
    except UnknownTypeError as exc:  # a bad --types value: a usage error
        _fail(exc.detail, 2)
    except TrustIDError as exc:
        _fail(exc.detail, 1)
    except OSError as exc:
        _fail(str(exc), 3)
    except KeyboardInterrupt:
        sys.exit(130)
