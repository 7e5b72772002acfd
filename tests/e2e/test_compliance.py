"""Protocol compliance through the SDK client: stdio and HTTP, handshake-era and 2026-07-28.

Each session drives a real ``serve --sandbox`` process: discover or initialize, tools/list,
a read and a job through tools/call with progress, a cancelled request, ping, and the
confirmation of a destructive tool with and without an elicitation-capable client.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, DiscoverResult, ElicitRequestParams, ElicitResult

from tests.e2e.http_support import authorized, http_serve
from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:ping is removed as of 2026-07-28"),
]
TRANSPORTS = ["stdio", "http"]
MODES = ["legacy", "2026-07-28"]
# Fast lifecycles, yet a cluster still takes a few seconds: long enough to cancel its call.
SPEED = "60"


@pytest.fixture(scope="module")
def http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = serve_env(tmp_path_factory.mktemp("http"), SCW_MCP_SANDBOX_SPEED=SPEED)
    with http_serve(env, "--sandbox") as served:
        yield served.url


def connect(transport: str, mode: str, http_url: str, data_dir: Path, **options: Any) -> Client:
    """A client of ``mode`` on a sandbox server over ``transport``."""
    if transport == "stdio":
        command = serve_command()
        target: Any = StdioServerParameters(
            command=command[0],
            args=[*command[1:], "--sandbox"],
            env=serve_env(data_dir, SCW_MCP_SANDBOX_SPEED=SPEED),
            cwd=str(REPO_ROOT),
        )
    else:
        target = streamable_http_client(http_url, http_client=authorized())
    return Client(target, mode=mode, **options)


def envelope(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, result
    return result.structured_content


async def accept(context: Any, params: ElicitRequestParams) -> ElicitResult:
    return ElicitResult(action="accept", content={"confirm": True})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_handshake_tools_progress_cancel_ping_and_confirmation(
    transport: str, mode: str, http_url: str, tmp_path: Path
) -> None:
    questions: list[str] = []

    async def user(context: Any, params: ElicitRequestParams) -> ElicitResult:
        questions.append(params.message)
        return await accept(context, params)

    async with connect(transport, mode, http_url, tmp_path, elicitation_callback=user) as client:
        # discover / initialize
        if mode == "legacy":
            assert client.protocol_version == "2025-11-25"
            await client.send_ping()
        else:
            discovered = DiscoverResult.model_validate(await client.session.send_discover(mode))
            assert mode in discovered.supported_versions
            assert client.protocol_version == mode
            assert discovered.capabilities.tools is not None
            assert discovered.instructions and "durable jobs" in discovered.instructions
        if mode == "legacy":
            assert client.server_info is not None
            assert client.server_info.name == "scaleway-mcp-connector"

        # tools/list and tools/call: a read, then a job with progress
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {"list_instances", "create_instance", "get_job_status"} <= set(tools)
        listed = envelope(await client.call_tool("list_instances", {}))
        assert listed["status"] == "success" and listed["source"].startswith("sandbox")

        progress: list[str] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(message or "")

        made = envelope(
            await client.call_tool(
                "create_instance",
                {"name": "web-1", "commercial_type": "DEV1-S"},
                progress_callback=on_progress,
            )
        )
        assert made["status"] == "success" and made["data"]["state"] == "running", made
        assert progress and any("running" in m or "starting" in m for m in progress), progress

        # cancelling a request ends the wait, not the job; the session goes on
        moving = anyio.Event()

        async def on_cluster_progress(value: float, total: float | None, msg: str | None) -> None:
            moving.set()

        with anyio.move_on_after(60) as scope:
            async with anyio.create_task_group() as tg:

                async def start_cluster() -> None:
                    await client.call_tool(
                        "create_cluster",
                        {"name": "web", "node_type": "DEV1-M"},
                        progress_callback=on_cluster_progress,
                    )

                tg.start_soon(start_cluster)
                await moving.wait()
                tg.cancel_scope.cancel()
        assert not scope.cancelled_caught, "no progress from create_cluster"
        if mode == "legacy":
            await client.send_ping()
        jobs = envelope(await client.call_tool("list_jobs", {"operation": "k8s.create_cluster"}))
        # (the HTTP server is shared by the tests of this module: one job per session)
        states = [job["state"] for job in jobs["data"]["jobs"]]
        assert states and "cancelled" not in states, states

        # elicitation with a client that supports it
        deleted = envelope(
            await client.call_tool("delete_instance", {"server_id": made["data"]["id"]})
        )
        assert deleted["status"] == "success", deleted
        assert len(questions) == 1 and "Delete server web-1" in questions[0], questions


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_client_without_elicitation_gets_the_confirm_fallback(
    transport: str, mode: str, http_url: str, tmp_path: Path
) -> None:
    async with connect(transport, mode, http_url, tmp_path) as client:
        made = envelope(
            await client.call_tool(
                "create_instance", {"name": "db-1", "commercial_type": "DEV1-S", "start": False}
            )
        )
        server_id = made["data"]["id"]
        refused = await client.call_tool("delete_instance", {"server_id": server_id})
        done = await client.call_tool("delete_instance", {"server_id": server_id, "confirm": True})

    # never a protocol error: an envelope naming the field
    assert refused.is_error and "confirm: true" in envelope(refused)["message"]
    assert envelope(done)["status"] == "success", envelope(done)
