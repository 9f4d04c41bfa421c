"""The nginx configuration of the check (the one docs/deploy.md shows, on loopback)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scripts.deploycheck.certificates import HOST

__all__ = ["Limits", "nginx_config"]


@dataclass(frozen=True)
class Limits:
    """What nginx enforces in front of the services (docs/deploy.md's values)."""

    header_timeout: int = 10
    body_timeout: int = 30
    conn_per_ip: int = 50
    max_body: str = "8m"
    max_body_bytes: int = 8 * 1024 * 1024


def _server_block(
    port: int, upstream: str, tls: tuple[Path, Path], static: Path | None, trust: Path | None
) -> str:
    cert, key = tls
    static_lines = (
        f"    root {static};\n    include {static}/nginx-headers.conf;\n" if static else ""
    )
    if trust is not None:
        # The trust operator's list; here from the same host, in production its own URL.
        static_lines += (
            f"    location = /trust-list.json {{ root {trust}; default_type application/json; }}\n"
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
      proxy_set_header X-Forwarded-For $remote_addr;  # per-address limits (uvicorn trusts 127.0.0.1)
      proxy_read_timeout 60s;
    }}
  }}
"""


def nginx_config(
    work: Path,
    *,
    tls: tuple[Path, Path],
    static: Path,
    trust: Path,
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
        _server_block(
            listeners[name],
            name,
            tls,
            static if name == "issuers" else None,
            trust if name == "issuers" else None,
        )
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
