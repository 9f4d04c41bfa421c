"""What the issuer's commands print: JSON, tables, times, and where they act.

Data goes to stdout (``--json`` for scripts); where a command acts (the data directory
or database, :mod:`issuer.data_dir`) and errors go to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from issuer.data_dir import describe_database, require_database
from issuer.service import IssuerServices, open_services
from issuer.settings import get_settings
from vcore.clock import format_datetime

__all__ = ["JsonFlag", "admin_services", "new_table", "print_json", "when"]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def print_json(value: object) -> None:
    """Print ``value`` as indented JSON (UTF-8 kept as is)."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def new_table(*columns: str) -> Table:
    """A rich table with these column headers."""
    return Table(*columns, show_header=True, header_style="bold")


def when(value: datetime | None) -> str | None:
    """A time as RFC 3339 UTC, or None."""
    return format_datetime(value) if value is not None else None


@contextmanager
def admin_services(*, creates: bool = False) -> Iterator[IssuerServices]:
    """Open the services of an admin command, after saying which database it acts on.

    Refuses (exit 3, with the fix) when there is no database, unless the command
    ``creates`` something in an explicitly named data directory (:mod:`issuer.data_dir`).
    """
    settings = get_settings()
    new = require_database(settings, may_create=creates)
    where = describe_database(settings)
    typer.echo(f"trustid-issuer: {where}{' (new database)' if new else ''}", err=True)
    services = open_services(settings)
    try:
        yield services
    finally:
        services.close()
