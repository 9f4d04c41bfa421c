"""Hypothesis strategies for hostile inputs: JSON values, tokens, dates, numbers, keys."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

_SCALE = int(os.environ.get("TRUSTID_PROPERTY_SCALE", "1"))


def bounded(examples: int) -> settings:
    """Settings with ``examples`` examples (times ``TRUSTID_PROPERTY_SCALE``)."""
    return settings(max_examples=examples * _SCALE)


# Bounded JSON: small enough that one example stays cheap, deep enough for nesting bugs.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)

# Numbers a JWT time claim might hold: huge, negative, fractional, the wrong type.
huge_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63), 2**64, 10**18, 253402300800, 10**400]),
    st.floats(allow_nan=False),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e20, max_value=1e20),
    st.text(max_size=12),
    st.booleans(),
    st.none(),
)

# Date strings: well-formed extremes, odd offsets and near misses of RFC 3339 / XSD.
_DATE_EXAMPLES = [
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59+23:59",
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "2026-12-31T23:59:60Z",
    "2026-02-30T00:00:00Z",
    "2026-11-23T12:00:00.999999999999Z",
    "2026-11-23t12:00:00z",
    "2026-11-23T12:00:00",
    "2026-11-23",
    "2026-11-23T24:00:00Z",
    "+12026-11-23T12:00:00Z",
    "-0001-11-23T12:00:00Z",
    "2026-11-23T12:00:00+99:99",
    "2026-11-23T12:00:00-00:00",
    "",
]
valid_dates = st.builds(
    lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),  # noqa: DTZ001
    st.integers(-1439, 1439),
)
dates = st.one_of(
    st.sampled_from(_DATE_EXAMPLES),
    valid_dates,
    st.builds(
        "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}".format,
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 61),
        st.sampled_from(["Z", "+23:59", "-23:59", "+00:00", "", "+24:00", ".5Z"]),
    ),
    st.text(max_size=30),
    huge_numbers,
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(value: Any) -> str:
    return b64url(json.dumps(value).encode())


_ALG_NAMES = ["ES256", "ES384", "ES512", "ES256K", "EdDSA", "PS256", "RS256", "none", "HS256"]
headers = st.fixed_dictionaries(
    {"alg": st.one_of(st.sampled_from(_ALG_NAMES), json_values)},
    optional={
        "typ": st.one_of(st.sampled_from(["vc+jwt", "JWT", "vp+jwt", "vc+sd-jwt"]), json_values),
        "kid": st.one_of(st.text(max_size=60), json_values),
        "cty": json_values,
        "crit": json_values,
        "jwk": json_values,
    },
)

# Compact-JWS-shaped garbage: right shape, wrong everything.
garbled_tokens = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda h, p, s: f"{h}.{p}.{s}",
        st.one_of(headers.map(segment), st.text(max_size=40)),
        st.one_of(json_values.map(segment), st.text(max_size=40)),
        st.one_of(st.binary(max_size=140).map(b64url), st.text(max_size=20)),
    ),
    st.lists(st.text(alphabet="AQ_-=.", max_size=8), max_size=6).map(".".join),
)

# JWKs: every supported kty with random members, and mutations of real ones.
_KTYS = ["EC", "OKP", "RSA", "oct", ""]
_CRVS = ["P-256", "P-384", "P-521", "secp256k1", "Ed25519", "X25519", "P-257"]
jwks = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"kty": st.sampled_from(_KTYS)},
        optional={
            "crv": st.sampled_from(_CRVS),
            "x": st.one_of(st.binary(max_size=70).map(b64url), json_values),
            "y": st.one_of(st.binary(max_size=70).map(b64url), json_values),
            "n": st.one_of(st.binary(max_size=300).map(b64url), json_values),
            "e": st.one_of(st.binary(max_size=40).map(b64url), json_values),
            "d": st.one_of(st.binary(max_size=70).map(b64url), json_values),
            "alg": st.one_of(st.sampled_from(_ALG_NAMES), json_values),
            "use": st.sampled_from(["sig", "enc", ""]),
            "key_ops": json_values,
        },
    ),
)
