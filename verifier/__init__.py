"""TrustID verifier: checks credentials, presentations and QR codes against a trust list.

Layers: ``app`` (factory, middleware) -> ``api`` (thin routes) -> ``service`` (use cases:
plan, fetch, decide) -> ``resolution`` (the only network I/O) and ``storage`` (API clients,
used nonces). The decision itself is pure and lives in :mod:`vcore.verify`.
"""
