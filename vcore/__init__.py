"""TrustID core: pure credential, key, status-list and verification logic (no I/O)."""
