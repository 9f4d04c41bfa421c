"""QR decoding in killable worker processes: budget, concurrency bound, real decoding.

The workers are spawned processes; a decoder that never returns is killed at the
budget and replaced, and the service stays responsive meanwhile.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import anyio
import pytest
import qrcode
from PIL import Image

from vcore.errors import ImageTooLargeError, NoQRFoundError, QRError, UnsupportedImageError
from verifier.errors import DecoderBusyError, ImageTooComplexError
from verifier.qr_pool import QRDecoderPool

BUDGET = 0.5


@pytest.fixture
def pool() -> Iterator[QRDecoderPool]:
    pool = QRDecoderPool(
        workers=1, queue=1, budget=BUDGET, target="tests.verifier.qr_slow:by_content"
    )
    try:
        yield pool
    finally:
        pool.close()


def _png(text: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(text).save(out, format="PNG")
    return out.getvalue()


def test_the_real_decoder_reads_a_code_and_reports_its_errors() -> None:
    pool = QRDecoderPool(workers=1, budget=30)
    try:
        assert anyio.run(pool.decode, _png("hello trustid"), "image/png") == "hello trustid"
        with pytest.raises(UnsupportedImageError):
            anyio.run(pool.decode, b"GIF89a....", "image/gif")
        blank = io.BytesIO()
        Image.new("L", (64, 64), 255).save(blank, format="PNG")
        with pytest.raises(NoQRFoundError):
            anyio.run(pool.decode, blank.getvalue(), "image/png")
        huge = io.BytesIO()
        Image.new("1", (5000, 5000), 1).save(huge, format="PNG")  # 25 Mpx, a few KiB
        with pytest.raises(ImageTooLargeError):
            anyio.run(pool.decode, huge.getvalue(), "image/png")
    finally:
        pool.close()


def test_an_image_over_budget_is_killed_and_the_next_one_is_served(pool: QRDecoderPool) -> None:
    assert anyio.run(pool.decode, b"warm", None) == "warm"  # the worker started
    started = time.monotonic()
    with pytest.raises(ImageTooComplexError) as caught:
        anyio.run(pool.decode, b"spin", None)
    elapsed = time.monotonic() - started
    assert BUDGET <= elapsed < BUDGET + 3
    assert caught.value.code == "image_too_complex"
    assert pool.killed == 1
    assert anyio.run(pool.decode, b"after", None) == "after"


def test_a_crashing_decoder_is_a_qr_error_not_a_server_fault(pool: QRDecoderPool) -> None:
    with pytest.raises(QRError, match="RuntimeError"):
        anyio.run(pool.decode, b"boom", None)
    assert anyio.run(pool.decode, b"fine", None) == "fine"


def test_beyond_workers_plus_queue_callers_are_told_busy_and_the_loop_stays_free(
    pool: QRDecoderPool,
) -> None:
    anyio.run(pool.decode, b"warm", None)
    outcomes: list[str] = []
    ticks = 0

    async def one(data: bytes) -> None:
        try:
            outcomes.append(await pool.decode(data, None))
        except DecoderBusyError as exc:
            outcomes.append(f"busy {exc.retry_after}")
        except ImageTooComplexError:
            outcomes.append("killed")

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(10):
            await anyio.sleep(0.02)
            ticks += 1

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(one, b"spin")  # holds the only worker for the budget
            await anyio.sleep(0.05)
            group.start_soon(one, b"queued")  # waits (queue of 1)
            await anyio.sleep(0.05)
            group.start_soon(one, b"refused")  # beyond: busy at once
            group.start_soon(ticker)

    anyio.run(main)
    assert sorted(outcomes) == ["busy 1", "killed", "queued"]
    assert ticks == 10


def test_workers_run_at_a_lower_cpu_priority_and_leave_a_core_free() -> None:
    import os

    from verifier.qr_pool import DEFAULT_WORKERS, WORKER_NICE

    assert max(1, (os.cpu_count() or 2) - 1) == DEFAULT_WORKERS
    pool = QRDecoderPool(workers=1, budget=30, target="tests.verifier.qr_slow:niceness")
    try:
        ours = os.nice(0)
        assert int(anyio.run(pool.decode, b"x", "image/png")) == min(19, ours + WORKER_NICE)
        assert os.nice(0) == ours  # the service itself is untouched
    finally:
        pool.close()
