"""The deployment check of docs/deploy.md: the whole layout on loopback, checked end to end.

One command (``scripts/deploy_check.sh``, entry point ``scripts/deploy_check.py``) starts, in a temporary directory of its own:

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
