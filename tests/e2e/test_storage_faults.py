"""Storage jobs through a real MCP session while the sandbox S3 throttles, fails and drops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_front.config import Settings
from mcp_front.runtime import build_services, open_runtime
from mcp_front.server import build_server
from sandbox.server import SandboxServer
from tests.support.s3_client import sandbox_s3_client
from workers.retry import RetryPolicy
from workers.storage.client import ObjectStorage

pytestmark = pytest.mark.anyio

FAST_RETRY = RetryPolicy(attempts=4, initial_s=0.001, max_s=0.005, jitter_s=0.0)
OBJECTS = 12


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000, seed=11) as sb:
        yield sb


@pytest.fixture
async def client(
    sandbox: SandboxServer, make_settings: Callable[..., Settings]
) -> AsyncIterator[Client]:
    settings = make_settings(SCW_S3_ENDPOINT_URL=sandbox.s3_url)
    services = build_services(settings)
    assert services.storage is not None
    # Millisecond backoff: the proof is that every job succeeds, not how long it waits.
    services.storage = ObjectStorage(replace(services.storage.settings, retry=FAST_RETRY))
    async with open_runtime(settings, services=services) as runtime:
        async with Client(build_server(runtime)) as session:
            yield session


async def _ok(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    body = result.structured_content
    assert body is not None and body["status"] == "success", (tool, args, body)
    return body


async def test_every_storage_job_succeeds_through_20_percent_faults(
    client: Client, sandbox: SandboxServer, tmp_path: Path
) -> None:
    assert sandbox.s3 is not None
    sandbox.s3.faults.add("*", "429", rate=0.1)
    sandbox.s3.faults.add("*", "503", rate=0.05)
    sandbox.s3.faults.add("*", "drop", rate=0.05)
    buckets = ["faulty-a", "faulty-b", "faulty-c"]
    async with anyio.create_task_group() as tg:
        for name in buckets:
            tg.start_soon(lambda n=name: _ok(client, "create_bucket", name=n))

    async def round_trip(i: int) -> None:
        bucket, key = buckets[i % 3], f"notes/{i}.txt"
        await _ok(client, "upload_object", bucket=bucket, key=key, text=f"note {i}")
        target = tmp_path / f"copy-{i}.txt"
        await _ok(client, "download_object", bucket=bucket, key=key, path=str(target))
        assert target.read_text() == f"note {i}"
        if i % 2:
            await _ok(client, "delete_object", bucket=bucket, key=key, confirm=True)

    async with anyio.create_task_group() as tg:
        for i in range(OBJECTS):
            tg.start_soon(round_trip, i)

    fired = sum(rule["fired"] for rule in sandbox.s3.faults.rules())
    sandbox.s3.faults.clear()
    s3 = sandbox_s3_client(sandbox.s3_url)
    left = sorted(
        o["Key"] for b in buckets for o in s3.list_objects_v2(Bucket=b).get("Contents", [])
    )
    assert left == sorted(f"notes/{i}.txt" for i in range(OBJECTS) if i % 2 == 0)
    assert fired >= 8  # the faults really happened (about one request in five)
