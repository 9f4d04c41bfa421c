"""Wallet settings from the environment (DESIGN §3 "Wallet").

One pydantic-settings class, read through :func:`load_settings` when a command runs;
nothing is built at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["WalletSettings", "load_settings"]


class WalletSettings(BaseSettings):
    """Environment of the wallet CLI.

    Attributes:
        wallet_home: ``TRUSTID_WALLET_HOME``: where the vault lives.
        wallet_passphrase: ``TRUSTID_WALLET_PASSPHRASE``: vault passphrase for scripts.
        wallet_new_passphrase: ``TRUSTID_WALLET_NEW_PASSPHRASE``: the new vault passphrase
            for a scripted ``passphrase`` change.
        wallet_backup_passphrase: ``TRUSTID_WALLET_BACKUP_PASSPHRASE``: backup passphrase
            for scripted ``export``/``import``.
        wallet_test_kdf: ``TRUSTID_WALLET_TEST_KDF``: allow (and use) the cheap KDF
            profile; for the test suite only.
        allow_insecure_hosts: ``TRUSTID_ALLOW_INSECURE_HOSTS``: ``host[:port]`` list that
            may be reached over plain http or on loopback/private addresses.
        wallet_verifier_key: ``TRUSTID_WALLET_VERIFIER_KEY``: bearer key for ``verify``.
    """

    model_config = SettingsConfigDict(env_prefix="TRUSTID_", extra="ignore")

    wallet_home: Path = Field(default_factory=lambda: Path.home() / ".trustid-wallet")
    wallet_passphrase: SecretStr | None = None
    wallet_new_passphrase: SecretStr | None = None
    wallet_backup_passphrase: SecretStr | None = None
    wallet_test_kdf: bool = False
    allow_insecure_hosts: str = ""
    wallet_verifier_key: SecretStr | None = None


def load_settings() -> WalletSettings:
    """Read the settings from the environment now."""
    return WalletSettings()
