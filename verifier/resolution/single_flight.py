"""Concurrent callers asking for the same key share one in-flight computation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio

__all__ = ["SingleFlight"]

T = TypeVar("T")


class _Flight(Generic[T]):
    def __init__(self) -> None:
        self.done = anyio.Event()
        self.value: T | None = None
        self.error: Exception | None = None
        self.abandoned = False


class SingleFlight(Generic[T]):
    """Concurrent callers asking for the same key share one in-flight computation."""

    def __init__(self) -> None:
        self._pending: dict[str, _Flight[T]] = {}
        self.shared = 0

    async def do(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` unless it is already running for ``key``; then share its outcome."""
        while (flight := self._pending.get(key)) is not None:
            self.shared += 1
            await flight.done.wait()
            if flight.abandoned:
                continue  # its owner was cancelled: someone has to do the work again
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[return-value]
        flight = _Flight[T]()
        self._pending[key] = flight
        try:
            flight.value = await work()
            return flight.value
        except Exception as exc:
            flight.error = exc
            raise
        except BaseException:
            flight.abandoned = True
            raise
        finally:
            del self._pending[key]
            flight.done.set()
