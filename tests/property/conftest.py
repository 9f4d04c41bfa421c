"""Hypothesis settings for the property tests: bounded, no example database in the tree.

Each test sets its own ``max_examples`` through :func:`tests.property.strategies.bounded`;
``TRUSTID_PROPERTY_SCALE=10`` multiplies them for a longer local hunt.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "trustid",
    deadline=None,  # two shared cores: wall-clock deadlines would only measure the load
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("trustid")
