"""Bounded answers: every default answer fits ~32 KB, job views ~1.5 KB, nothing twice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from mcp import Client
from mcp.types import CallToolResult, TextContent

from mcp_front.bounded import answer_size, bound
from mcp_front.config import Settings
from mcp_front.envelope import success
from mcp_front.runtime import open_runtime
from mcp_front.server import build_server
from sandbox.server import SandboxServer

pytestmark = pytest.mark.anyio

CAP = 32 * 1024


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000) as sb:
        yield sb


@pytest.fixture
def s3(sandbox: SandboxServer) -> Any:
    """A plain boto3 client on the sandbox's S3, with one bucket."""
    assert sandbox.s3 is not None
    sandbox.s3.reset()
    client = boto3.client(
        "s3",
        region_name="fr-par",
        endpoint_url=sandbox.s3_url,
        aws_access_key_id="SCWXXXXXXXXXXXXXXXXX",
        aws_secret_access_key="00000000-0000-0000-0000-000000000000",
        config=Config(s3={"addressing_style": "path"}),
    )
    client.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    return client


@pytest.fixture
async def client(
    sandbox: SandboxServer, s3: Any, make_settings: Callable[..., Settings]
) -> AsyncIterator[Client]:
    settings = make_settings(SCW_S3_ENDPOINT_URL=sandbox.s3_url, SCW_API_URL=sandbox.api_url)
    async with open_runtime(settings) as runtime, Client(build_server(runtime)) as c:
        yield c


def file_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def texts(result: CallToolResult) -> list[str]:
    return [c.text for c in result.content if isinstance(c, TextContent)]


async def test_a_900_kb_text_object_goes_to_a_file_not_inline(client: Client, s3: Any) -> None:
    body = ("lorem ipsum " * 80_000)[:900_000].encode()
    s3.put_object(Bucket="docs", Key="big.txt", Body=body, ContentType="text/plain")
    result = await client.call_tool("download_object", {"bucket": "docs", "key": "big.txt"})
    assert not result.is_error, texts(result)
    assert answer_size(result) < CAP
    assert sum(len(t) for t in texts(result)) < CAP
    assert file_bytes(result.structured_content["data"]["path"]) == body  # type: ignore[index]


async def test_small_text_comes_inline_once(client: Client, s3: Any) -> None:
    body = "a line of notes\n" * 600  # ~9.6 KB
    s3.put_object(Bucket="docs", Key="notes.txt", Body=body.encode(), ContentType="text/plain")
    result = await client.call_tool("download_object", {"bucket": "docs", "key": "notes.txt"})
    assert texts(result)[1] == body
    assert body not in texts(result)[0]
    assert body not in json.dumps(result.structured_content)


async def test_a_long_list_is_cut_and_written_whole_to_a_file(client: Client, s3: Any) -> None:
    keys = [f"reports/{'very-long-folder-name/' * 8}{i:04d}.csv" for i in range(400)]
    for key in keys:
        s3.put_object(Bucket="docs", Key=key, Body=b"x")
    result = await client.call_tool("list_objects", {"bucket": "docs", "page_size": 1000})
    assert not result.is_error
    assert answer_size(result) <= CAP
    answer = result.structured_content
    assert answer is not None and answer["status"] == "success"
    shown = [o["key"] for o in answer["data"]["objects"]]
    assert 0 < len(shown) < len(keys) and shown == keys[: len(shown)]
    whole = json.loads(file_bytes(answer["truncated"]["full_answer_path"]))
    assert [o["key"] for o in whole["data"]["objects"]] == keys


async def test_job_status_stays_near_one_and_a_half_kilobytes(client: Client) -> None:
    created = await client.call_tool(
        "create_instance",
        {"name": "web-1", "commercial_type": "DEV1-S", "image": "ubuntu_noble"},
    )
    job_id = created.structured_content["job"]["id"]  # type: ignore[index]
    status = await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 20})
    assert status.structured_content["data"]["state"] == "succeeded"  # type: ignore[index]
    assert answer_size(status) <= 1536, answer_size(status)
    verbose = await client.call_tool(
        "get_job_status", {"job_id": job_id, "include_params": True, "events": 20}
    )
    assert "params" in verbose.structured_content["data"]  # type: ignore[index]


def test_a_long_string_becomes_a_marked_excerpt(tmp_path: Path) -> None:
    result = bound(success({"text": "x" * 100_000, "id": "a"}), tmp_path, cap=8 * 1024)
    data = result.structured_content["data"]  # type: ignore[index]
    assert data["id"] == "a" and data["text"].endswith("[excerpt: cut here]")
    assert answer_size(result) <= 8 * 1024
    spilled = Path(result.structured_content["truncated"]["full_answer_path"])  # type: ignore[index]
    assert len(json.loads(spilled.read_text())["data"]["text"]) == 100_000
    assert spilled.stat().st_mode & 0o777 == 0o600


def test_a_small_answer_is_left_alone(tmp_path: Path) -> None:
    small = success({"id": "a"})
    assert bound(small, tmp_path) is small
    assert list(tmp_path.iterdir()) == []
