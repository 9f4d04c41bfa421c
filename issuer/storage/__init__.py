"""Issuer storage: tables, repositories (never commit), engine factory, Alembic migrations."""
