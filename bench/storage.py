"""Object Storage transfer throughput: the product path against raw aioboto3, in one run.

    uv run python -m bench.storage [--size-mb 200] [--rounds 5] [--part-mb 8] [--concurrency 4]

Starts the sandbox S3 server (moto) in a child process, writes a random file, then alternates
rounds of: a raw aioboto3 ``upload_file`` / ``download_file`` (same part size, same
concurrency, same client settings) and the product path (an in-process MCP client calling
``upload_object`` / ``download_object``: validation, job enqueue, worker, resumable streamed
transfer, checkpoints and progress). Reports the median MB/s of each, their ratio (target
>= 0.9), and the peak RSS growth of this process during each transfer.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import psutil

from bench.common import MIB, median, print_table, sha256_of, write_random, write_results

FAKE_ACCESS_KEY = "SCWXXXXXXXXXXXXXXXXX"
FAKE_SECRET_KEY = "00000000-0000-0000-0000-000000000000"
BUCKET = "bench-storage"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sandbox_s3() -> Iterator[str]:
    """The sandbox's S3 server in a child process (so its memory is not ours)."""
    api_port, s3_port = _free_port(), _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(api_port), "--s3-port", str(s3_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{s3_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sandbox S3 server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _trim_heap() -> None:
    """Give freed heap back to the OS (glibc), so one transfer's leftovers do not hide the
    next one's peak."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class PeakRss:
    """Peak RSS of this process while the block runs, sampled every 5 ms."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._stop = threading.Event()
        self.baseline = 0
        self.peak = 0

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        gc.collect()
        _trim_heap()
        self.baseline = self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.baseline) / 1e6


async def timed(fn: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """(seconds, peak RSS growth in MB) of ``await fn()``."""
    with PeakRss() as rss:
        start = time.perf_counter()
        await fn()
        elapsed = time.perf_counter() - start
    return elapsed, rss.growth_mb


async def run(args: argparse.Namespace) -> dict[str, Any]:
    import aioboto3
    from aiobotocore.config import AioConfig
    from boto3.s3.transfer import TransferConfig
    from mcp import Client

    from mcp_front.config import load_settings
    from mcp_front.runtime import open_runtime
    from mcp_front.server import build_server

    size = args.size_mb * MIB
    work = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    source = work / "source.bin"
    digest = await anyio.to_thread.run_sync(write_random, source, size)
    samples: dict[str, list[tuple[float, float]]] = {
        "raw_upload": [],
        "product_upload": [],
        "raw_download": [],
        "product_download": [],
    }
    with sandbox_s3() as s3_url:
        env = {
            "HOME": str(work),
            "SCW_ACCESS_KEY": FAKE_ACCESS_KEY,
            "SCW_SECRET_KEY": FAKE_SECRET_KEY,
            "SCW_DEFAULT_PROJECT_ID": FAKE_SECRET_KEY,
            "SCW_MCP_DATA_DIR": str(work / "data"),
            "SCW_S3_ENDPOINT_URL": s3_url,
            "SCW_MCP_WAIT_BUDGET_S": "50",
            "SCW_MCP_S3_PART_SIZE_MB": str(args.part_mb),
            "SCW_MCP_S3_CONCURRENCY": str(args.concurrency),
        }
        settings = load_settings(env)
        transfer = TransferConfig(
            multipart_threshold=16 * MIB,
            multipart_chunksize=args.part_mb * MIB,
            max_concurrency=args.concurrency,
        )
        # The same client settings the product uses, so only the transfer code differs.
        config = AioConfig(
            s3={"addressing_style": "path"},
            retries={"total_max_attempts": 1},
            max_pool_connections=max(10, args.concurrency * 2),
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = aioboto3.Session(
            aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_SECRET_KEY
        )
        async with (
            session.client("s3", region_name="fr-par", endpoint_url=s3_url, config=config) as raw,
            open_runtime(settings) as runtime,
            Client(build_server(runtime)) as mcp,
        ):

            async def tool(tool_name: str, **arguments: Any) -> dict[str, Any]:
                result = await mcp.call_tool(tool_name, arguments)
                body = result.structured_content or {}
                if body.get("status") != "success" or body["job"]["state"] != "succeeded":
                    raise RuntimeError(f"{tool_name} did not finish inline: {body}")
                return dict(body["data"])

            await tool("create_bucket", name=BUCKET)
            await tool("upload_object", bucket=BUCKET, key="warm", text="warm")
            await raw.head_object(Bucket=BUCKET, Key="warm")

            raw_copy, product_copy = work / "raw.bin", work / "product.bin"
            transfers: dict[str, Callable[[], Awaitable[object]]] = {
                "raw_upload": lambda: raw.upload_file(
                    str(source), BUCKET, "raw.bin", Config=transfer
                ),
                "product_upload": lambda: tool(
                    "upload_object", bucket=BUCKET, key="product.bin", path=str(source)
                ),
                "raw_download": lambda: raw.download_file(
                    BUCKET, "raw.bin", str(raw_copy), Config=transfer
                ),
                "product_download": lambda: tool(
                    "download_object",
                    bucket=BUCKET,
                    key="product.bin",
                    path=str(product_copy),
                    overwrite=True,
                ),
            }
            for round_no in range(args.rounds):
                # Alternate who goes first, so neither side always runs on a warmer server.
                pairs = [("raw", "product"), ("product", "raw")][round_no % 2]
                for direction in ("upload", "download"):
                    for who in pairs:
                        kind = f"{who}_{direction}"
                        samples[kind].append(await timed(transfers[kind]))
                if round_no == 0:
                    for path in (raw_copy, product_copy):
                        if await anyio.to_thread.run_sync(sha256_of, path) != digest:
                            raise RuntimeError(f"{path.name} does not match the source")
    await anyio.to_thread.run_sync(shutil.rmtree, work)

    def mbps(kind: str) -> float:
        return size / 1e6 / median([s for s, _ in samples[kind]])

    def peak(kind: str) -> float:
        return max(m for _, m in samples[kind])

    return {
        "size_mb": args.size_mb,
        "part_mb": args.part_mb,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "upload": {
            "raw_mb_s": round(mbps("raw_upload"), 1),
            "product_mb_s": round(mbps("product_upload"), 1),
            "ratio": round(mbps("product_upload") / mbps("raw_upload"), 3),
            "raw_peak_rss_growth_mb": round(peak("raw_upload"), 1),
            "product_peak_rss_growth_mb": round(peak("product_upload"), 1),
        },
        "download": {
            "raw_mb_s": round(mbps("raw_download"), 1),
            "product_mb_s": round(mbps("product_download"), 1),
            "ratio": round(mbps("product_download") / mbps("raw_download"), 3),
            "raw_peak_rss_growth_mb": round(peak("raw_download"), 1),
            "product_peak_rss_growth_mb": round(peak("product_download"), 1),
        },
        "samples_s": {k: [round(s, 3) for s, _ in v] for k, v in samples.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--part-mb", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    results = anyio.run(run, args)
    up, down = results["upload"], results["download"]
    print_table(
        f"Object Storage transfers: {args.size_mb} MiB file, {args.part_mb} MiB parts, "
        f"{args.concurrency} in flight, median of {args.rounds} (sandbox S3, loopback)",
        [
            ("upload raw aioboto3 (MB/s)", f"{up['raw_mb_s']}"),
            ("upload product (MB/s)", f"{up['product_mb_s']}"),
            ("upload ratio (target >= 0.9)", f"{up['ratio']}"),
            (
                "upload peak RSS growth raw / product (MB)",
                f"{up['raw_peak_rss_growth_mb']} / {up['product_peak_rss_growth_mb']}",
            ),
            ("download raw aioboto3 (MB/s)", f"{down['raw_mb_s']}"),
            ("download product (MB/s)", f"{down['product_mb_s']}"),
            ("download ratio (target >= 0.9)", f"{down['ratio']}"),
            (
                "download peak RSS growth raw / product (MB)",
                f"{down['raw_peak_rss_growth_mb']} / {down['product_peak_rss_growth_mb']}",
            ),
        ],
    )
    path = write_results("storage", results)
    print(f"\nresults written to {path}")


if __name__ == "__main__":
    main()
