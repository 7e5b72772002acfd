"""Jobs as tasks on the 2026-07-28 wire (extension io.modelcontextprotocol/tasks), over stdio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CancelTaskRequest, CancelTaskRequestParams

from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import body
from tests.e2e.stdio_support import kill_serve_children, serve_env, serve_params
from tests.e2e.tasks_support import (
    ANY_RESULT,
    CreatedTask,
    TasksClientExtension,
    get_task,
    until_cluster_exists,
)

pytestmark = pytest.mark.anyio
MODE = "2026-07-28"
CLUSTER = {"name": "web", "node_type": "DEV1-M"}
CLUSTER_POST = "POST /k8s/v1/regions/{region}/clusters"


def _env(tmp_path: Path, sb: SandboxServer, **extra: str) -> dict[str, str]:
    return serve_env(tmp_path, SCW_API_URL=sb.api_url, SCW_MCP_POLL_SCALE="0.02", **extra)


def _tasks_client(env: dict[str, str]) -> Client:
    return Client(serve_params(env), mode=MODE, extensions=[TasksClientExtension()])


async def _create_task(client: Client, args: dict[str, Any] | None = None) -> CreatedTask:
    created = await client.session.call_tool("create_cluster", args or CLUSTER, allow_claimed=True)
    assert isinstance(created, CreatedTask), created
    return created


async def test_create_cluster_task_goes_working_then_completed_with_its_result(
    tmp_path: Path,
) -> None:
    with SandboxServer(speed=100, with_s3=False) as sb:
        tasks = TasksClientExtension()
        async with Client(serve_params(_env(tmp_path, sb)), mode=MODE, extensions=[tasks]) as c:
            result = await c.call_tool("create_cluster", CLUSTER)
            jobs = body(await c.call_tool("list_jobs", {}))["data"]["jobs"]
    envelope = result.structured_content
    assert envelope is not None and envelope["status"] == "success", envelope
    assert envelope["data"]["status"] == "ready" and envelope["job"]["state"] == "succeeded"
    [created] = tasks.created
    assert created["status"] == "working" and created["pollIntervalMs"] > 0
    assert created["ttlMs"] == 24 * 3600 * 1000
    assert created["taskId"] == jobs[0]["id"] == envelope["job"]["id"]
    statuses = [poll["status"] for poll in tasks.polls]
    assert statuses[-1] == "completed" and set(statuses[:-1]) <= {"working"}
    assert tasks.polls[-1]["result"]["structuredContent"] == envelope
    assert sb.state.counters[CLUSTER_POST] == 1


async def test_a_reissued_create_returns_the_same_task(tmp_path: Path) -> None:
    with SandboxServer(speed=20, with_s3=False) as sb:
        async with _tasks_client(_env(tmp_path, sb)) as c:
            first = await _create_task(c)
            again = await _create_task(c)
            other = await _create_task(c, {**CLUSTER, "name": "api"})
            jobs = body(await c.call_tool("list_jobs", {}))["data"]["jobs"]
    assert first.task_id == again.task_id != other.task_id
    assert sorted(j["id"] for j in jobs) == sorted([first.task_id, other.task_id])


async def test_cancel_during_creation_names_what_exists(tmp_path: Path) -> None:
    with SandboxServer(speed=5, with_s3=False) as sb:
        async with _tasks_client(_env(tmp_path, sb)) as c:
            task = await _create_task(c)
            job = await until_cluster_exists(tmp_path, task.task_id)
            request = CancelTaskRequest(params=CancelTaskRequestParams(task_id=task.task_id))
            ack = await c.session.send_request(request, ANY_RESULT)
            assert ack.get("resultType") == "complete", ack
            seen = await get_task(c.session, task.task_id)
            with anyio.fail_after(30):
                while seen["status"] == "working":
                    await anyio.sleep(0.2)
                    seen = await get_task(c.session, task.task_id)
    assert seen["status"] == "cancelled"
    assert job.checkpoint["cluster_id"] in seen["statusMessage"]
    assert "what exists" in seen["statusMessage"]


async def test_a_task_survives_sigkill_and_completes_once_after_restart(tmp_path: Path) -> None:
    with SandboxServer(speed=50, with_s3=False) as sb:
        env = _env(tmp_path, sb, SCW_MCP_LEASE_S="1")
        killed = 0
        try:
            async with Client(
                serve_params(env), mode=MODE, extensions=[TasksClientExtension()]
            ) as c:
                task = await _create_task(c)
                await until_cluster_exists(tmp_path, task.task_id)
                killed = kill_serve_children()
        except Exception:  # the session dies with its server, as intended
            pass
        assert killed == 1
        tasks = TasksClientExtension()
        async with Client(serve_params(env), mode=MODE, extensions=[tasks]) as c:
            seen = await get_task(c.session, task.task_id)
            while seen["status"] == "working":
                await anyio.sleep(0.2)
                seen = await get_task(c.session, task.task_id)
    assert seen["status"] == "completed"
    assert seen["result"]["structuredContent"]["data"]["status"] == "ready"
    assert sb.state.created("cluster") == 1 and sb.state.counters[CLUSTER_POST] == 1


async def test_without_the_extension_a_call_answers_as_today(tmp_path: Path) -> None:
    with SandboxServer(speed=20, with_s3=False) as sb:
        env = _env(tmp_path, sb, SCW_MCP_WAIT_BUDGET_S="0.5")
        async with Client(serve_params(env), mode=MODE) as c:
            answer = body(await c.call_tool("create_cluster", CLUSTER))
    assert answer["status"] == "success"
    assert answer["data"]["state"] in ("queued", "running", "waiting")
    assert "get_job_status" in answer["data"]["hint"]


async def test_bad_task_ids_and_read_tools(tmp_path: Path) -> None:
    with SandboxServer(speed=100, with_s3=False) as sb:
        async with _tasks_client(_env(tmp_path, sb)) as c:
            listed = await c.session.call_tool("list_clusters", {}, allow_claimed=True)
            errors = {}
            for task_id in ("00000000-0000-0000-0000-00000000abcd", "../../etc/passwd"):
                with pytest.raises(MCPError) as caught:
                    await get_task(c.session, task_id)
                errors[task_id] = caught.value.error
    assert not isinstance(listed, CreatedTask) and listed.structured_content["status"] == "success"
    assert all(e.code == INVALID_PARAMS for e in errors.values())
    assert (
        "no task 00000000-0000-0000-0000-00000000abcd"
        in errors["00000000-0000-0000-0000-00000000abcd"].message
    )
    assert "is not a task id" in errors["../../etc/passwd"].message
