"""Write ``docs/benchmarks.md`` (date, machine, versions, the table) and the PNG plots."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

_PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "httptools",
    "uvloop",
    "granian",
    "cryptography",
    "pyjwt",
    "jsonschema",
    "sqlalchemy",
)


def _versions() -> str:
    found = []
    for name in _PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return f"Python {platform.python_version()}; " + ", ".join(found)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}; load average at start {load:.1f}"


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _plots(docs: Path, series: dict[str, list[tuple[float, float]]]) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    names = []
    for title, points in series.items():
        if not points:
            continue
        slug = (
            "bench-" + "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-") + ".png"
        )
        figure, axes = plt.subplots(figsize=(6, 3.5))
        xs, ys = zip(*points, strict=True)
        axes.plot(xs, ys, marker="o")
        axes.set_xscale("log")
        axes.set_title(title)
        axes.set_ylabel("per second")
        axes.grid(True, alpha=0.3)
        figure.tight_layout()
        figure.savefig(docs / slug, dpi=100)
        plt.close(figure)
        names.append((title, slug))
    return [f"![{title}]({slug})" for title, slug in names]


def write_report(
    docs: Path, results: list[Any], series: dict[str, list[tuple[float, float]]]
) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `bench/run` (`python -m bench`); each figure is a ratio against a",
        "baseline measured in the same run, so a loaded machine moves both sides. See",
        "`bench/rows.py` for how each row is measured and `docs/performance.md` for what",
        "was changed and why.",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- commit: {_commit()}",
        f"- machine: {_machine()}",
        f"- versions: {_versions()}",
        "",
        "| benchmark | figure | baseline (same run) | ratio | must | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        met = {True: "yes", False: "**no**", None: "-"}[r.ok]
        note = f" ({r.note})" if r.note else ""
        lines.append(f"| {r.title} | {r.value}{note} | {r.baseline} | {ratio} | {r.must} | {met} |")
    plots = _plots(docs, series)
    if plots:
        lines += ["", "## Plots", "", *plots]
    (docs / "benchmarks.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
