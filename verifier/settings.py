"""Verifier configuration: one pydantic-settings class, read through :func:`get_settings`.

Environment variables (prefix ``TRUSTID_``, DESIGN §3): ``TRUST_LIST``, ``TRUST_ANCHOR``,
``ALLOW_INSECURE_HOSTS``, ``VERIFIER_STATUS_MAX_AGE``, ``VERIFIER_STALE_IF_ERROR``
(seconds, default 3600, at most 86400), ``VERIFIER_MAX_CONNECTIONS``,
``VERIFIER_HEADER_TIMEOUT``, ``DATA_DIR``, ``DATABASE_URL``
(or ``VERIFIER_DATABASE_URL`` when the issuer's database URL is set in the same
environment), ``VERIFIER_URL``, ``VERIFIER_RATE_LIMIT``, ``PROTOCOL_RATE_LIMIT`` (per client address, the OpenID4VP endpoints), ``REDIS_URL`` (rate limits shared by all replicas), ``REDIS_KEY_PREFIX``,
``METRICS_TOKEN`` (operator Bearer token for ``/metrics``), ``ALLOW_PRIVATE_HOSTS``
(internal issuers reached over verified https), ``CA_FILE`` (extra CA certificates for
outbound https), ``DB_POOL_SIZE`` / ``DB_MAX_OVERFLOW`` / ``DB_POOL_TIMEOUT`` (the
PostgreSQL connection pool of each process), ``MASTER_KEY`` (base64url KEK sealing the
verifier's own keys; default ``<data_dir>/verifier-master.key``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vcore.outbound import parse_allow_list, parse_private_hosts

__all__ = ["VerifierSettings", "get_settings"]


class VerifierSettings(BaseSettings):
    """Settings of one verifier process."""

    model_config = SettingsConfigDict(env_prefix="TRUSTID_", extra="ignore")

    trust_list: str | None = Field(
        default=None, description="Path or http(s) URL of the trust list (JSON or trustlist+jwt)."
    )
    trust_anchor: Path | None = Field(
        default=None, description="Public JWK file of the trust anchor; requires a signed list."
    )
    allow_insecure_hosts: str = Field(
        default="", description="Comma-separated host[:port] reachable over http / privately."
    )
    allow_private_hosts: str = Field(
        default="",
        description="Comma-separated host[:port] that may resolve to a loopback or private "
        "address (issuers on an internal network), still reached over verified https only.",
    )
    ca_file: Path | None = Field(
        default=None,
        description="PEM file of CA certificates trusted for outbound https in addition to "
        "the certifi bundle (an internal or test CA); verification is never switched off.",
    )
    db_pool_size: int = Field(
        default=5, ge=1, le=1000, description="Connections kept open per process (PostgreSQL)."
    )
    db_max_overflow: int = Field(
        default=10, ge=0, le=1000, description="Connections opened above the pool under load."
    )
    db_pool_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Seconds to wait for a free connection."
    )
    verifier_status_max_age: int | None = Field(
        default=None, ge=0, description="Cap on status-list caching in seconds (0 = refetch)."
    )
    verifier_stale_if_error: int = Field(
        default=3600,
        ge=0,
        le=86400,
        description="Seconds a cached status list is served while its issuer is unreachable "
        "(then status_unavailable: fail closed); default 1 h, at most 24 h.",
    )
    verifier_max_connections: int = Field(
        default=1000, ge=1, description="Concurrent connections per process (then 503)."
    )
    verifier_header_timeout: float = Field(
        default=10.0, gt=0, le=300, description="Seconds for a request's complete headers."
    )
    verifier_require_key_binding: bool = Field(
        default=False,
        description="Refuse bare credentials on /credentials/verify and /verify/qr "
        "(kb_jwt_required): only presentations with a challenge, where an SD-JWT VC "
        "carries a KB-JWT, are accepted.",
    )
    data_dir: Path = Path("./var")
    database_url: str | None = None
    verifier_database_url: str | None = None
    verifier_url: str = "http://127.0.0.1:8200"
    verifier_rate_limit: int = Field(default=600, ge=1, description="Requests per minute per key.")
    protocol_rate_limit: int = Field(
        default=300,
        ge=0,
        le=1_000_000,
        description="Requests per minute per client address to the OpenID4VP endpoints "
        "wallets call without an API key (0: no limit).",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis:// URL; when set, rate limits are counted across all replicas.",
    )
    metrics_token: str | None = Field(
        default=None,
        description="Operator Bearer token for /metrics; without it /metrics is open only "
        "while no API client exists.",
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="Base64url 32-byte key sealing the verifier's signing key at rest "
        "(default: <data_dir>/verifier-master.key, created 0600).",
    )
    redis_key_prefix: str = Field(
        default="trustid:ratelimit",
        min_length=1,
        description="Prefix of the rate-limit keys in Redis (one per deployment sharing it).",
    )

    @field_validator("ca_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def allow_hosts(self) -> frozenset[str]:
        """Parsed ``TRUSTID_ALLOW_INSECURE_HOSTS`` with ``TRUSTID_ALLOW_PRIVATE_HOSTS``."""
        return parse_allow_list(self.allow_insecure_hosts) | parse_private_hosts(
            self.allow_private_hosts
        )

    @property
    def status_max_age(self) -> timedelta | None:
        """The operator's cap on status-list caching, if any."""
        if self.verifier_status_max_age is None:
            return None
        return timedelta(seconds=self.verifier_status_max_age)

    @property
    def stale_if_error(self) -> timedelta:
        """The stale-if-error window of status lists."""
        return timedelta(seconds=self.verifier_stale_if_error)

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL: explicit, or SQLite under the data directory."""
        url = self.verifier_database_url or self.database_url
        if url:
            return url
        return f"sqlite:///{(self.data_dir / 'verifier.db').resolve()}"

    @property
    def audience(self) -> str:
        """The default audience (``domain``) presentations must be addressed to."""
        return self.verifier_url.rstrip("/")


def get_settings() -> VerifierSettings:
    """Read the settings from the environment (called by the app factory, never at import)."""
    return VerifierSettings()
