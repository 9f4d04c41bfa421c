"""Which database an admin command acts on, and the refusal when there is none.

``trustid-issuer agency list`` run in the wrong directory used to create ``./var`` with
an empty database and print an empty table, which looks like "all agencies are gone".
Now every command that opens the database first says where it is (one line on stderr)
and only ``serve`` creates a new one without being asked. Commands that create
something (``agency create``) may start a new database too, but only in a data directory
named explicitly with ``TRUSTID_DATA_DIR`` (a first setup script); everything else
refuses, with the fix, when the embedded SQLite database does not exist. A database
given by ``TRUSTID_DATABASE_URL`` is taken as it is (its server says if it is missing).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from issuer.errors import ConfigurationError
from issuer.settings import IssuerSettings

__all__ = ["SQLITE_FILE", "database_exists", "describe_database", "require_database"]

SQLITE_FILE = "issuer.db"


def _data_dir(settings: IssuerSettings) -> Path:
    return settings.data_dir.expanduser().resolve()


def database_exists(settings: IssuerSettings) -> bool:
    """False only when the embedded SQLite database has not been created yet."""
    if settings.database_url is not None:
        return True
    return (_data_dir(settings) / SQLITE_FILE).is_file()


def describe_database(settings: IssuerSettings) -> str:
    """Where the data is, for people: the data directory, or the URL without password."""
    if settings.database_url is None:
        return f"data directory {_data_dir(settings)}"
    try:
        url = make_url(settings.database_url.get_secret_value()).render_as_string(
            hide_password=True
        )
    except ArgumentError:
        url = "(unparsable TRUSTID_DATABASE_URL)"
    return f"database {url} (TRUSTID_DATABASE_URL)"


def require_database(settings: IssuerSettings, *, may_create: bool = False) -> bool:
    """Refuse to act on a database that does not exist; True when one will be created.

    Args:
        settings: The command's settings.
        may_create: The command creates something (``agency create``): a new database
            is acceptable in a data directory named by ``TRUSTID_DATA_DIR``.

    Raises:
        ConfigurationError: no database here, and this command may not start one.
    """
    if database_exists(settings):
        return False
    explicit = "data_dir" in settings.model_fields_set
    if may_create and explicit:
        return True
    where = _data_dir(settings)
    if explicit:
        hint = (
            f"set TRUSTID_DATA_DIR to the issuer's data directory (now {settings.data_dir}), "
            "or start a new issuer there with `trustid-issuer serve`"
        )
    else:
        hint = (
            "run this in the directory where `trustid-issuer serve` runs, or set "
            "TRUSTID_DATA_DIR to its data directory (TRUSTID_DATA_DIR is not set: the "
            "default is ./var in the current directory); a new issuer starts with "
            "`trustid-issuer serve`"
        )
    raise ConfigurationError(f"no issuer database in {where}: {hint}")
