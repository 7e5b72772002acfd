"""Strict inputs through a real MCP client: no coercion of booleans, strings or NaN into numbers,
and values that could never work refused at the tool, naming the field, before any job."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from mcp import Client
from pydantic import ValidationError

from mcp_front.config import Settings
from mcp_front.runtime import Runtime, open_runtime
from mcp_front.server import build_server
from mcp_front.toolkit import parse_arguments
from mcp_front.tools.jobs import GetJobStatusInput
from sandbox.server import SandboxServer
from tests.support.s3_client import sandbox_s3_client

pytestmark = pytest.mark.anyio
ZERO = "00000000-0000-0000-0000-000000000001"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000) as sb:
        yield sb


@pytest.fixture
async def session(
    sandbox: SandboxServer, make_settings: Callable[..., Settings]
) -> AsyncIterator[tuple[Client, Runtime]]:
    settings = make_settings(
        SCW_API_URL=sandbox.api_url,
        SCW_S3_ENDPOINT_URL=sandbox.s3_url,
        SCW_MCP_WAIT_BUDGET_S="0",
    )
    # No workers: a call that got through leaves a queued job, which is what we count.
    async with (
        open_runtime(settings, run_workers=False) as runtime,
        Client(build_server(runtime)) as client,
    ):
        yield client, runtime


async def answer(session: tuple[Client, Runtime], tool: str, **args: Any) -> dict[str, Any]:
    result = await session[0].call_tool(tool, args)
    assert result.structured_content is not None
    return result.structured_content


async def refused(session: tuple[Client, Runtime], field: str, tool: str, **args: Any) -> str:
    """The message of a call refused on ``field``, asserting that no job came of it."""
    runtime = session[1]
    before = sum((await runtime.store.count_by_state()).values())
    body = await answer(session, tool, **args)
    assert body["status"] == "error", body
    assert f"{field}: " in body["message"], body["message"]
    assert "internal error" not in body["message"]
    assert sum((await runtime.store.count_by_state()).values()) == before
    return str(body["message"])


CLUSTER = {"name": "web", "node_type": "DEV1-M"}


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("create_cluster", {**CLUSTER, "autoscaling": True, "max_size": True}, "max_size"),
        ("create_cluster", {**CLUSTER, "pool_size": "3"}, "pool_size"),
        ("create_cluster", {**CLUSTER, "pool_size": 3.0}, "pool_size"),
        ("create_cluster", {**CLUSTER, "autoscaling": 1}, "autoscaling"),
        ("create_cluster", {**CLUSTER, "autoscaling": "true"}, "autoscaling"),
        ("create_instance", {"name": "a", "commercial_type": "DEV1-S", "start": 0}, "start"),
        ("create_database", {"name": "db", "volume_size_gb": True}, "volume_size_gb"),
        ("list_instances", {"per_page": False}, "per_page"),
        ("get_job_status", {"job_id": ZERO, "wait_s": True}, "wait_s"),
        ("list_jobs", {"limit": "10"}, "limit"),
    ],
)
async def test_numbers_and_booleans_are_strict(
    session: Any, tool: str, args: dict[str, Any], field: str
) -> None:
    await refused(session, field, tool, **args)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_never_numbers(value: float) -> None:
    # (JSON clients send null for them; a raw JSON-RPC "NaN" token would get here.)
    with pytest.raises(ValidationError, match="finite number"):
        parse_arguments(GetJobStatusInput, {"job_id": ZERO, "wait_s": value})


async def test_json_strings_still_give_enums_and_times(session: Any) -> None:
    body = await answer(
        session, "list_jobs", state=["queued", "failed"], created_after="2024-01-01T00:00:00Z"
    )
    assert body["status"] == "success", body
    body = await answer(session, "get_job_status", job_id=ZERO, wait_s=0)  # an int for a float
    assert body["message"].startswith("no job with id"), body


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("create_bucket", {"name": " "}, "name"),
        ("upload_object", {"bucket": " ", "key": "k", "text": "x"}, "bucket"),
        ("upload_object", {"bucket": "b\tc", "key": "k", "text": "x"}, "bucket"),
        ("list_objects", {"bucket": "docs\n"}, "bucket"),
        ("delete_object", {"bucket": "", "key": "k"}, "bucket"),
        (
            "upload_object",
            {"bucket": "docs", "key": "k", "text": "x", "content_type": "text/plain\r\nX-A: 1"},
            "content_type",
        ),
        (
            "upload_object",
            {"bucket": "docs", "key": "k", "text": "x", "content_type": "not a type"},
            "content_type",
        ),
        (
            "upload_object",
            {"bucket": "docs", "key": "k", "text": "x", "metadata": {"owner": "é\n"}},
            "metadata",
        ),
        (
            "upload_object",
            {"bucket": "docs", "key": "k", "text": "x", "metadata": {"a b": "x"}},
            "metadata",
        ),
        ("upload_object", {"bucket": "docs", "key": "k", "content_base64": "é"}, "content_base64"),
        ("create_bucket", {"name": "docs", "tags": {"team": "a\nb"}}, "tags"),
        ("create_bucket", {"name": "docs", "tags": {"": "x"}}, "tags"),
        ("create_private_network", {"name": "prod\n"}, "name"),
        ("create_registry_namespace", {"name": "team-images\n"}, "name"),
        ("get_instance", {"server_id": ZERO + "\n"}, "server_id"),
        ("create_database", {"name": "db", "password": "Aa1!aaaa\x00"}, "password"),
    ],
)
async def test_values_that_can_never_work_are_refused_at_the_tool(
    session: Any, tool: str, args: dict[str, Any], field: str
) -> None:
    await refused(session, field, tool, **args)


async def test_a_valid_upload_still_makes_a_job(session: Any, sandbox: SandboxServer) -> None:
    s3 = sandbox_s3_client(sandbox.s3_url)
    s3.create_bucket(Bucket="docs", CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    body = await answer(
        session,
        "upload_object",
        bucket="docs",
        key="k.csv",
        text="a,b",
        content_type='text/csv; charset="utf-8"',
        metadata={"owner": "team-a"},
    )
    assert body["status"] == "success" and body["job"]["state"] == "queued", body
