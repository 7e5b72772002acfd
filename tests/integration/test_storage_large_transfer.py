"""A 200 MB file goes up and comes back byte for byte, with byte progress, in bounded memory.

The product (MCP server, runtime, workers) runs in this process; the S3 server runs in a child
process so that this process's peak RSS is the product's alone.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import psutil
import pytest
from mcp import Client

from bench.common import MIB, sha256_of, write_random
from mcp_front.config import Settings
from mcp_front.runtime import open_runtime
from mcp_front.server import build_server
from tests.support.s3_process import s3_subprocess

pytestmark = pytest.mark.anyio

SIZE = 200 * MIB
# Parts stream from and to disk in small reads and writes: the growth does not depend on the
# file's size (about 15 MiB measured here with 4 parts in flight); a quarter of it is the bound.
RSS_GROWTH_LIMIT = SIZE // 4


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    with s3_subprocess() as url:
        yield url


@pytest.fixture
async def client(s3_url: str, make_settings: Callable[..., Settings]) -> AsyncIterator[Client]:
    settings = make_settings(
        SCW_S3_ENDPOINT_URL=s3_url,
        SCW_MCP_WAIT_BUDGET_S="5",
    )
    async with open_runtime(settings) as runtime, Client(build_server(runtime)) as c:
        yield c


class PeakRss:
    """Samples this process's RSS every few milliseconds in a thread; keeps the peak."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


async def call_ok(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    body = result.structured_content
    assert body is not None and body["status"] == "success", body
    return body


async def finished(client: Client, body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The job's result (following it if it outlived the tool's budget) and its messages."""
    job_id = body["job"]["id"]
    while True:
        status = await call_ok(client, "get_job_status", job_id=job_id, wait_s=30, events=100)
        job = status["data"]
        if job["state"] not in ("queued", "running", "waiting"):
            break
    assert job["state"] == "succeeded", job
    return job["result"], [e["message"] for e in job["events"]]


async def test_200mb_round_trip_keeps_every_byte_in_bounded_memory(
    client: Client, tmp_path: Path
) -> None:
    source, copy = tmp_path / "big.bin", tmp_path / "copy.bin"
    digest = await anyio.to_thread.run_sync(write_random, source, SIZE)
    await call_ok(client, "create_bucket", name="large-files")
    # Warm up: imports, the S3 client and its connection pool are not the transfer's cost.
    await call_ok(client, "upload_object", bucket="large-files", key="warm", text="warm")

    baseline = rss()
    with PeakRss() as upload_peak:
        body = await call_ok(
            client, "upload_object", bucket="large-files", key="data/big.bin", path=str(source)
        )
        uploaded, upload_messages = await finished(client, body)
    assert uploaded["size"] == SIZE and uploaded["parts"] == SIZE // (8 * MIB)
    assert any("MiB of 200.0 MiB" in m for m in upload_messages), upload_messages

    baseline_down = rss()
    with PeakRss() as download_peak:
        body = await call_ok(
            client, "download_object", bucket="large-files", key="data/big.bin", path=str(copy)
        )
        downloaded, download_messages = await finished(client, body)
    assert downloaded["size"] == SIZE and downloaded["path"] == str(copy)
    assert any("MiB of 200.0 MiB" in m for m in download_messages), download_messages

    assert await anyio.to_thread.run_sync(sha256_of, copy) == digest
    upload_growth = upload_peak.peak - baseline
    download_growth = download_peak.peak - baseline_down
    print(
        f"peak RSS growth: upload {upload_growth / MIB:.1f} MiB, "
        f"download {download_growth / MIB:.1f} MiB"
    )
    assert upload_growth < RSS_GROWTH_LIMIT, upload_growth / MIB
    assert download_growth < RSS_GROWTH_LIMIT, download_growth / MIB
