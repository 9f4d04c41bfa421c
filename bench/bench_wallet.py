"""Wallet benchmark: what a citizen waits for, and where it goes.

Run: .venv/bin/python bench/bench_wallet.py

Prints, side by side in one run:

* Argon2id key derivation at the DESIGN §4 profile (256 MiB, t=3) against the test
  profile (8 MiB, t=1): the deliberate cost of a guess, paid once per command;
* wall time of real `python -m wallet_cli.cli` processes (`--help`, `list`, `receive`)
  with the real profile, against the derivation alone and against bare interpreter
  start-up, so the share of start-up/imports versus the KDF is visible;
* the import time of the modules every command loads (typer, pydantic-settings, vcore).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vcore.clock import system_clock
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import did_jwk_for, holder_kid
from vcore.formats import sign_credential
from vcore.keys import generate_key
from vcore.signing import SoftwareSigner
from wallet_cli.store import DEFAULT_KDF, TEST_KDF, VAULT_MAGIC, KdfParams, SealingKey

RUNS = 3
PASSPHRASE = "bench passphrase"


def _median(fn: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _derive(params: KdfParams) -> float:
    return _median(lambda: SealingKey.derive(PASSPHRASE, magic=VAULT_MAGIC, params=params))


def _process(args: list[str], env: dict[str, str]) -> float:
    def run() -> None:
        subprocess.run(
            [sys.executable, *args], env=env, check=True, capture_output=True, timeout=120
        )

    return _median(run)


def _import_time(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return statistics.median(
        float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(RUNS)
    )


def main() -> None:
    real, cheap = _derive(DEFAULT_KDF), _derive(TEST_KDF)
    print("Argon2id derivation (median of 3)")
    print(f"  DESIGN profile m=256 MiB t=3 : {real * 1000:8.0f} ms")
    print(f"  test profile   m=8 MiB   t=1 : {cheap * 1000:8.0f} ms  ({real / cheap:.0f}x cheaper)")

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "wallet"
        env = {
            **os.environ,
            "TRUSTID_WALLET_HOME": str(home),
            "TRUSTID_WALLET_PASSPHRASE": PASSPHRASE,
        }
        env.pop("TRUSTID_WALLET_TEST_KDF", None)
        wallet = ["-m", "wallet_cli.cli"]
        subprocess.run([sys.executable, *wallet, "init"], env=env, check=True, capture_output=True)
        did = subprocess.run(
            [sys.executable, *wallet, "did"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        issuer = generate_key()
        issuer_did = did_jwk_for(issuer.public_key())
        now = system_clock()
        files = []
        for i in range(1):
            credential = build_credential(
                issuer=issuer_did,
                credential_type="ResidentIdentityCredential",
                subject={"givenName": "Mei", "familyName": "Zhang"},
                holder=did,
                credential_id=new_credential_id(),
                valid_from=now,
                valid_until=None,
            )
            path = Path(tmp) / f"c{i}.jwt"
            path.write_text(
                sign_credential(credential, SoftwareSigner(issuer, holder_kid(issuer_did)))
            )
            files.append(path)
        bare = _process(["-c", "pass"], env)
        help_ = _process([*wallet, "--help"], env)
        listing = _process([*wallet, "list"], env)
        # The first run stores it; later runs check it again and find it already there.
        receive = _process([*wallet, "receive", str(files[0])], env)

    print("\nWallet commands as processes, DESIGN KDF profile (median of 3)")
    print(f"  python -c pass         : {bare * 1000:8.0f} ms")
    print(f"  trustid-wallet --help  : {help_ * 1000:8.0f} ms  (start-up and imports only)")
    print(f"  trustid-wallet list    : {listing * 1000:8.0f} ms  (KDF {real / listing:.0%} of it)")
    print(f"  trustid-wallet receive : {receive * 1000:8.0f} ms  (KDF {real / receive:.0%} of it)")

    print("\nImport time of what every command loads (median of 3)")
    for module in ("typer", "pydantic_settings", "vcore.credentials", "vcore.verify"):
        print(f"  {module:20s}: {_import_time(module) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
