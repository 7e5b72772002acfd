"""Over HTTP a task belongs to the bearer principal that created it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from sandbox.server import SandboxServer
from tests.e2e.http_support import http_serve
from tests.e2e.long_jobs_support import body
from tests.e2e.stdio_support import serve_env
from tests.e2e.tasks_support import CreatedTask, TasksClientExtension, get_task

OWNER = "owner-token-not-a-secret-0000"
OTHER = "other-token-not-a-secret-0000"


@pytest.fixture
def two_principal_server(tmp_path: Path) -> Iterator[str]:
    with SandboxServer(speed=5, with_s3=False) as sb:
        env = serve_env(
            tmp_path,
            SCW_API_URL=sb.api_url,
            SCW_MCP_HTTP_TOKEN=f"{OWNER},{OTHER}",
            SCW_MCP_WAIT_BUDGET_S="1",  # a job tool answers with the job id at once
        )
        with http_serve(env) as served:
            yield served.url


def _client(url: str, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return Client(
        streamable_http_client(url, http_client=http),
        mode="2026-07-28",
        extensions=[TasksClientExtension()],
    )


@pytest.mark.anyio
async def test_another_token_cannot_see_or_join_a_task(two_principal_server: str) -> None:
    args = {"name": "web", "node_type": "DEV1-M"}
    async with _client(two_principal_server, OWNER) as owner:
        created = await owner.session.call_tool("create_cluster", args, allow_claimed=True)
        assert isinstance(created, CreatedTask)
        own_view = await get_task(owner.session, created.task_id)
    async with _client(two_principal_server, OTHER) as other:
        with pytest.raises(MCPError) as caught:
            await get_task(other.session, created.task_id)
        # The same call from another principal is its own job, not a way into the first.
        theirs = await other.session.call_tool("create_cluster", args, allow_claimed=True)
    assert own_view["taskId"] == created.task_id
    assert caught.value.error.code == INVALID_PARAMS
    assert "no task" in caught.value.error.message
    assert isinstance(theirs, CreatedTask) and theirs.task_id != created.task_id


def _plain_client(url: str, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return Client(streamable_http_client(url, http_client=http), mode="legacy")


@pytest.mark.anyio
async def test_job_tools_and_job_resources_show_a_token_only_its_own_jobs(
    two_principal_server: str,
) -> None:
    args = {"name": "web", "node_type": "DEV1-M", "pool_size": 1}
    async with _plain_client(two_principal_server, OWNER) as owner:
        mine = body(await owner.call_tool("create_cluster", args))["data"]["job_id"]
        own_status = body(await owner.call_tool("get_job_status", {"job_id": mine}))
        own_list = body(await owner.call_tool("list_jobs", {}))
        own_active = json.loads((await owner.read_resource("jobs://active")).contents[0].text)
    async with _plain_client(two_principal_server, OTHER) as other:
        status = body(await other.call_tool("get_job_status", {"job_id": mine}))
        listed = body(await other.call_tool("list_jobs", {}))
        cancel = body(await other.call_tool("cancel_job", {"job_id": mine}))
        active = json.loads((await other.read_resource("jobs://active")).contents[0].text)
        with pytest.raises(MCPError) as caught:
            await other.read_resource(f"job://{mine}")
    async with _plain_client(two_principal_server, OWNER) as owner:
        still = body(await owner.call_tool("get_job_status", {"job_id": mine}))
    assert own_status["data"]["id"] == mine
    assert [j["id"] for j in own_list["data"]["jobs"]] == [mine]
    assert [j["id"] for j in own_active["jobs"]] == [mine]
    # Another token learns nothing of the job, not even that it exists, and cannot cancel it.
    for answer in (status, cancel):
        assert answer["status"] == "error" and f"no job with id '{mine}'" in answer["message"]
    assert listed["data"]["jobs"] == [] and active["jobs"] == []
    assert caught.value.error.code == INVALID_PARAMS
    assert still["data"]["state"] != "cancelled"
