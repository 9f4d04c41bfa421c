"""The verifier's own identity: created once, kept sealed, the same after a restart, and a
clear refusal under another master key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from vcore.keys import b64url_encode
from verifier.errors import MasterKeyError
from verifier.identity import load_identity
from verifier.keystore import load_kek
from verifier.storage import make_engine

URL = "https://verifier.example:8443/counter"


def test_created_on_first_start_then_reused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'v.db'}")
    kek = load_kek(None, tmp_path)
    key_file = tmp_path / "verifier-master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = load_identity(engine, kek, URL)
    again = load_identity(engine, load_kek(None, tmp_path), URL)
    assert first.did == "did:web:verifier.example%3A8443:counter"
    assert first.kid == again.kid
    assert again.did_document()["verificationMethod"][0]["id"] == first.kid
    # Stored sealed: the private key's bytes are not in the database file.
    assert first.key.to_der() not in (tmp_path / "v.db").read_bytes()


def test_another_master_key_is_a_clear_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'v.db'}")
    load_identity(engine, load_kek(None, tmp_path), URL)
    other = load_kek(b64url_encode(os.urandom(32)), tmp_path)
    with pytest.raises(MasterKeyError, match="same TRUSTID_MASTER_KEY"):
        load_identity(engine, other, URL)


def test_unsafe_or_malformed_master_keys_are_refused(tmp_path: Path) -> None:
    load_kek(None, tmp_path)
    (tmp_path / "verifier-master.key").chmod(0o644)
    with pytest.raises(MasterKeyError, match="readable by group or others"):
        load_kek(None, tmp_path)
    with pytest.raises(MasterKeyError, match="32 bytes"):
        load_kek(b64url_encode(b"short"), tmp_path)
    with pytest.raises(MasterKeyError, match="base64url"):
        load_kek("not base64!", tmp_path)
