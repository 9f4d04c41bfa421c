"""The trust list's replay floor, kept in the verifier database (issue 9 §1).

:class:`~verifier.resolution.TrustListSource` refuses a reloaded list older than the one
in force; that memory dies with the process. :class:`TrustListMarks` keeps, per trust
anchor, the highest ``sequence`` and the latest ``iat`` of any signed list accepted,
so a verifier restarted (or another replica started) with an older signed list
refuses it with ``trust_list_replayed`` just the same.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vcore.keys import PublicKey
from vcore.trust_list import TrustList
from verifier import storage

__all__ = ["TrustListMarks"]


class TrustListMarks:
    """The replay floor of the signed lists of one trust anchor."""

    def __init__(self, engine: Engine, anchor: PublicKey) -> None:
        self._engine = engine
        self._anchor = f"jwk-thumbprint:{anchor.thumbprint()}"

    def floor(self) -> TrustList | None:
        """The newest accepted list's ``sequence`` and ``iat`` (as an empty list), or None."""
        with Session(self._engine) as session:
            row = storage.trust_list_mark(session, self._anchor)
            if row is None:
                return None
            issued_at = None if row.issued_at is None else storage.as_utc(row.issued_at)
            return TrustList(sequence=row.sequence, issued_at=issued_at)

    def record(self, trust: TrustList) -> None:
        """Raise the floor to ``trust`` (a list just accepted); it never goes down."""
        for attempt in range(2):
            try:
                with Session(self._engine) as session, session.begin():
                    storage.raise_trust_list_mark(
                        session, self._anchor, sequence=trust.sequence, issued_at=trust.issued_at
                    )
                return
            except IntegrityError:
                # Another replica inserted the first row at the same moment: update it.
                if attempt:
                    raise
