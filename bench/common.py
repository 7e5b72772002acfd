"""Shared bits of the benchmarks: percentiles, tables, result files, memory, a client for the
sandbox without rate limits, and virtual time for the SDK's waiters."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workers.storage.names import MIB

if TYPE_CHECKING:
    from sandbox.lifecycle import ManualClock
    from workers.scaleway.client import ScalewayClient

RESULTS_DIR = Path(__file__).resolve().parent / "results"


ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    """The median, NaN when empty."""
    return statistics.median(values) if values else float("nan")


def rss_mb() -> float:
    """Resident memory of this process, in MB."""
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    """A two-column markdown table on stdout."""
    width = max(len(k) for k, _ in rows)
    print(f"\n### {title}\n")
    print(f"| {'metric':{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for key, value in rows:
        print(f"| {key:{width}} | {value} |")


def write_results(name: str, data: dict[str, Any]) -> Path:
    """Write ``data`` as JSON under bench/results/NAME.json, with machine facts."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {
        "benchmark": name,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2))
    return path


def sandbox_client(api_url: str) -> ScalewayClient:
    """A Scaleway client on a sandbox with a rate limit far above anything a bench sends."""
    from workers.scaleway.client import ScalewayClient, ScalewayConfig

    return ScalewayClient(
        ScalewayConfig(
            access_key="SCWXXXXXXXXXXXXXXXXX",
            secret_key=ZERO_UUID,
            project_id=ZERO_UUID,
            api_url=api_url,
            rate_per_s=10_000,
            burst=10_000,
        )
    )


class VirtualTime:
    """Stands in for ``time`` inside the SDK waiter: sleeping moves the sandbox clock."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock

    def time(self) -> float:
        """Now, on the manual clock."""
        return self._clock.now()

    def sleep(self, seconds: float) -> None:
        """Advance the manual clock instead of sleeping."""
        self._clock.advance(seconds)


def write_random(path: Path, size: int) -> str:
    """Write ``size`` random bytes to ``path``, one MiB at a time; return their SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as f:
        while size > 0:
            chunk = os.urandom(min(MIB, size))
            f.write(chunk)
            digest.update(chunk)
            size -= len(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read one MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()
