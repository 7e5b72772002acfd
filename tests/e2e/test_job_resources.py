"""Jobs as MCP resources: read them, follow them (both generations), and find them linked
from the tool results that started them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import ResourceLink, ResourceUpdatedNotification, TextResourceContents

from mcp_front.config import Settings
from sandbox.server import SandboxServer
from tests.e2e.client_support import MODES, connected, no_wait_settings

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:resources/")]


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox slow enough (a cluster takes seconds) to watch a job move."""
    with SandboxServer(speed=150, seed=0, with_s3=False) as sb:
        yield sb


@pytest.fixture
def settings(sandbox: SandboxServer, make_settings: Callable[..., Settings]) -> Settings:
    return no_wait_settings(sandbox, make_settings, poll_scale="0.007")


async def read_json(client: Client, uri: str) -> Any:
    result = await client.read_resource(uri)
    [content] = result.contents
    assert isinstance(content, TextResourceContents) and content.mime_type == "application/json"
    return json.loads(content.text)


async def start_cluster(client: Client) -> str:
    result = await client.call_tool("create_cluster", {"name": "web", "node_type": "DEV1-M"})
    assert result.structured_content is not None
    job_id = result.structured_content["job"]["id"]
    links = [c for c in result.content if isinstance(c, ResourceLink)]
    assert [str(link.uri) for link in links] == [f"job://{job_id}"], result.content
    return str(job_id)


@pytest.mark.parametrize("mode", MODES)
async def test_job_resources_are_listed_read_and_linked(
    mode: str, settings: Settings, sandbox: SandboxServer
) -> None:
    async with connected(settings, sandbox.api_url, mode) as (client, _):
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        templates = {
            t.uri_template for t in (await client.list_resource_templates()).resource_templates
        }
        job_id = await start_cluster(client)
        job = await read_json(client, f"job://{job_id}")
        active = await read_json(client, "jobs://active")
        with pytest.raises(MCPError) as unknown:
            await client.read_resource("job://00000000-0000-0000-0000-000000000000")

    assert "jobs://active" in listed and "job://{job_id}" in templates
    assert job["id"] == job_id and job["operation"] == "k8s.create_cluster"
    assert job["events"] and job["state"] in ("queued", "running", "waiting")
    assert [row["uri"] for row in active["jobs"]] == [f"job://{job_id}"]
    assert unknown.value.error.code == -32602, unknown.value.error
    assert "no job" in unknown.value.error.message


async def test_handshake_subscriber_hears_each_move_of_its_job(
    settings: Settings, sandbox: SandboxServer
) -> None:
    send, receive = anyio.create_memory_object_stream[str](100)
    heard: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            await send.send(str(message.params.uri))

    async with connected(settings, sandbox.api_url, "legacy", message_handler=on_message) as (
        client,
        _,
    ):
        job_id = await start_cluster(client)
        uri = f"job://{job_id}"
        await client.subscribe_resource(uri)
        with anyio.fail_after(60):
            async for updated in receive:
                heard.append(updated)
                state = (await read_json(client, uri))["state"]
                if state == "succeeded" and len(heard) >= 3:  # seen, moved, finished at least
                    break

    assert set(heard) == {uri}, heard


async def test_2026_listener_hears_its_job_and_the_active_list(
    settings: Settings, sandbox: SandboxServer
) -> None:
    async with connected(settings, sandbox.api_url, "2026-07-28") as (client, _):
        job_id = await start_cluster(client)
        uri = f"job://{job_id}"
        heard: list[str] = []
        async with client.listen(resource_subscriptions=[uri, "jobs://active"]) as events:
            with anyio.fail_after(60):
                async for event in events:
                    heard.append(str(getattr(event, "uri", "")))
                    if (await read_json(client, uri))["state"] == "succeeded" and (
                        "jobs://active" in heard and heard.count(uri) >= 2
                    ):
                        break

    assert set(heard) == {uri, "jobs://active"}, heard
