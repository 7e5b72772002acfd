"""Jobs as tasks on the 2025-11-25 wire (core tasks), through a raw JSON-RPC client over stdio."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcp_front.toolkit import ENVELOPE_SCHEMA
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import until
from tests.e2e.stdio_support import serve_env
from tests.e2e.tasks_support import RawStdioClient, open_raw_serve, until_cluster_exists

pytestmark = pytest.mark.anyio
CLUSTER = {"name": "web", "node_type": "DEV1-M"}
CLUSTER_POST = "POST /k8s/v1/regions/{region}/clusters"
RELATED_TASK = "io.modelcontextprotocol/related-task"


@asynccontextmanager
async def raw_serve(env: dict[str, str], *args: str) -> AsyncIterator[RawStdioClient]:
    """A raw client on a fresh ``serve``; the server is killed on exit."""
    process = await open_raw_serve(env, *args)
    client = RawStdioClient(process)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.read_forever)
            try:
                yield client
            finally:
                tg.cancel_scope.cancel()
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


def _env(tmp_path: Path, sb: SandboxServer, **extra: str) -> dict[str, str]:
    return serve_env(tmp_path, SCW_API_URL=sb.api_url, SCW_MCP_POLL_SCALE="0.02", **extra)


def _call(
    name: str, arguments: dict[str, Any], task: dict[str, Any] | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if task is not None:
        params["task"] = task
    return params


async def _create(client: RawStdioClient, args: dict[str, Any] = CLUSTER) -> dict[str, Any]:
    answer = await client.request("tools/call", _call("create_cluster", args, {"ttl": 60_000}))
    return answer["result"]["task"]


async def test_initialize_and_tools_list_advertise_tasks(tmp_path: Path) -> None:
    with SandboxServer(speed=100, with_s3=False) as sb:
        async with raw_serve(_env(tmp_path, sb)) as client:
            init = await client.initialize()
            tools = (await client.request("tools/list"))["result"]["tools"]
    assert init["capabilities"]["tasks"] == {
        "list": {},
        "cancel": {},
        "requests": {"tools": {"call": {}}},
    }
    by_name = {tool["name"]: tool for tool in tools}
    assert by_name["create_cluster"]["execution"] == {"taskSupport": "optional"}
    assert "execution" not in by_name["list_clusters"]
    assert "execution" not in by_name["cancel_job"]
    assert all(tool["outputSchema"] == ENVELOPE_SCHEMA for tool in tools)


async def test_create_cluster_task_result_blocks_then_completes(tmp_path: Path) -> None:
    with SandboxServer(speed=50, with_s3=False) as sb:
        async with raw_serve(_env(tmp_path, sb)) as client:
            await client.initialize()
            task = await _create(client)
            working = (await client.request("tasks/get", {"taskId": task["taskId"]}))["result"]
            final = (await client.request("tasks/result", {"taskId": task["taskId"]}))["result"]
            done = (await client.request("tasks/get", {"taskId": task["taskId"]}))["result"]
            listed = (await client.request("tasks/list"))["result"]["tasks"]
            again = await _create(client, {**CLUSTER, "name": "web"})
            await until(lambda: _has_status_notification(client, task["taskId"]))
    assert task["status"] == working["status"] == "working"
    # The requested lifetime is kept between 1 h and 7 d (and the operation's deadline).
    assert task["ttl"] == 3600 * 1000 and task["pollInterval"] > 0
    assert final["_meta"][RELATED_TASK] == {"taskId": task["taskId"]}
    assert final["structuredContent"]["status"] == "success"
    assert final["structuredContent"]["data"]["status"] == "ready"
    assert final.get("isError") is not True
    assert done["status"] == "completed" and "pollInterval" not in done
    assert [t["taskId"] for t in listed] == [task["taskId"]]
    # An equal create re-issued after the first succeeded is that task, ended: one cluster.
    assert again["taskId"] == task["taskId"] and again["status"] == "completed"
    assert sb.state.counters[CLUSTER_POST] == 1


async def _has_status_notification(client: RawStdioClient, task_id: str) -> bool:
    return any(
        n["method"] == "notifications/tasks/status"
        and n["params"]["taskId"] == task_id
        and n["params"]["status"] == "completed"
        for n in client.notifications
    )


async def test_cancel_during_creation_names_what_exists_and_cannot_repeat(tmp_path: Path) -> None:
    with SandboxServer(speed=5, with_s3=False) as sb:
        async with raw_serve(_env(tmp_path, sb)) as client:
            await client.initialize()
            task = await _create(client)
            job = await until_cluster_exists(tmp_path, task["taskId"])
            cancelled = await client.request("tasks/cancel", {"taskId": task["taskId"]})
            twice = await client.request("tasks/cancel", {"taskId": task["taskId"]})
            result = (await client.request("tasks/result", {"taskId": task["taskId"]}))["result"]
    assert cancelled["result"]["status"] == "cancelled"
    assert job.checkpoint["cluster_id"] in cancelled["result"]["statusMessage"]
    assert twice["error"]["code"] == -32602 and "already ended" in twice["error"]["message"]
    assert result["structuredContent"]["data"]["cancelled"] is True
    assert job.checkpoint["cluster_id"] in str(result["structuredContent"]["data"]["what_exists"])


async def test_a_task_survives_sigkill_and_completes_once_after_restart(tmp_path: Path) -> None:
    with SandboxServer(speed=50, with_s3=False) as sb:
        env = _env(tmp_path, sb, SCW_MCP_LEASE_S="1")
        async with raw_serve(env) as client:
            await client.initialize()
            task = await _create(client)
            await until_cluster_exists(tmp_path, task["taskId"])
            client.process.kill()  # SIGKILL
        async with raw_serve(env) as client:
            await client.initialize()
            result = (await client.request("tasks/result", {"taskId": task["taskId"]}))["result"]
            status = (await client.request("tasks/get", {"taskId": task["taskId"]}))["result"]
    assert status["status"] == "completed"
    assert result["structuredContent"]["data"]["status"] == "ready"
    assert sb.state.created("cluster") == 1 and sb.state.counters[CLUSTER_POST] == 1


async def test_without_tasks_and_for_read_tools_calls_answer_inline(tmp_path: Path) -> None:
    with SandboxServer(speed=20, with_s3=False) as sb:
        env = _env(tmp_path, sb, SCW_MCP_WAIT_BUDGET_S="0.5")
        async with raw_serve(env) as client:
            await client.initialize(tasks=False)
            plain = await client.request("tools/call", _call("create_cluster", CLUSTER))
            read = await client.request("tools/call", _call("list_clusters", {}, {"ttl": 60_000}))
    envelope = plain["result"]["structuredContent"]
    assert envelope["data"]["state"] in ("queued", "running", "waiting")
    assert "get_job_status" in envelope["data"]["hint"]
    assert "task" not in read["result"]
    assert read["result"]["structuredContent"]["status"] == "success"


async def test_unknown_and_malformed_task_ids_are_invalid_params(tmp_path: Path) -> None:
    with SandboxServer(speed=100, with_s3=False) as sb:
        async with raw_serve(_env(tmp_path, sb)) as client:
            await client.initialize()
            unknown = await client.request(
                "tasks/get", {"taskId": "00000000-0000-0000-0000-00000000abcd"}
            )
            malformed = await client.request("tasks/result", {"taskId": "not-a-task"})
            missing = await client.request("tasks/cancel", {})
            cursor = await client.request("tasks/list", {"cursor": "bogus"})
            bad_task = await client.request(
                "tools/call", {**_call("create_cluster", CLUSTER), "task": 5}
            )
    assert unknown["error"]["code"] == -32602 and "no task" in unknown["error"]["message"]
    assert malformed["error"]["code"] == -32602
    assert "is not a task id" in malformed["error"]["message"]
    assert missing["error"]["code"] == -32602
    assert cursor["error"]["code"] == -32602 and "cursor" in cursor["error"]["message"]
    assert bad_task["error"]["code"] == -32602
