"""The sandbox's S3 server in a child process, for tests and benchmarks that measure memory.

moto keeps objects in memory and copies a whole object per request; in the test process it
would swamp any RSS measurement of the product, so large transfers talk to it over loopback
in its own process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback port free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def s3_subprocess(timeout_s: float = 30.0) -> Iterator[str]:
    """Run ``python -m sandbox`` in a child process; yield its S3 endpoint URL."""
    api_port, s3_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(api_port), "--s3-port", str(s3_port)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{s3_port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the sandbox exited with {process.returncode}")
            try:
                httpx.get(url, timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the sandbox S3 server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
