"""The private network tools through a real MCP client session against the sandbox."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    MISSING,
    REGION,
    ZONE,
    Session,
    assert_refused_before_any_change,
    body,
    call,
    sandbox_fixture,
    session_fixture,
)
from tests.support.hints import hints

pytestmark = pytest.mark.anyio


async def _server(client: Client) -> str:
    created = await call(client, "create_instance", name="app-1", commercial_type="DEV1-S")
    assert created["status"] == "success", created
    return str(created["data"]["id"])


async def test_network_tools_carry_the_promised_annotations(session: Session) -> None:
    client, _ = session
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert hints(tools["list_private_networks"])[0]
    assert hints(tools["create_private_network"]) == (False, False, False)
    assert hints(tools["attach_instance_to_network"]) == (False, False, True)


async def test_create_list_and_attach_through_the_tools(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    assert (await call(client, "list_private_networks"))["data"]["private_networks"] == []

    created = await call(
        client,
        "create_private_network",
        name="backend",
        region=REGION,
        subnets=["10.20.0.0/22"],
        tags=["env:test"],
    )
    assert created["status"] == "success", created
    network = created["data"]
    assert network["subnets"] == ["10.20.0.0/22"] and "sandbox" in created["source"]

    listed = await call(client, "list_private_networks", region=REGION, tags=["env:test"])
    assert [n["id"] for n in listed["data"]["private_networks"]] == [network["id"]]

    server_id = await _server(client)
    attached = await call(
        client,
        "attach_instance_to_network",
        server_id=server_id,
        private_network_id=network["id"],
        zone=ZONE,
    )
    assert attached["status"] == "success", attached
    nic = attached["data"]
    assert nic["state"] == "available" and nic["already_attached"] is False

    again = await call(
        client,
        "attach_instance_to_network",
        server_id=server_id,
        private_network_id=network["id"],
    )
    assert again["data"]["id"] == nic["id"] and again["data"]["already_attached"] is True
    (row,) = (await call(client, "list_instances"))["data"]["servers"]
    assert row["private_nics"] == 1  # the attach job dropped the cached instance list


async def test_concurrent_attaches_return_one_nic(session: Session, sandbox: SandboxServer) -> None:
    client, _ = session
    network = (await call(client, "create_private_network", name="backend"))["data"]
    server_id = await _server(client)
    answers: list[dict[str, Any]] = []

    async def attach() -> None:
        answers.append(
            await call(
                client,
                "attach_instance_to_network",
                server_id=server_id,
                private_network_id=network["id"],
            )
        )

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(attach)
    assert all(a["status"] == "success" for a in answers), answers
    assert len({a["data"]["id"] for a in answers}) == 1
    assert len(sandbox.state.all("private_nic")) == 1


@pytest.mark.parametrize(
    ("tool", "args", "words"),
    [
        ("list_private_networks", {"region": "eu-west-9"}, ["region", "fr-par", "nl-ams"]),
        ("list_private_networks", {"vpc_id": "default"}, ["vpc_id", "UUID"]),
        (
            "create_private_network",
            {"name": "b", "subnets": ["10.0.0.300/22"]},
            ["subnets", "CIDR"],
        ),
        (
            "create_private_network",
            {"name": "b", "subnets": ["8.8.8.0/24"]},
            ["subnets", "private"],
        ),
        ("create_private_network", {"name": "has space"}, ["name", "letters"]),
        (
            "attach_instance_to_network",
            {"server_id": MISSING, "private_network_id": "pn-1"},
            ["private_network_id", "UUID"],
        ),
        (
            "attach_instance_to_network",
            {"server_id": MISSING, "private_network_id": MISSING, "zone": "mars-1"},
            ["zone", "fr-par-1"],
        ),
    ],
)
async def test_bad_arguments_are_refused_before_any_change(
    session: Session, sandbox: SandboxServer, tool: str, args: dict[str, Any], words: list[str]
) -> None:
    await assert_refused_before_any_change(session, sandbox, tool, args, words)


async def test_attach_to_missing_network_or_server_says_which(session: Session) -> None:
    client, _ = session
    server_id = await _server(client)
    no_network = await call(
        client, "attach_instance_to_network", server_id=server_id, private_network_id=MISSING
    )
    assert no_network["status"] == "error"
    assert MISSING in no_network["message"] and "list_private_networks" in no_network["message"]
    no_server = await call(
        client, "attach_instance_to_network", server_id=MISSING, private_network_id=MISSING
    )
    assert no_server["status"] == "error" and "list_instances" in no_server["message"]


async def test_network_quota_is_reported(session: Session, sandbox: SandboxServer) -> None:
    client, _ = session
    sandbox.state.quotas["private_network"] = 0
    answer = await call(client, "create_private_network", name="backend")
    assert answer["status"] == "error"
    assert "quota" in answer["message"] and "private_networks" in answer["message"]
