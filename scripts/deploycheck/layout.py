"""The layout: database, Redis prefix, CA, two issuers, nginx, two verifiers."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

from scripts.deploycheck.certificates import HOST, client_tls, make_test_ca
from scripts.deploycheck.nginx import Limits, nginx_config
from scripts.deploycheck.processes import (
    Proc,
    SetupError,
    free_ports,
    run_cli,
    run_clis,
    spawn,
    wait_healthy,
)

__all__ = ["RESIDENT", "Layout", "publish", "start_layout"]

RESIDENT = "ResidentIdentityCredential"


@dataclass
class Layout:
    """Everything the checks talk to."""

    work: Path
    static: Path
    ca: Path
    issuer_env: dict[str, str]
    verifier_env: dict[str, str]
    ports: dict[str, int]  # nginx listeners: issuers, issuer_a, issuer_b, verifiers, ...
    nginx: Proc
    agency_key: str
    client_key: str
    claims: dict[str, Any]
    procs: list[Proc]

    def url(self, listener: str) -> str:
        """The https URL of an nginx listener."""
        return f"https://{HOST}:{self.ports[listener]}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database (dropped afterwards); yields its SQLAlchemy URL."""
    name = f"trustid_deploy_{secrets.token_hex(5)}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise SetupError(f"PostgreSQL at {admin_url}: {exc}") from exc
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with (
            suppress(psycopg.Error),
            psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin,
        ):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_prefix(url: str) -> Iterator[str]:
    """A key prefix of its own on the Redis at ``url`` (its keys deleted afterwards)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise SetupError(f"Redis at {url}: {exc}") from exc
    prefix = f"trustid:deploycheck:{secrets.token_hex(4)}"
    try:
        yield prefix
    finally:
        with suppress(redis.RedisError):
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)
        client.close()


def start_layout(
    stack: ExitStack, work: Path, *, pg_admin: str, redis_url: str, nginx: str, limits: Limits
) -> Layout:
    """Start everything (stopped and removed by ``stack``); raises SetupError."""
    logs = work / "logs"
    logs.mkdir()
    begun = time.monotonic()

    def step(what: str) -> None:
        print(f"  {time.monotonic() - begun:5.1f} s  {what}", file=sys.stderr, flush=True)

    static = work / "static"
    ca, cert, key = make_test_ca(work)
    database = stack.enter_context(postgres_database(pg_admin))
    prefix = stack.enter_context(redis_prefix(redis_url))
    step("test CA, fresh database, Redis prefix")
    names = ["issuers", "issuer_a", "issuer_b", "verifiers", "verifier_a", "verifier_b"]
    ports = free_ports(10)
    backend = dict(
        zip(["issuer_a", "issuer_b", "verifier_a", "verifier_b"], ports[:4], strict=True)
    )
    listen = dict(zip(names, ports[4:], strict=True))
    issuer_url = f"https://{HOST}:{listen['issuers']}"
    clean = {"TRUSTID_ALLOW_INSECURE_HOSTS": "", "SSL_CERT_FILE": "", "SSL_CERT_DIR": ""}
    issuer_env = {
        **clean,
        "TRUSTID_DATABASE_URL": database,
        "TRUSTID_MASTER_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
        "TRUSTID_ISSUER_URL": issuer_url,
        "TRUSTID_DATA_DIR": str(work / "issuer"),
        "TRUSTID_DB_POOL_SIZE": "4",
        "TRUSTID_DB_MAX_OVERFLOW": "4",
    }
    procs: list[Proc] = []

    def stop_all() -> None:
        for proc in reversed(procs):
            proc.stop()

    stack.callback(stop_all)
    py = sys.executable
    for name in ("issuer_a", "issuer_b"):
        procs.append(
            spawn(
                name,
                [
                    py,
                    "-m",
                    "issuer.cli",
                    "serve",
                    "--port",
                    str(backend[name]),
                    "--log-level",
                    "warning",
                ],
                issuer_env,
                logs,
            )
        )
    # The CLI steps beside the issuers' start: each process migrates and bootstraps under
    # one PostgreSQL advisory lock, so whichever comes first creates the signing key.
    agency, entry, _published = run_clis(
        [
            ("issuer.cli", ["agency", "create", "Deploy Check", "--types", RESIDENT, "--json"]),
            ("issuer.cli", ["trust-entry", "--json"]),
            ("issuer.cli", ["publish", "--out", str(static), "--json"]),
        ],
        issuer_env,
    )
    schema = json.loads((static / "schemas" / RESIDENT).read_text())
    claims: dict[str, Any] = schema["examples"][0]
    wait_healthy([(p, backend[p.name]) for p in procs], 90)
    step("issuers up, agency, trust entry, first publish")
    trust = work / "trust"
    trust.mkdir()
    (trust / "trust-list.json").write_text(json.dumps({"issuers": [entry]}))

    # nginx's workers run as nobody under root: they must read the static files.
    for path in (work, static, trust):
        path.chmod(0o755)
    (work / "nginx-temp").mkdir()
    conf = work / "nginx.conf"
    conf.write_text(
        nginx_config(
            work,
            tls=(cert, key),
            static=static,
            trust=trust,
            limits=limits,
            listeners=listen,
            upstreams={
                "issuers": [backend["issuer_a"], backend["issuer_b"]],
                "issuer_a": [backend["issuer_a"]],
                "issuer_b": [backend["issuer_b"]],
                "verifiers": [backend["verifier_a"], backend["verifier_b"]],
                "verifier_a": [backend["verifier_a"]],
                "verifier_b": [backend["verifier_b"]],
            },
        )
    )
    test = subprocess.run(  # noqa: S603 - the nginx binary named on the command line
        [nginx, "-t", "-q", "-c", str(conf), "-p", str(work), "-e", str(work / "nginx-error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    if test.returncode != 0:
        raise SetupError(f"nginx -t refused the configuration: {test.stderr.strip()}")
    nginx_proc = spawn(
        "nginx",
        [nginx, "-c", str(conf), "-p", str(work), "-e", str(work / "nginx-error.log")],
        {},
        logs,
    )
    procs.append(nginx_proc)
    _wait_tls(listen["issuers"], ca, nginx_proc)  # the verifiers load the trust list from it

    verifier_env = {
        **clean,
        "TRUSTID_DATABASE_URL": database,
        "TRUSTID_VERIFIER_URL": f"https://{HOST}:{listen['verifiers']}",
        # Replicas share the database, so they share the KEK sealing its OpenID4VP key.
        "TRUSTID_MASTER_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
        # Over https through nginx: the verifier's start-up check and its loader both
        # need TRUSTID_CA_FILE and TRUSTID_ALLOW_PRIVATE_HOSTS for it.
        "TRUSTID_TRUST_LIST": f"https://{HOST}:{listen['issuers']}/trust-list.json",
        "TRUSTID_CA_FILE": str(ca),
        "TRUSTID_ALLOW_PRIVATE_HOSTS": f"{HOST}:{listen['issuers']}",
        "TRUSTID_REDIS_URL": redis_url,
        "TRUSTID_REDIS_KEY_PREFIX": prefix,
        "TRUSTID_VERIFIER_STATUS_MAX_AGE": "0",
        "TRUSTID_DB_POOL_SIZE": "4",
        "TRUSTID_DB_MAX_OVERFLOW": "4",
    }
    verifiers = []
    for name in ("verifier_a", "verifier_b"):
        env = {**verifier_env, "TRUSTID_DATA_DIR": str(work / name)}
        verifiers.append(
            spawn(
                name,
                [
                    py,
                    "-m",
                    "verifier.cli",
                    "serve",
                    "--port",
                    str(backend[name]),
                    "--log-level",
                    "warning",
                ],
                env,
                logs,
            )
        )
    procs.extend(verifiers)
    client = run_cli(
        "verifier.cli",
        ["client", "create", "Deploy Check Agency", "--json"],
        {**verifier_env, "TRUSTID_DATA_DIR": str(work / "verifier_a")},
    )
    wait_healthy([(p, backend[p.name]) for p in verifiers], 90)
    step("nginx and verifiers up, API client")
    return Layout(
        work=work,
        static=static,
        ca=ca,
        issuer_env=issuer_env,
        verifier_env={**verifier_env, "TRUSTID_DATA_DIR": str(work / "verifier_a")},
        ports=listen,
        nginx=nginx_proc,
        agency_key=agency["api_key"],
        client_key=client["api_key"],
        claims=claims,
        procs=procs,
    )


def _wait_tls(port: int, ca: Path, nginx: Proc, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if nginx.proc.poll() is not None:
            raise SetupError(f"nginx exited:\n{nginx.tail()}")
        try:
            httpx.get(f"https://{HOST}:{port}/healthz", verify=client_tls(ca), timeout=1)
            return
        except httpx.HTTPError as exc:
            if time.monotonic() > deadline:
                raise SetupError(f"nginx not answering on {port}: {exc}") from exc
            time.sleep(0.1)


def publish(layout: Layout) -> None:
    """``trustid-issuer publish --out DIR``, then reload nginx.

    The ETags in nginx-headers.conf change with the lists, so nginx must read it again.
    """
    run_cli("issuer.cli", ["publish", "--out", str(layout.static), "--json"], layout.issuer_env)
    layout.nginx.proc.send_signal(signal.SIGHUP)
    # The new workers take over gracefully: wait until they send the new ETags (an old
    # worker would send the new file under the old ETag, which the check would report).
    wanted = {
        path: headers["ETag"]
        for path, headers in json.loads((layout.static / "headers.json").read_text()).items()
        if path.startswith("status-lists/")
    }
    deadline = time.monotonic() + 10
    served: dict[str, str | None] = {}
    while True:
        # A fresh connection per round: an old worker closes its keep-alive connections
        # as it exits, which is the reload working, not a failure.
        try:
            with httpx.Client(verify=client_tls(layout.ca), timeout=5) as http:
                served = {
                    p: http.get(f"{layout.url('issuers')}/{p}").headers.get("etag") for p in wanted
                }
        except httpx.TransportError:
            served = {}
        if served == wanted:
            return
        if time.monotonic() > deadline:
            raise SetupError(f"nginx did not reload within 10 s: {served} != {wanted}")
        time.sleep(0.1)
