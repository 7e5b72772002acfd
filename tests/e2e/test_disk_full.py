"""A download onto a disk that cannot take it: "disk full" at once, no retry, no partial file.

The server runs as a real subprocess under a kernel-enforced file size limit (RLIMIT_FSIZE,
SIGXFSZ ignored, so writes past it fail with EFBIG the way a full disk fails with ENOSPC).
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from jobs.states import JobState
from sandbox.server import SandboxServer
from tests.e2e.stdio_support import REPO_ROOT, call_ok, serve_env, stored_jobs

pytestmark = pytest.mark.anyio
LIMIT = 2 * 1024 * 1024
OBJECT_SIZE = 4 * 1024 * 1024

LIMITED_SERVE = f"""
import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({LIMIT}, {LIMIT}))
os.execv(sys.executable, [sys.executable, "-m", "mcp_front", "serve"])
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000) as sb:
        yield sb


def limited_params(env: dict[str, str]) -> StdioServerParameters:
    """``serve`` whose files may not grow past LIMIT bytes."""
    return StdioServerParameters(
        command=sys.executable, args=["-c", LIMITED_SERVE], env=env, cwd=str(REPO_ROOT)
    )


async def test_download_past_the_disk_limit_fails_once_saying_disk_full_and_leaves_nothing(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] != LIMIT  # the limit is the child's
    env = serve_env(
        tmp_path,
        SCW_API_URL=sandbox.api_url,
        SCW_S3_ENDPOINT_URL=sandbox.s3_url,
        SCW_MCP_WAIT_BUDGET_S="30",
    )
    target = tmp_path / "big.bin"
    async with Client(limited_params(env)) as client:
        await call_ok(client, "create_bucket", name="media")
        sandbox_put(sandbox, "media", "big.bin", OBJECT_SIZE)
        result = await client.call_tool(
            "download_object", {"bucket": "media", "key": "big.bin", "path": str(target)}
        )
    body = result.structured_content
    assert body is not None and body["status"] == "error", body
    assert "disk full" in body["message"], body["message"]
    assert "internal error" not in body["message"]
    assert not target.exists()
    assert partial_files(tmp_path) == []

    (job,) = await stored_jobs(tmp_path, [body["details"]["job"]["id"]])
    assert job.state is JobState.FAILED and job.attempts == 0  # not retried


def partial_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


def sandbox_put(sandbox: SandboxServer, bucket: str, key: str, size: int) -> None:
    import boto3
    from botocore.config import Config

    s3 = boto3.client(
        "s3",
        region_name="fr-par",
        endpoint_url=sandbox.s3_url,
        aws_access_key_id="SCWXXXXXXXXXXXXXXXXX",
        aws_secret_access_key="00000000-0000-0000-0000-000000000000",
        config=Config(s3={"addressing_style": "path"}),
    )
    s3.put_object(Bucket=bucket, Key=key, Body=b"\x01" * size)
