"""Benchmark vcore.status against baselines measured in the same run.

Run: ``.venv/bin/python bench/bench_status_list.py [--repeat N]``

For a 131,072-entry and a 1,048,576-entry W3C list (1 bit per entry) it times:

* set 1,000 random indices, then ``encode()`` (what the issuer does per re-sign);
* ``decode()`` of that encoded list (what the verifier does per fetch);
* ``get()`` of 1,000 indices on the decoded list.

Two baselines, both in this process and run, so the ratios do not depend on the machine:

* ``naive``: the obvious per-entry Python implementation (a list of ints, packed and
  unpacked bit by bit around the same gzip call). ``naive / ours`` is the speed-up.
* ``gzip floor``: ``gzip.compress`` / ``gzip.decompress`` of the raw bytes alone, the cost
  no implementation can avoid. ``ours / floor`` is our overhead over it.

Figures are the best of ``--repeat`` runs (default 7), in milliseconds.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import random
import statistics
import time
from collections.abc import Callable

from vcore.status import BitstringStatusList

SIZES = (131_072, 1_048_576)
UPDATES = 1_000


def best_ms(fn: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return min(timings)


# ------------------------------------------------------------------- naive baseline


def naive_encode(entries: list[int]) -> str:
    packed = bytearray(len(entries) // 8)
    for index, bit in enumerate(entries):
        if bit:
            packed[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(packed), compresslevel=6, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def naive_decode(encoded: str) -> list[int]:
    body = encoded[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return [(raw[index // 8] >> (7 - index % 8)) & 1 for index in range(len(raw) * 8)]


# ------------------------------------------------------------------------------ run


def run(size: int, repeat: int) -> dict[str, float]:
    rng = random.Random(size)  # reproducible benchmark data, not a secret
    indices = rng.sample(range(size), UPDATES)

    def ours_set_encode() -> str:
        status_list = BitstringStatusList(size)
        for index in indices:
            status_list.set(index, 1)
        return status_list.encode()

    def naive_set_encode() -> str:
        entries = [0] * size
        for index in indices:
            entries[index] = 1
        return naive_encode(entries)

    encoded = ours_set_encode()
    assert naive_set_encode() == encoded, "baseline must produce the same encodedList"
    decoded = BitstringStatusList.decode(encoded)
    assert decoded.set_indices() == sorted(indices)
    raw = decoded.to_bytes()
    compressed = gzip.compress(raw, compresslevel=6, mtime=0)

    return {
        "ours_encode": best_ms(ours_set_encode, repeat),
        "naive_encode": best_ms(naive_set_encode, repeat),
        "floor_encode": best_ms(lambda: gzip.compress(raw, compresslevel=6, mtime=0), repeat),
        "ours_decode": best_ms(lambda: BitstringStatusList.decode(encoded), repeat),
        "naive_decode": best_ms(lambda: naive_decode(encoded), repeat),
        "floor_decode": best_ms(lambda: gzip.decompress(compressed), repeat),
        "ours_get": best_ms(lambda: [decoded.get(i) for i in indices], repeat),
        "encoded_chars": float(len(encoded)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (best is kept)")
    args = parser.parse_args()

    print(f"vcore.status benchmark: best of {args.repeat} runs, milliseconds\n")
    header = (
        f"{'entries':>10} {'op':<22} {'ours':>8} {'naive':>8} {'floor':>8} "
        f"{'naive/ours':>11} {'ours/floor':>11}"
    )
    print(header)
    print("-" * len(header))
    speedups = []
    for size in SIZES:
        r = run(size, args.repeat)
        for op, label in (("encode", f"set {UPDATES:,} + encode"), ("decode", "decode")):
            ours, naive, floor = r[f"ours_{op}"], r[f"naive_{op}"], r[f"floor_{op}"]
            speedups.append(naive / ours)
            print(
                f"{size:>10,} {label:<22} {ours:>8.2f} {naive:>8.2f} {floor:>8.2f} "
                f"{naive / ours:>10.1f}x {ours / floor:>10.2f}x"
            )
        print(
            f"{size:>10,} {'get x ' + format(UPDATES, ','):<22} {r['ours_get']:>8.2f} "
            f"{'':>8} {'':>8} {'':>11} {'':>11}   encodedList {int(r['encoded_chars']):,} chars"
        )
    print(
        f"\ngeometric-mean speed-up over the naive baseline: {statistics.geometric_mean(speedups):.1f}x"
    )


if __name__ == "__main__":
    main()
