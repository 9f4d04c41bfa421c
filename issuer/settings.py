"""Issuer configuration: one pydantic-settings class, read through :func:`get_settings`.

Every variable carries the ``TRUSTID_`` prefix (DESIGN §3). Nothing is read at import
time: the CLI and ``create_app(settings=None)`` call :func:`get_settings` when they start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vcore.dids import did_web_from_url

__all__ = ["MAX_ISSUE_BODY", "IssuerSettings", "get_settings"]

MAX_ISSUE_BODY = 32 * 1024
"""Request body limit on the issuer (DESIGN §4: 32 KiB on issue)."""


class IssuerSettings(BaseSettings):
    """Issuer settings from ``TRUSTID_*`` environment variables.

    Attributes:
        data_dir: Where the SQLite database and ``master.key`` live (created 0700).
        database_url: SQLAlchemy URL; ``postgresql+psycopg://...`` for PostgreSQL.
            Default: SQLite file ``issuer.db`` under ``data_dir``.
        issuer_url: Public base URL; the issuer's did:web derives from it.
        issuer_name: Display name (trust-list entry).
        master_key: Base64url 32-byte key-encryption key. Default: ``<data_dir>/master.key``.
        types_dir: Extra credential type schemas (``<Type>.json``), added to the built-in ones.
        signing_alg: Algorithm of newly generated signing keys.
        status_list_size: Entries per new status list (W3C minimum 131,072; lower values
            are for tests that must fill a list).
        db_pool_size, db_max_overflow, db_pool_timeout: The PostgreSQL connection pool
            of each process (``TRUSTID_DB_POOL_SIZE``, ``TRUSTID_DB_MAX_OVERFLOW``,
            ``TRUSTID_DB_POOL_TIMEOUT`` seconds to wait for a connection).
        issuer_name_zh: The display name in Simplified Chinese (OpenID4VCI ``display``).
        offer_ttl: Seconds a credential offer stays redeemable (OpenID4VCI).
        batch_size: Most credentials one OpenID4VCI request may ask for (one per key).
        protocol_rate_limit: Requests per minute per client address to the OpenID4VCI
            endpoints a wallet calls without an API key (0: no limit).
    """

    model_config = SettingsConfigDict(env_prefix="TRUSTID_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: SecretStr | None = None
    issuer_url: str = "http://127.0.0.1:8100"
    issuer_name: str = Field(default="TrustID Demo Registry", min_length=1, max_length=200)
    master_key: SecretStr | None = None
    types_dir: Path | None = None
    signing_alg: Literal["ES256", "EdDSA"] = "ES256"
    status_list_size: int = Field(default=131_072, ge=64, le=8 * 1024 * 1024, multiple_of=8)
    db_pool_size: int = Field(default=10, ge=1, le=1000)
    db_max_overflow: int = Field(default=20, ge=0, le=1000)
    db_pool_timeout: float = Field(default=30.0, gt=0, le=600)
    issuer_name_zh: str = Field(default="TrustID 演示证照签发机构", min_length=1, max_length=200)
    offer_ttl: int = Field(default=900, ge=30, le=7 * 24 * 3600)
    batch_size: int = Field(default=5, ge=1, le=20)
    protocol_rate_limit: int = Field(default=300, ge=0, le=1_000_000)

    @field_validator("issuer_url")
    @classmethod
    def _check_issuer_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("TRUSTID_ISSUER_URL must be an absolute http(s) URL")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("TRUSTID_ISSUER_URL must not carry a query, fragment or user info")
        return value.strip().rstrip("/")

    @field_validator("database_url", "master_key", "types_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # An exported-but-empty variable means "use the default", as in most tools.
        return None if value == "" else value

    @property
    def issuer_did(self) -> str:
        """The issuer's did:web, derived from :attr:`issuer_url`."""
        return did_web_from_url(self.issuer_url)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL to connect to (SQLite under ``data_dir`` by default)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'issuer.db').resolve()}"

    @property
    def uses_sqlite(self) -> bool:
        """True when the database is SQLite (embedded default)."""
        return self.sqlalchemy_url.startswith("sqlite")


def get_settings() -> IssuerSettings:
    """Read the settings from the environment (call once per process or app)."""
    return IssuerSettings()
