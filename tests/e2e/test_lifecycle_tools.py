"""Reboot, detach and delete-network through a real MCP client session against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    MISSING,
    REGION,
    ZONE,
    Session,
    call,
    job_count,
    sandbox_fixture,
    session_fixture,
)
from tests.support.hints import hints

pytestmark = pytest.mark.anyio


async def _server(client: Client, **args: Any) -> dict[str, Any]:
    created = await call(
        client, "create_instance", **{"name": "app-1", "commercial_type": "DEV1-S", **args}
    )
    assert created["status"] == "success", created
    return dict(created["data"])


async def _network(client: Client) -> str:
    created = await call(client, "create_private_network", name="backend", region=REGION)
    assert created["status"] == "success", created
    return str(created["data"]["id"])


async def test_new_lifecycle_tools_are_marked_destructive(session: Session) -> None:
    client, _ = session
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("reboot_instance", "detach_instance_from_network", "delete_private_network"):
        assert hints(tools[name])[:2] == (False, True), name


async def test_reboot_brings_a_running_server_back_to_running(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    server = await _server(client)
    answer = await call(client, "reboot_instance", server_id=server["id"], zone=ZONE, confirm=True)
    assert answer["status"] == "success", answer
    assert answer["data"]["state"] == "running"
    assert sandbox.state.counters["POST /instance/v1/zones/{zone}/servers/{server_id}/action"] == 2


async def test_reboot_of_a_stopped_server_is_refused_without_a_job(
    session: Session, sandbox: SandboxServer
) -> None:
    client, runtime = session
    server = await _server(client, start=False)
    jobs_before = await job_count(runtime)
    answer = await call(client, "reboot_instance", server_id=server["id"], confirm=True)
    assert answer["status"] == "error" and "server_id" in answer["message"], answer
    assert "stopped" in answer["message"]
    assert await job_count(runtime) == jobs_before


async def test_a_network_in_use_is_refused_naming_the_server_and_nic_then_deleted(
    session: Session, sandbox: SandboxServer
) -> None:
    client, runtime = session
    server = await _server(client)
    pn_id = await _network(client)
    attached = await call(
        client, "attach_instance_to_network", server_id=server["id"], private_network_id=pn_id
    )
    assert attached["status"] == "success", attached
    nic_id = attached["data"]["id"]

    jobs_before = await job_count(runtime)
    refused = await call(client, "delete_private_network", private_network_id=pn_id, confirm=True)
    assert refused["status"] == "error", refused
    assert server["id"] in refused["message"] and nic_id in refused["message"]
    assert "app-1" in refused["message"] and "detach_instance_from_network" in refused["message"]
    assert await job_count(runtime) == jobs_before
    assert sandbox.state.calls("DELETE") == 0

    detached = await call(
        client,
        "detach_instance_from_network",
        server_id=server["id"],
        private_network_id=pn_id,
        confirm=True,
    )
    assert detached["status"] == "success", detached
    assert detached["data"]["detached"] == nic_id
    assert sandbox.state.all("private_nic") == []

    again = await call(
        client,
        "detach_instance_from_network",
        server_id=server["id"],
        private_network_id=pn_id,
        confirm=True,
    )
    assert again["status"] == "error" and "private_network_id" in again["message"], again

    deleted = await call(client, "delete_private_network", private_network_id=pn_id, confirm=True)
    assert deleted["status"] == "success", deleted
    assert deleted["data"] == {"deleted": pn_id, "region": REGION}
    assert sandbox.state.all("private_network") == []


async def test_deleting_a_missing_network_names_it_without_a_job(session: Session) -> None:
    client, runtime = session
    answer = await call(client, "delete_private_network", private_network_id=MISSING, confirm=True)
    assert answer["status"] == "error" and MISSING in answer["message"], answer
    assert await job_count(runtime) == 0
