"""QR images are decoded in a few worker processes that are killed when over budget.

Decoding a hostile image can cost tens of seconds of CPU inside zxing-cpp or PIL (C code
that no Python timeout interrupts), and a few such uploads in the shared thread pool
would stall every endpoint. So each decode runs in one of :data:`DEFAULT_WORKERS`
processes of this pool, never in the service's threads:

* a wall-clock budget per image (:data:`DECODE_BUDGET`, 2 s): a worker that has not
  answered by then is killed (SIGKILL) and replaced; the upload gets 422
  ``image_too_complex``;
* a concurrency limit: at most ``workers`` decodes run at once and at most
  ``queue`` more wait; anything beyond gets 503 ``busy`` with ``Retry-After``;
* the pixel and byte budgets of :mod:`verifier.qr_image` (16 Mpx, 5 MiB) run inside the
  worker, and the worker's address space is capped (:data:`WORKER_MEMORY`), so a
  decompression bomb that slipped past them fails the worker, not the service.

Workers start on first use (spawned, so no lock or thread of the service is inherited),
announce when they are ready, and only then does an image's budget start; an idle
worker is reused.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import anyio
import anyio.to_thread

from vcore.errors import (
    ImageTooLargeError,
    NoQRFoundError,
    QRError,
    QRTooLargeError,
    UnsupportedImageError,
)
from verifier.errors import DecoderBusyError, ImageTooComplexError

__all__ = [
    "DECODE_BUDGET",
    "DEFAULT_QUEUE",
    "DEFAULT_WORKERS",
    "WORKER_MEMORY",
    "WORKER_NICE",
    "QRDecoderPool",
    "default_pool",
]

log = logging.getLogger("trustid.verifier")

DECODE_BUDGET = 2.0
DEFAULT_WORKERS = max(1, (os.cpu_count() or 2) - 1)
"""One core is left to the event loop: on 2 cores, two decoders busy with hostile images
starved honest requests (issue 8's attack row: 0.26 of the calm rate)."""
WORKER_NICE = 10
"""Added to a worker's CPU niceness: a busy decoder yields the CPU to the service."""
DEFAULT_QUEUE = 8
WORKER_MEMORY = 1024 * 1024 * 1024
"""Address-space cap of a worker process (Linux), bytes."""
_START_TIMEOUT = 60.0
_DECODER = "verifier.qr_image:decode_qr_image"
_ERRORS: dict[str, type[QRError]] = {
    cls.code: cls
    for cls in (QRError, QRTooLargeError, UnsupportedImageError, ImageTooLargeError, NoQRFoundError)
}


def _resolve(target: str) -> Callable[[bytes, str | None], str]:
    module, _, name = target.partition(":")
    function: Callable[[bytes, str | None], str] = getattr(importlib.import_module(module), name)
    return function


def _worker_main(conn: Connection, target: str, memory: int | None) -> None:  # pragma: no cover
    """A worker process: import the decoder, say ready, then decode what is sent."""
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: no os.nice
        os.nice(WORKER_NICE)
    if memory is not None:
        with contextlib.suppress(ImportError, ValueError, OSError):
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    decode = _resolve(target)
    conn.send(("ready",))
    while True:
        try:
            data, content_type = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", decode(data, content_type)))
        except QRError as exc:
            conn.send(("error", exc.code, exc.detail))
        except MemoryError:
            conn.send(("error", ImageTooLargeError.code, "the image needs too much memory"))
        except Exception as exc:  # noqa: BLE001 - reported as a damaged image
            conn.send(
                ("error", QRError.code, f"the image could not be decoded ({type(exc).__name__})")
            )


class _Worker:
    def __init__(self, target: str, memory: int | None) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_worker_main, args=(child, target, memory), daemon=True, name="trustid-qr"
        )
        self.process.start()
        child.close()
        if not self.conn.poll(_START_TIMEOUT):
            self.kill()
            raise QRError("the QR decoder did not start")
        self.conn.recv()

    def decode(self, data: bytes, content_type: str | None, budget: float) -> tuple[Any, ...]:
        self.conn.send((data, content_type))
        if not self.conn.poll(budget):
            raise TimeoutError
        reply: tuple[Any, ...] = self.conn.recv()
        return reply

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()


class QRDecoderPool:
    """A few killable decoder processes with a per-image budget and a queue bound.

    Args:
        workers: Decodes at once (processes).
        queue: Callers that may wait for a worker; beyond: ``DecoderBusyError``.
        budget: Seconds per image before the worker is killed.
        target: ``module:function`` of the decoder (tests pass a slow one).
        memory: Address-space cap of a worker in bytes (None: none).
    """

    def __init__(
        self,
        *,
        workers: int = DEFAULT_WORKERS,
        queue: int = DEFAULT_QUEUE,
        budget: float = DECODE_BUDGET,
        target: str = _DECODER,
        memory: int | None = WORKER_MEMORY,
    ) -> None:
        self.workers = workers
        self.queue = queue
        self.budget = budget
        self.target = target
        self.memory = memory
        self.killed = 0
        self._limiter = anyio.CapacityLimiter(workers)
        self._waiting = 0
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    async def decode(
        self,
        data: bytes,
        content_type: str | None,
        *,
        meter: Callable[[float], None] | None = None,
    ) -> str:
        """The text of the QR code in ``data`` (PNG/JPEG).

        ``meter`` is told the seconds a worker spent on the image (not the wait for a
        worker), whatever the outcome: the rate limit charges them.

        Raises:
            DecoderBusyError: every worker is busy and the queue is full (503).
            ImageTooComplexError: the image was not decoded within the budget (422).
            QRError: and its subclasses, as :func:`verifier.qr_image.decode_qr_image`.
        """
        if self._waiting >= self.workers + self.queue:
            raise DecoderBusyError("the QR decoder is busy; retry in a second", retry_after=1)
        self._waiting += 1
        try:
            async with self._limiter:
                reply = await anyio.to_thread.run_sync(
                    self._decode_blocking, data, content_type, meter
                )
        finally:
            self._waiting -= 1
        if reply[0] == "ok":
            return str(reply[1])
        raise _ERRORS.get(reply[1], QRError)(reply[2])

    def _decode_blocking(
        self, data: bytes, content_type: str | None, meter: Callable[[float], None] | None
    ) -> tuple[Any, ...]:
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(self.target, self.memory)
        started = time.monotonic()
        try:
            reply = worker.decode(data, content_type, self.budget)
        except TimeoutError:
            worker.kill()
            self.killed += 1
            log.warning("QR decoding over its %g s budget: worker killed", self.budget)
            raise ImageTooComplexError(
                f"the image could not be decoded within {self.budget:g} s; send a smaller, "
                "sharper picture of the code"
            ) from None
        except (OSError, EOFError) as exc:
            worker.kill()
            raise QRError("the QR decoder failed on this image") from exc
        finally:
            if meter is not None:
                meter(time.monotonic() - started)
        with self._lock:
            if self._closed:
                worker.kill()
            else:
                self._idle.append(worker)
        return reply

    def close(self) -> None:
        """Stop every idle worker (busy ones are stopped when they finish)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_default: QRDecoderPool | None = None
_default_lock = threading.Lock()


def default_pool() -> QRDecoderPool:
    """The process's shared pool (workers start on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = QRDecoderPool()
        return _default
