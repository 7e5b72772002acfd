"""The load balancer tools through a real MCP client session against the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client

from mcp_front.config import Settings
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    POLL_SCALE,
    Session,
    call,
    groups_session_fixture,
    sandbox_fixture,
    sandbox_session,
)
from tests.integration.scaleway_harness import job_count

pytestmark = pytest.mark.anyio
LB_POST = "POST /lb/v1/zones/{zone}/lbs"


session = groups_session_fixture("default,lb")


async def _servers(client: Client, tag: str, count: int) -> list[dict[str, Any]]:
    made = []
    for i in range(count):
        answer = await call(
            client, "create_instance", name=f"web-{i}", commercial_type="DEV1-S", tags=[tag]
        )
        assert answer["status"] == "success", answer
        made.append(answer["data"])
    return made


async def _lb(client: Client, **args: Any) -> dict[str, Any]:
    answer = await call(client, "create_load_balancer", **{"name": "front", **args})
    assert answer["status"] == "success", answer
    return dict(answer["data"])


async def test_lb_tools_are_off_by_default_and_annotated_when_on(
    session: Session, make_settings: Callable[..., Settings], sandbox: SandboxServer
) -> None:
    client, _ = session
    tools = {t.name: t.annotations for t in (await client.list_tools()).tools}
    assert tools["list_load_balancers"].read_only_hint  # type: ignore[union-attr]
    assert tools["delete_load_balancer"].destructive_hint  # type: ignore[union-attr]
    default = make_settings(SCW_API_URL=sandbox.api_url)
    async with sandbox_session(default, sandbox.api_url) as (plain, _):
        names = {t.name for t in (await plain.list_tools()).tools}
    assert not any("load_balancer" in n for n in names)


async def test_web_front_from_servers_by_tag_to_frontend_and_network(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    servers = await _servers(client, "role:web", 2)
    network = await call(client, "create_private_network", name="lb-net")
    lb = await _lb(client, tags=["env:test"], private_network_id=network["data"]["id"])
    assert lb["status"] == "ready" and len(lb["ips"]) == 1
    assert lb["private_network_attachments"] == [
        {"private_network_id": network["data"]["id"], "status": "ready"}
    ]

    backend = await call(
        client,
        "add_load_balancer_backend",
        lb_id=lb["id"],
        name="web",
        port=8080,
        protocol="http",
        server_tag="role:web",
        health_check_path="/health",
    )
    assert backend["status"] == "success", backend
    addresses = sorted(s["public_ip"] for s in servers)
    assert sorted(backend["data"]["servers"]) == addresses
    assert backend["data"]["health_check"] == {"port": 8080, "http_path": "/health"}

    frontend = await call(
        client,
        "add_load_balancer_frontend",
        lb_id=lb["id"],
        port=80,
        backend_id=backend["data"]["id"],
    )
    assert frontend["status"] == "success", frontend
    assert (
        frontend["data"]["port"] == 80 and frontend["data"]["backend_id"] == backend["data"]["id"]
    )

    detail = await call(client, "get_load_balancer", lb_id=lb["id"])
    assert [f["port"] for f in detail["data"]["frontends"]] == [80]
    listed = await call(client, "list_load_balancers", tags=["env:test"])
    assert [x["id"] for x in listed["data"]["lbs"]] == [lb["id"]]

    deleted = await call(client, "delete_load_balancer", lb_id=lb["id"], confirm=True)
    assert deleted["status"] == "success", deleted
    assert sandbox.state.all("lb") == [] and sandbox.state.all("lb_ip") == []
    assert sandbox.state.counters[LB_POST] == 1


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"name": "b", "port": 80, "health_check_path": "/"}, "server_ids"),
        (
            {"name": "b", "port": 70000, "server_ids": ["11111111-2222-3333-4444-555555555555"]},
            "port",
        ),
        ({"name": "b", "port": 80, "server_tag": "nobody"}, "server_tag"),
        (
            {"name": "b", "port": 80, "server_tag": "x", "health_check_path": "health"},
            "health_check_path",
        ),
    ],
)
async def test_bad_backends_are_refused_before_any_job(
    session: Session, sandbox: SandboxServer, args: dict[str, Any], field: str
) -> None:
    client, runtime = session
    lb = await _lb(client)
    jobs = await job_count(runtime)
    answer = await call(client, "add_load_balancer_backend", lb_id=lb["id"], **args)
    assert answer["status"] == "error" and field in answer["message"], answer
    assert await job_count(runtime) == jobs
    assert "POST /lb/v1/zones/{zone}/lbs/{lb_id}/backends" not in sandbox.state.counters


async def test_bad_frontends_and_types_are_refused_before_any_job(
    session: Session, sandbox: SandboxServer
) -> None:
    client, runtime = session
    (server,) = await _servers(client, "role:api", 1)
    lb = await _lb(client)
    backend = await call(
        client,
        "add_load_balancer_backend",
        lb_id=lb["id"],
        name="api",
        port=80,
        server_ids=[server["id"]],
    )
    first = await call(
        client,
        "add_load_balancer_frontend",
        lb_id=lb["id"],
        port=80,
        backend_id=backend["data"]["id"],
    )
    assert first["status"] == "success", first
    jobs = await job_count(runtime)
    cases = [
        (
            "add_load_balancer_frontend",
            {"lb_id": lb["id"], "port": 80, "backend_id": backend["data"]["id"]},
            "port",
        ),
        (
            "add_load_balancer_frontend",
            {"lb_id": lb["id"], "port": 0, "backend_id": backend["data"]["id"]},
            "port",
        ),
        (
            "add_load_balancer_frontend",
            {"lb_id": lb["id"], "port": 81, "backend_id": server["id"]},
            "backend_id",
        ),
        ("create_load_balancer", {"name": "x", "type": "LB-HUGE"}, "type"),
    ]
    for tool, args, field in cases:
        answer = await call(client, tool, **args)
        assert answer["status"] == "error" and field in answer["message"], (tool, args, answer)
    assert await job_count(runtime) == jobs
