#!/usr/bin/env python3
"""The deployment check of docs/deploy.md: the whole layout on loopback, checked end to end.

One command (``scripts/deploy_check.sh``) starts, in a temporary directory of its own:

* a throw-away test CA and a server certificate for ``localhost`` (``cryptography``);
* nginx (Debian's ``/usr/sbin/nginx``, a non-daemon child) with TLS from that CA, header
  and body timeouts, a per-address connection limit, a request size limit, and the
  issuer's static files from ``trustid-issuer publish --out DIR`` served with the
  service's own ETag and Cache-Control (``nginx-headers.conf``);
* two issuer and two verifier processes (``trustid-issuer serve`` / ``trustid-verifier
  serve``: uvicorn, as in production) on one fresh PostgreSQL database and one Redis
  (its own key prefix);

then issues and revokes through both issuers, verifies through both verifiers over
HTTPS via nginx with no ``TRUSTID_ALLOW_INSECURE_HOSTS`` (the verifiers trust the test
CA through ``TRUSTID_CA_FILE`` and may reach ``localhost`` through
``TRUSTID_ALLOW_PRIVATE_HOSTS``, https only), and checks that every answer agrees. It
prints a pass/fail table and exits 0 when every row passed, 1 when any failed, 2 when
the layout could not be started (the reason and the log files are printed).

Each replica is reachable through nginx on a port of its own ("pinned") so that the
check knows which process answered; the public issuer and verifier names balance over
both, as in production.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from vcore.dids import did_key_for
from vcore.keys import generate_key

ROOT = Path(__file__).resolve().parent.parent
RESIDENT = "ResidentIdentityCredential"
HOST = "localhost"
EXIT_FAILED = 1
EXIT_SETUP = 2


class SetupError(Exception):
    """The layout could not be started (not an inconsistency of TrustID's answers)."""


# ----------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of the table."""

    check: str
    expected: str
    observed: str
    ok: bool


@dataclass
class Results:
    """The table: one row per check."""

    rows: list[Row] = field(default_factory=list)

    def add(self, check: str, expected: object, observed: object) -> bool:
        """A row that passes when ``observed`` equals ``expected``."""
        ok = expected == observed
        self.rows.append(Row(check, str(expected), str(observed), ok))
        return ok

    def require(self, check: str, ok: bool, observed: str, expected: str = "yes") -> bool:
        """A row judged by the caller."""
        self.rows.append(Row(check, expected, observed, ok))
        return ok

    @property
    def passed(self) -> bool:
        """True when there are rows and every one passed."""
        return bool(self.rows) and all(r.ok for r in self.rows)

    def table(self) -> str:
        """The rows as a fixed-width table with a summary line."""
        widths = [
            max(len(h), *(len(getattr(r, a)) for r in self.rows))
            for h, a in (("check", "check"), ("expected", "expected"), ("observed", "observed"))
        ]
        line = "  ".join([f"{{:<{w}}}" for w in widths] + ["{}"])
        out = [line.format("check", "expected", "observed", "result")]
        out.append(line.format(*("-" * w for w in widths), "------"))
        for r in self.rows:
            out.append(line.format(r.check, r.expected, r.observed, "PASS" if r.ok else "FAIL"))
        failed = sum(not r.ok for r in self.rows)
        out.append(
            f"\n{len(self.rows) - failed} passed, {failed} failed"
            + ("" if failed else ": the deployment is consistent")
        )
        return "\n".join(out)


# ----------------------------------------------------------------------------- test CA


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_test_ca(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for localhost / 127.0.0.1 (one day).

    Returns the CA certificate, server certificate chain and server key paths.
    """
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("TrustID deployment check test CA (throw-away)")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    server = (
        x509.CertificateBuilder()
        .subject_name(_name(HOST))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (
        directory / "ca.crt",
        directory / "server.crt",
        directory / "server.key",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


# ----------------------------------------------------------------------------- nginx


@dataclass(frozen=True)
class Limits:
    """What nginx enforces in front of the services (docs/deploy.md's values)."""

    header_timeout: int = 10
    body_timeout: int = 30
    conn_per_ip: int = 50
    max_body: str = "8m"
    max_body_bytes: int = 8 * 1024 * 1024


def _server_block(port: int, upstream: str, tls: tuple[Path, Path], static: Path | None) -> str:
    cert, key = tls
    static_lines = (
        f"    root {static};\n    include {static}/nginx-headers.conf;\n" if static else ""
    )
    return f"""
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name {HOST};
    ssl_certificate     {cert};
    ssl_certificate_key {key};
{static_lines}    location / {{
      proxy_pass http://{upstream};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-Proto https;
      proxy_read_timeout 60s;
    }}
  }}
"""


def nginx_config(
    work: Path,
    *,
    tls: tuple[Path, Path],
    static: Path,
    limits: Limits,
    listeners: Mapping[str, int],
    upstreams: Mapping[str, list[int]],
) -> str:
    """The nginx configuration of the check (the one docs/deploy.md shows, on loopback)."""
    ups = "".join(
        f"  upstream {name} {{\n"
        + "".join(f"    server 127.0.0.1:{p};\n" for p in ports)
        + "    keepalive 8;\n  }\n"
        for name, ports in upstreams.items()
    )
    servers = "".join(
        _server_block(listeners[name], name, tls, static if name == "issuers" else None)
        for name in upstreams
    )
    temp = work / "nginx-temp"
    return f"""# Written by scripts/deploy_check.py (throw-away).
daemon off;
master_process on;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format check '$server_port "$request" $status "$http_user_agent" "$upstream_addr"';
  access_log {work}/nginx-access.log check;
  client_body_temp_path {temp}/body;
  proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi;
  scgi_temp_path {temp}/scgi;
  default_type application/octet-stream;
  server_tokens off;
  ssl_protocols TLSv1.2 TLSv1.3;

  client_header_timeout {limits.header_timeout}s;   # slowloris: headers buffered here first
  client_body_timeout   {limits.body_timeout}s;
  client_max_body_size  {limits.max_body};
  keepalive_timeout     15s;
  send_timeout          30s;
  limit_conn_zone $binary_remote_addr zone=perip:1m;
  limit_conn perip {limits.conn_per_ip};
  limit_conn_status 503;

{ups}{servers}}}
"""


# ----------------------------------------------------------------------------- processes


@dataclass
class Proc:
    """A child process and its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Terminate (then kill after 10 s) this child only."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def tail(self, lines: int = 15) -> str:
        """The last lines of the log."""
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])


def free_port() -> int:
    """A TCP port that was free a moment ago on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(n: int) -> list[int]:
    """``n`` distinct free ports."""
    ports: set[int] = set()
    while len(ports) < n:
        ports.add(free_port())
    return list(ports)


def spawn(name: str, args: list[str], env: Mapping[str, str], logs: Path) -> Proc:
    """Start a child with ``env`` over ours, output to ``logs/<name>.log``."""
    log = logs / f"{name}.log"
    with log.open("wb") as handle:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and nginx, no shell
            args, env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT
        )
    return Proc(name, proc, log)


def wait_healthy(procs: list[tuple[Proc, int]], timeout: float) -> None:
    """Wait until every process answers ``/healthz`` on its own port (plain http)."""
    pending = list(procs)
    deadline = time.monotonic() + timeout
    while pending:
        for item in list(pending):
            proc, port = item
            if proc.proc.poll() is not None:
                raise SetupError(f"{proc.name} exited early:\n{proc.tail()}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    pending.remove(item)
            except httpx.HTTPError:
                pass
        if pending and time.monotonic() > deadline:
            names = ", ".join(p.name for p, _ in pending)
            raise SetupError(f"not healthy within {timeout:.0f} s: {names}")
        if pending:
            time.sleep(0.2)


def run_cli(module: str, args: list[str], env: Mapping[str, str]) -> Any:
    """``python -m <module> <args> --json`` with ``env``; its JSON output."""
    result = subprocess.run(  # noqa: S603 - our own interpreter, no shell
        [sys.executable, "-m", module, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SetupError(f"{module} {' '.join(args)} failed: {result.stderr.strip()[-800:]}")
    out = result.stdout.strip()
    return json.loads(out) if out.startswith(("{", "[")) else out


# ----------------------------------------------------------------------------- the layout


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
    static = work / "static"
    ca, cert, key = make_test_ca(work)
    database = stack.enter_context(postgres_database(pg_admin))
    prefix = stack.enter_context(redis_prefix(redis_url))
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
    wait_healthy([(p, backend[p.name]) for p in procs], 90)
    agency = run_cli(
        "issuer.cli",
        ["agency", "create", "Deploy Check", "--types", RESIDENT, "--json"],
        issuer_env,
    )
    entry = run_cli("issuer.cli", ["trust-entry", "--json"], issuer_env)
    types = run_cli("issuer.cli", ["types", "list", "--json"], issuer_env)
    claims = next(t for t in types if t["type"] == RESIDENT)["schema"]["examples"][0]
    run_cli("issuer.cli", ["publish", "--out", str(static), "--json"], issuer_env)
    trust = work / "trust.json"
    trust.write_text(json.dumps({"issuers": [entry]}))

    # nginx's workers run as nobody under root: they must read the static files.
    for path in (work, static):
        path.chmod(0o755)
    (work / "nginx-temp").mkdir()
    conf = work / "nginx.conf"
    conf.write_text(
        nginx_config(
            work,
            tls=(cert, key),
            static=static,
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

    verifier_env = {
        **clean,
        "TRUSTID_DATABASE_URL": database,
        "TRUSTID_VERIFIER_URL": f"https://{HOST}:{listen['verifiers']}",
        "TRUSTID_TRUST_LIST": str(trust),
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
    _wait_tls(listen["issuers"], ca, nginx_proc)
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
            httpx.get(f"https://{HOST}:{port}/healthz", verify=_client_tls(ca), timeout=1)
            return
        except httpx.HTTPError as exc:
            if time.monotonic() > deadline:
                raise SetupError(f"nginx not answering on {port}: {exc}") from exc
            time.sleep(0.1)


def _client_tls(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


# ----------------------------------------------------------------------------- checks


def _token_id(response: httpx.Response) -> tuple[str, str]:
    enveloped = response.json()["verifiableCredential"]
    token = enveloped["id"].split(",", 1)[1]
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return token, payload.get("id") or payload["jti"]


def _verdict(response: httpx.Response) -> str:
    """``valid``, a problem code (``revoked``...), or ``http <status>``."""
    try:
        body = response.json()
    except ValueError:
        return f"http {response.status_code}"
    if response.status_code == 200 and body.get("verified") is True:
        return "valid"
    codes = (
        [p.get("code") for p in body.get("problemDetails", [])] if isinstance(body, dict) else []
    )
    if codes:
        return ",".join(str(c) for c in codes)
    return f"http {response.status_code} {body.get('code', '')}".strip()


def _headers(response: httpx.Response) -> dict[str, str | None]:
    return {
        "ETag": response.headers.get("etag"),
        "Cache-Control": response.headers.get("cache-control"),
        "Content-Type": (response.headers.get("content-type") or "").split(";")[0] or None,
    }


def check_static(results: Results, http: httpx.Client, layout: Layout, label: str) -> None:
    """Each published file: nginx sends the service's bytes, ETag and Cache-Control."""
    published: dict[str, dict[str, str]] = json.loads((layout.static / "headers.json").read_text())
    wanted = [p for p in published if p.startswith((".well-known/", "status-lists/"))]
    for path in sorted(wanted):
        via_nginx = http.get(f"{layout.url('issuers')}/{path}")
        service = http.get(f"{layout.url('issuer_a')}/{path}")  # pinned: the process itself
        same = (
            via_nginx.status_code == service.status_code == 200
            and via_nginx.content == service.content
            and _headers(via_nginx) == _headers(service) == dict(published[path])
        )
        observed = (
            "same"
            if same
            else (
                f"nginx {via_nginx.status_code} {_headers(via_nginx)} / "
                f"service {service.status_code} {_headers(service)}"
            )
        )
        results.require(
            f"{label}: /{path} from nginx = service (bytes, ETag, Cache-Control)",
            same,
            observed,
            "same",
        )


def check_fetched_through_nginx(results: Results, layout: Layout) -> None:
    """The verifiers' status-list fetches reached nginx's static files (its access log)."""
    port = str(layout.ports["issuers"])
    fetched: dict[str, int] = {}
    for line in (layout.work / "nginx-access.log").read_text().splitlines():
        parts = line.split('"')
        if len(parts) < 6 or parts[0].strip() != port or "TrustID-Verifier" not in parts[3]:
            continue
        if parts[1].startswith("GET /status-lists/"):
            # No upstream address: nginx answered from the file, not from an issuer.
            status = parts[2].strip() + (" static" if parts[5] == "-" else " proxied")
            fetched[status] = fetched.get(status, 0) + 1
    results.require(
        "verifiers fetched the status lists as nginx static files (access log)",
        sum(fetched.values()) > 0 and set(fetched) <= {"200 static", "304 static"},
        ", ".join(f"{n} x {code}" for code, n in sorted(fetched.items())) or "none",
        "200/304 static only",
    )


@dataclass(frozen=True)
class Probe:
    """A connection left half-sent: when nginx closed it, and what it said first."""

    closed: bool
    waited: float
    answer: bytes


def _tls_socket(layout: Layout, timeout: float) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", layout.ports["verifiers"]), timeout=timeout)
    return _client_tls(layout.ca).wrap_socket(raw, server_hostname=HOST)


def _probe(layout: Layout, payload: bytes, timeout: float) -> Probe:
    """Send ``payload`` and nothing more; wait (at most ``timeout``) for nginx to close."""
    with _tls_socket(layout, timeout) as sock:
        sock.sendall(payload)
        start = time.monotonic()
        answer = b""
        try:
            while chunk := sock.recv(4096):
                answer += chunk
            closed = True
        except TimeoutError:
            closed = False
        except (ssl.SSLError, OSError):
            closed = True
        return Probe(closed, time.monotonic() - start, answer[:12])


def start_slow_probes(layout: Layout, limits: Limits) -> dict[str, Future[Probe]]:
    """Half-sent headers and a half-sent body, in the background while the rest runs."""
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="probe")
    probes = {
        "header": pool.submit(
            _probe,
            layout,
            b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n",
            limits.header_timeout + 10,
        ),
        "body": pool.submit(
            _probe,
            layout,
            b"POST /credentials/verify HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
            limits.body_timeout + 10,
        ),
    }
    pool.shutdown(wait=False)
    return probes


def finish_slow_probes(results: Results, probes: dict[str, Future[Probe]], limits: Limits) -> None:
    """Each probe was closed by nginx after its timeout (and never reached a verifier)."""
    for name, directive, timeout in (
        ("header", "client_header_timeout", limits.header_timeout),
        ("body", "client_body_timeout", limits.body_timeout),
    ):
        probe = probes[name].result()
        answer = f" ({probe.answer.decode('latin-1').strip()})" if probe.answer else ""
        results.require(
            f"nginx drops a half-sent {name} after {directive} {timeout} s",
            probe.closed and timeout - 1 <= probe.waited <= timeout + 5,
            f"closed after {probe.waited:.1f} s{answer}" if probe.closed else "still open",
            f"closed after ~{timeout} s",
        )


def check_nginx_limits(results: Results, layout: Layout, limits: Limits) -> None:
    """Body size limit and the per-address connection limit of nginx."""
    context = _client_tls(layout.ca)

    def tls_socket() -> ssl.SSLSocket:
        return _tls_socket(layout, 10)

    # Over client_max_body_size: 413 before anything reaches a verifier.
    with httpx.Client(verify=context, timeout=10) as http:
        response = http.post(
            f"{layout.url('verifiers')}/credentials/verify",
            content=b"x" * (limits.max_body_bytes + 1),
            headers={"Content-Type": "application/json"},
        )
    results.add(
        f"nginx refuses a body over client_max_body_size {limits.max_body}",
        413,
        response.status_code,
    )

    # limit_conn: that many requests in progress from one address, then 503.
    held: list[ssl.SSLSocket] = []
    try:
        for _ in range(limits.conn_per_ip):
            sock = tls_socket()
            sock.sendall(
                b"POST /credentials/verify HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            held.append(sock)
        time.sleep(0.3)
        with httpx.Client(verify=context, timeout=10) as http:
            over = http.get(f"{layout.url('verifiers')}/healthz").status_code
    finally:
        for sock in held:
            sock.close()
    results.add(f"nginx limit_conn: request {limits.conn_per_ip + 1} from one address", 503, over)
    time.sleep(0.3)
    with httpx.Client(verify=context, timeout=10) as http:
        after = http.get(f"{layout.url('verifiers')}/healthz").status_code
    results.add("nginx limit_conn: served again once they closed", 200, after)


def run_checks(layout: Layout, limits: Limits) -> Results:
    """Every check, in order; the table."""
    results = Results()
    probes = start_slow_probes(layout, limits)
    context = _client_tls(layout.ca)
    issuer_auth = {"Authorization": f"Bearer {layout.agency_key}"}
    client_auth = {"Authorization": f"Bearer {layout.client_key}"}
    holder = did_key_for(generate_key().public_key())
    with httpx.Client(verify=context, timeout=30) as http:
        check_static(results, http, layout, "published")

        def issue(listener: str) -> tuple[str, str]:
            response = http.post(
                f"{layout.url(listener)}/credentials/issue",
                headers=issuer_auth,
                json={
                    "credential": {
                        "type": ["VerifiableCredential", RESIDENT],
                        "credentialSubject": {"id": holder, **layout.claims},
                    }
                },
            )
            if response.status_code != 201:
                raise SetupError(
                    f"issue via {listener}: {response.status_code} {response.text[:300]}"
                )
            return _token_id(response)

        def verify(listener: str, token: str, auth: Mapping[str, str] = client_auth) -> str:
            response = http.post(
                f"{layout.url(listener)}/credentials/verify",
                headers=dict(auth),
                json={"verifiableCredential": token},
            )
            return _verdict(response)

        def revoke(listener: str, credential_id: str) -> int:
            response = http.post(
                f"{layout.url(listener)}/credentials/status",
                headers=issuer_auth,
                json={
                    "credentialId": credential_id,
                    "credentialStatus": {
                        "type": "BitstringStatusListEntry",
                        "statusPurpose": "revocation",
                    },
                    "status": True,
                },
            )
            return response.status_code

        creds = {
            "A1": issue("issuer_a"),
            "B1": issue("issuer_b"),
            "A2": issue("issuer_a"),  # never revoked: the control
        }
        # A new credential may sit in a list published before it: republish first, as the
        # issuer's cron would (a list's bits only change on a status change).
        publish(layout)
        verifiers = ("verifier_a", "verifier_b")
        for name, (token, _id) in creds.items():
            for v in verifiers:
                results.add(
                    f"{name} (issued via issuer_{name[0].lower()}) on {v}",
                    "valid",
                    verify(v, token),
                )
        results.add(
            "A1 via the balanced verifier name", "valid", verify("verifiers", creds["A1"][0])
        )

        # Revoke across: A1 through issuer B, B1 through issuer A.
        results.add("revoke A1 through issuer_b", 200, revoke("issuer_b", creds["A1"][1]))
        results.add("revoke B1 through issuer_a", 200, revoke("issuer_a", creds["B1"][1]))
        # nginx still serves the published list: every verifier agrees it is valid until
        # the next publish (the documented publication delay, not an inconsistency).
        for name in ("A1", "B1"):
            seen = {v: verify(v, creds[name][0]) for v in verifiers}
            results.add(
                f"{name} revoked, not yet republished: both verifiers agree",
                "valid / valid",
                " / ".join(seen.values()),
            )
        publish(layout)
        check_static(results, http, layout, "republished")
        for name, want in (("A1", "revoked"), ("B1", "revoked"), ("A2", "valid")):
            for v in verifiers:
                results.add(f"{name} after republish on {v}", want, verify(v, creds[name][0]))

        check_api_keys(results, http, layout, creds["A2"][0], verify)
    check_fetched_through_nginx(results, layout)
    finish_slow_probes(results, probes, limits)
    check_nginx_limits(results, layout, limits)
    return results


def publish(layout: Layout) -> None:
    """``trustid-issuer publish --out DIR``, then reload nginx.

    The ETags in nginx-headers.conf change with the lists, so nginx must read it again.
    """
    run_cli("issuer.cli", ["publish", "--out", str(layout.static), "--json"], layout.issuer_env)
    layout.nginx.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)  # the new workers take over; old ones finish what they hold


def check_api_keys(
    results: Results,
    http: httpx.Client,
    layout: Layout,
    token: str,
    verify: Callable[..., str],
) -> None:
    """A removed API key is refused by every verifier at once; one rate budget for both.

    The rate limit is counted in Redis, so both verifiers share a key's budget.
    """
    env = layout.verifier_env
    limited = run_cli(
        "verifier.cli", ["client", "create", "Limited Agency", "--rate-limit", "4", "--json"], env
    )
    doomed = run_cli("verifier.cli", ["client", "create", "Revoked Agency", "--json"], env)
    doomed_auth = {"Authorization": f"Bearer {doomed['api_key']}"}
    for v in ("verifier_a", "verifier_b"):
        results.add(f"new API key accepted on {v}", "valid", verify(v, token, doomed_auth))
    # Both now hold the key in their caches; remove it through verifier A's CLI.
    run_cli("verifier.cli", ["client", "remove", "Revoked Agency"], env)
    removed_at = time.monotonic()
    for v in ("verifier_b", "verifier_a"):
        verdict = verify(v, token, doomed_auth)
        waited = 0.0
        while verdict != "http 401 unauthorized" and time.monotonic() - removed_at < 1.0:
            time.sleep(0.05)
            verdict = verify(v, token, doomed_auth)
        waited = time.monotonic() - removed_at
        results.add(
            f"removed API key refused on {v} (within 1 s; took {waited * 1000:.0f} ms)",
            "http 401 unauthorized",
            verdict,
        )
    batch_key = run_cli(
        "verifier.cli", ["client", "create", "Batch Agency", "--rate-limit", "4", "--json"], env
    )
    batch_auth = {"Authorization": f"Bearer {batch_key['api_key']}"}

    def batch(listener: str, n: int) -> int:
        items = [{"verifiableCredential": token}] * n
        response = http.post(
            f"{layout.url(listener)}/credentials/verify/batch",
            headers=batch_auth,
            json={"items": items},
        )
        return response.status_code

    results.add(
        "a batch counts its size: 3 on verifier_a, then 2 on verifier_b (4/min key)",
        "200, 429",
        f"{batch('verifier_a', 3)}, {batch('verifier_b', 2)}",
    )
    limited_auth = {"Authorization": f"Bearer {limited['api_key']}"}
    answers = [
        verify(v, token, limited_auth)
        for v in ("verifier_a", "verifier_b", "verifier_a", "verifier_b", "verifier_b")
    ]
    results.add(
        "rate limit 4/min shared: 2 + 2 on the two verifiers, then the 5th",
        "valid x4, then http 429 rate_limited",
        ("valid x4" if answers[:4] == ["valid"] * 4 else str(answers[:4])) + f", then {answers[4]}",
    )


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Run the check; 0 consistent, 1 an inconsistency, 2 could not start."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TRUSTID_CHECK_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="an admin connection to PostgreSQL; a fresh database is created and dropped",
    )
    parser.add_argument(
        "--redis", default=os.environ.get("TRUSTID_CHECK_REDIS", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument(
        "--header-timeout",
        type=int,
        default=Limits.header_timeout,
        help="nginx client_header_timeout (s)",
    )
    parser.add_argument(
        "--body-timeout",
        type=int,
        default=Limits.body_timeout,
        help="nginx client_body_timeout (s)",
    )
    parser.add_argument(
        "--conn-limit", type=int, default=Limits.conn_per_ip, help="nginx limit_conn per address"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = parser.parse_args(argv)
    if not Path(args.nginx).is_file():
        print(
            f"deploy check: nginx not found at {args.nginx} (apt-get install nginx)",
            file=sys.stderr,
        )
        return EXIT_SETUP
    limits = Limits(
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        conn_per_ip=args.conn_limit,
    )
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="trustid-deploy-"))
    code = EXIT_SETUP
    try:
        with ExitStack() as stack:
            try:
                layout = start_layout(
                    stack,
                    work,
                    pg_admin=args.postgres,
                    redis_url=args.redis,
                    nginx=args.nginx,
                    limits=limits,
                )
                up = time.monotonic() - started
                print(
                    f"layout up in {up:.1f} s (nginx, 2 issuers, 2 verifiers; {work})", flush=True
                )
                results = run_checks(layout, limits)
            except SetupError as exc:
                print(f"deploy check: could not run: {exc}\nlogs: {work / 'logs'}", file=sys.stderr)
                args.keep = True
                return EXIT_SETUP
            print(results.table())
            code = 0 if results.passed else EXIT_FAILED
            if not results.passed:
                args.keep = True
                for proc in layout.procs:
                    print(f"\n--- {proc.name} ({proc.log}) ---\n{proc.tail(8)}", file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"deploy check took {time.monotonic() - started:.1f} s", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
