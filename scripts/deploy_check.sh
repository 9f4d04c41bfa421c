#!/usr/bin/env bash
# The deployment check of docs/deploy.md in one command: nginx (TLS from a throw-away
# test CA), two issuers, two verifiers, PostgreSQL and Redis on loopback; prints a
# pass/fail table and exits non-zero on any inconsistency. Needs: python3 (3.11+),
# nginx (`apt-get install nginx`; installed here when running as root), PostgreSQL on
# 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (other places: --postgres URL, --redis URL).
# Arguments are passed on: scripts/deploy_check.sh --keep  (keep the logs).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -c 'import issuer, verifier, redis' 2>/dev/null \
  || .venv/bin/python -m pip install --quiet -e .

if [ ! -x /usr/sbin/nginx ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Debian's nginx"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >/dev/null; } \
    || { echo "could not install nginx" >&2; exit 2; }
fi

exec .venv/bin/python scripts/deploy_check.py "$@"
