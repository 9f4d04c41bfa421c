"""Real processes against one vault: SIGKILL at random points, and concurrent writers."""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from wallet_cli.records import CredentialRecord, WalletContents
from wallet_cli.store import TEST_KDF, Vault, write_backup

from .conftest import BACKUP_PASSPHRASE, PASSPHRASE, OfflineIssuer, WalletRunner, wallet_env

KILLS = 100
SEQUENCES = 2  # independent vaults killed in parallel, one per core


def _command(home: Path, *args: str, capture: bool = False) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "wallet_cli.cli", *args],
        env={**os.environ, **wallet_env(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
    )


def _ids(home: Path) -> frozenset[str]:
    return frozenset(c.id for c in Vault(home, PASSPHRASE, allow_test_kdf=True).load().credentials)


def _prepare(
    tmp_path: Path, name: str, issuer: OfflineIssuer, count: int
) -> tuple[Path, list[Path]]:
    """A wallet, and ``count`` backups of it each holding one new credential to import."""
    home = tmp_path / name
    runner = WalletRunner(home)
    runner.ok("init")
    holder = Vault(home, PASSPHRASE, allow_test_kdf=True).load().holder
    backups = []
    for i in range(count):
        record = CredentialRecord(
            id="", token=issuer.issue(holder.did), received_at="2026-11-23T12:00:00Z"
        )
        record.id = record.view.id or ""
        path = tmp_path / f"{name}-{i}.tid"
        write_backup(
            path,
            WalletContents(holder=holder, credentials=[record]),
            BACKUP_PASSPHRASE,
            params=TEST_KDF,
        )
        backups.append(path)
    return home, backups


def _full_run_seconds(tmp_path: Path, issuer: OfflineIssuer) -> float:
    """How long an uninterrupted import + remove takes here (kill points are drawn in it)."""
    home, files = _prepare(tmp_path, "calibrate", issuer, 3)
    times = []
    for path in files:
        for kind in ("import", "remove"):
            args = ("import", str(path)) if kind == "import" else (kind, min(_ids(home)), "--yes")
            start = time.monotonic()
            assert _command(home, *args).wait(timeout=60) == 0
            times.append(time.monotonic() - start)
    return statistics.median(times)


def _kill_sequence(
    home: Path,
    files: list[Path],
    kills: int,
    window: float,
    seed: int,
    failures: list[str],
    outcomes: list[str],
) -> None:
    rng = random.Random(seed)  # noqa: S311 - test scheduling, not security
    current = _ids(home)
    pending = list(files)
    # Kill timing drifts with machine load; steer the window towards the write point so the
    # kills keep straddling it (old after an early kill, new after a late one).
    scale = 1.0
    for attempt in range(kills):
        if current and (not pending or rng.random() < 0.4):
            victim = rng.choice(sorted(current))
            expected_new = current - {victim}
            proc = _command(home, "remove", victim, "--yes")
        else:
            path = pending.pop()
            proc = _command(home, "import", str(path))
            expected_new = None  # one more credential, id unknown until read
        # The first half of a run is interpreter start-up and imports, which touch nothing;
        # the kill points cover the rest: key derivation, decrypt, write, fsync, rename, exit.
        time.sleep(rng.uniform(0.5 * window, 1.1 * window) * scale)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        try:
            after = _ids(home)
        except Exception as exc:  # noqa: BLE001 - any failure to open is the bug we look for
            failures.append(f"kill {attempt}: vault does not open: {exc}")
            return
        if expected_new is None:
            grown = len(after) == len(current) + 1 and current < after
            if not (after == current or grown):
                failures.append(f"kill {attempt}: {sorted(current)} -> {sorted(after)}")
                return
            if after == current:
                pending.insert(0, path)  # the import did not land: try it again later
        elif after not in (current, expected_new):
            failures.append(f"kill {attempt}: {sorted(current)} -> {sorted(after)}")
            return
        outcomes.append("old" if after == current else "new")
        scale = min(scale * 1.08, 4.0) if after == current else max(scale * 0.93, 0.25)
        current = after


@pytest.mark.slow
def test_sigkill_at_random_points_leaves_old_or_new_content(
    tmp_path: Path, issuer: OfflineIssuer
) -> None:
    window = _full_run_seconds(tmp_path, issuer)
    per_sequence = KILLS // SEQUENCES
    failures: list[str] = []
    outcomes: list[str] = []
    threads = []
    homes = []
    for n in range(SEQUENCES):
        home, files = _prepare(tmp_path, f"seq{n}", issuer, per_sequence)
        homes.append(home)
        threads.append(
            threading.Thread(
                target=_kill_sequence,
                args=(home, files, per_sequence, window, n, failures, outcomes),
            )
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(outcomes) == KILLS
    # The kill points straddle the write: some runs died before it, some after.
    assert outcomes.count("old") >= 5, outcomes
    assert outcomes.count("new") >= 5, outcomes
    for home in homes:
        # After all that, a normal write still works and leaves no temp file behind.
        runner = WalletRunner(home)
        runner.ok("list")
        ids = sorted(_ids(home))
        if ids:
            runner.ok("remove", ids[0], "--yes")
        assert sorted(p.name for p in home.iterdir()) == [".lock", "vault"]


def test_concurrent_receives_both_land(tmp_path: Path, issuer: OfflineIssuer) -> None:
    home = tmp_path / "together"
    runner = WalletRunner(home)
    runner.ok("init")
    files = []
    for i in range(2):
        files.append(tmp_path / f"c{i}.jwt")
        files[-1].write_text(issuer.issue(runner.did()))
    procs = [_command(home, "receive", str(path), capture=True) for path in files]
    results = [(p.communicate(timeout=60)[1], p.returncode) for p in procs]
    assert all(code == 0 for _, code in results), results
    assert len(_ids(home)) == len(files)
