"""HTTP routes: thin adapters from wire models to use cases (no logic here)."""
