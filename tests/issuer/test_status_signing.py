"""Status lists are signed outside database transactions, through a key backend.

A backend whose signer blocks stands in for a slow HSM: while it signs, no database
connection is checked out, a revocation commits, and the next fetch shows it. A slow
publisher that read an older version cannot roll the cached token back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from issuer.keystore import KeyBackend, NewSigningKey, SoftwareKeyBackend, StoredSigningKey
from issuer.service.keys import SigningKeyService
from issuer.service.status import StatusService
from issuer.storage.status_lists import StatusListRepository
from tests.issuer.support import Harness, bit_at, decode_bitstring
from tests.issuer.test_api_status import issue_one
from vcore.jose import decode_unverified
from vcore.signing import Signer


class _GatedSigner:
    """Signs like the software signer, but waits for a gate and records the pool state."""

    def __init__(self, inner: Signer, backend: GatedBackend) -> None:
        self._inner = inner
        self._backend = backend

    @property
    def alg(self) -> str:
        return self._inner.alg

    @property
    def kid(self) -> str:
        return self._inner.kid

    def public_jwk(self) -> dict[str, str]:
        return self._inner.public_jwk()

    def sign(self, signing_input: bytes) -> bytes:
        self._backend.connections_while_signing.append(self._backend.checked_out())
        self._backend.signing.set()
        assert self._backend.gate.wait(30), "the test never opened the gate"
        return self._inner.sign(signing_input)


class GatedBackend:
    """A :class:`KeyBackend` over the software one whose signers wait for :attr:`gate`."""

    def __init__(self, inner: KeyBackend, checked_out: Callable[[], int]) -> None:
        self._inner = inner
        self.checked_out = checked_out
        self.gate = threading.Event()
        self.signing = threading.Event()
        self.connections_while_signing: list[int] = []

    def create(self, alg: str) -> NewSigningKey:
        return self._inner.create(alg)

    def signer(self, stored: StoredSigningKey, kid: str) -> Signer:
        return _GatedSigner(self._inner.signer(stored, kid), self)


def _gated_status(harness: Harness) -> tuple[StatusService, GatedBackend]:
    ctx = harness.services.ctx
    pool = ctx.engine.pool
    backend = GatedBackend(SoftwareKeyBackend(ctx.kek), lambda: int(pool.checkedout()))  # type: ignore[attr-defined]
    return StatusService(ctx, SigningKeyService(ctx, backend)), backend


def _bit(token: str, index: int) -> int:
    encoded = decode_unverified(token).payload["credentialSubject"]["encodedList"]
    return bit_at(decode_bitstring(encoded), index)


def test_signing_holds_no_connection_and_blocks_no_status_change(any_issuer: Harness) -> None:
    agency = any_issuer.agencies["Resident Registry"]
    credential_id, entries = issue_one(any_issuer)
    revocation = entries["revocation"]
    list_id = int(revocation.list_url.rsplit("/", 1)[1])
    status, backend = _gated_status(any_issuer)

    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(status.published, list_id)
        assert backend.signing.wait(30)
        # The publisher is in the middle of signing: the database is free.
        assert backend.connections_while_signing == [0]
        response = any_issuer.change(agency, credential_id, "revocation", True)
        assert response.status_code == 200, response.text
        backend.gate.set()
        before = slow.result(30)
    # The slow publisher read the list before the revocation; the next fetch has it.
    assert _bit(before.token, revocation.index) == 0
    after = status.published(list_id)
    assert _bit(after.token, revocation.index) == 1
    assert after.etag != before.etag
    # And the cached token is reused while nothing changes.
    assert status.published(list_id).token == after.token


def test_a_slow_publisher_cannot_roll_the_cache_back(any_issuer: Harness) -> None:
    agency = any_issuer.agencies["Resident Registry"]
    credential_id, entries = issue_one(any_issuer)
    revocation = entries["revocation"]
    list_id = int(revocation.list_url.rsplit("/", 1)[1])
    stale = any_issuer.services.status.published(list_id)
    with any_issuer.services.ctx.session() as session, session.begin():
        stale_row = StatusListRepository(session).cached_token(list_id)
        assert stale_row is not None
        stale_version = stale_row.version
    assert any_issuer.change(agency, credential_id, "revocation", True).status_code == 200
    fresh = any_issuer.services.status.published(list_id)
    assert _bit(fresh.token, revocation.index) == 1
    with any_issuer.services.ctx.session() as session, session.begin():
        repo = StatusListRepository(session)
        cached = repo.cached_token(list_id)
        assert cached is not None
        repo.save_token(
            list_id,
            version=stale_version,
            kid=cached.kid,
            token=stale.token,
            etag=stale.etag,
            signed_at=cached.signed_at,
        )
    served = any_issuer.services.status.published(list_id)
    assert served.token == fresh.token
    assert _bit(served.token, revocation.index) == 1
