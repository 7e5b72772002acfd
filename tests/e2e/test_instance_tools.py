"""The instance tools through a real MCP client session against the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from sandbox.server import SandboxServer
from tests.e2e.stdio_support import finish_after_restart, kill_midway, serve_env
from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    MISSING,
    SERVERS_ROUTE,
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


async def create(client: Client, name: str = "web-1", **args: Any) -> dict[str, Any]:
    answer = await call(
        client, "create_instance", name=name, commercial_type="DEV1-S", zone=ZONE, **args
    )
    assert answer["status"] == "success", answer
    return answer


async def test_instance_tools_carry_the_promised_annotations(session: Session) -> None:
    client, _ = session
    tools = {t.name: t for t in (await client.list_tools()).tools}
    expected = {  # name: (read_only, destructive, idempotent)
        "list_instances": (True, False, True),
        "get_instance": (True, False, True),
        "create_instance": (False, False, False),
        "start_instance": (False, False, True),
        "stop_instance": (False, True, True),
        "delete_instance": (False, True, False),
    }
    for name, (read_only, destructive, idempotent) in expected.items():
        assert tools[name].title, name
        assert hints(tools[name]) == (read_only, destructive, idempotent), name


async def test_server_lifecycle_through_the_tools(session: Session, sandbox: SandboxServer) -> None:
    client, _ = session
    empty = await call(client, "list_instances", zone=ZONE)
    assert empty["data"]["servers"] == [] and empty["source"].startswith("sandbox")

    created = await create(client, tags=["team:web"])
    server = created["data"]
    assert created["job"]["state"] == "succeeded"
    assert server["state"] == "running" and server["ips"]["public"]
    assert "sandbox" in created["source"]

    listed = await call(client, "list_instances", zone=ZONE, tags=["team:web"])
    (row,) = listed["data"]["servers"]  # the cached empty list was dropped by the job
    assert row["id"] == server["id"] and row["public_ip"] and row["private_nics"] == 0
    assert set(row) == {
        "id",
        "name",
        "state",
        "commercial_type",
        "zone",
        "public_ip",
        "private_nics",
        "tags",
    }

    detail = await call(client, "get_instance", server_id=server["id"], zone=ZONE)
    assert detail["data"]["id"] == server["id"] and detail["data"]["commercial_type"] == "DEV1-S"

    stopped = await call(client, "stop_instance", server_id=server["id"], zone=ZONE, confirm=True)
    assert stopped["data"]["state"] == "stopped" and stopped["data"]["already"] is False
    again = await call(client, "stop_instance", server_id=server["id"], zone=ZONE, confirm=True)
    assert again["status"] == "success" and again["data"]["already"] is True
    started = await call(client, "start_instance", server_id=server["id"], zone=ZONE)
    assert started["data"]["state"] == "running"

    deleted = await call(client, "delete_instance", server_id=server["id"], zone=ZONE, confirm=True)
    assert deleted["status"] == "success" and deleted["data"]["deleted"] == server["id"]
    assert sandbox.state.all("server") == [] and sandbox.state.all("volume") == []
    assert (await call(client, "list_instances", zone=ZONE))["data"]["servers"] == []


async def test_pages_of_instances(session: Session) -> None:
    client, _ = session
    for i in range(3):
        await create(client, name=f"web-{i}", start=False)
    first = await call(client, "list_instances", zone=ZONE, per_page=2)
    assert first["data"]["count"] == 2 and first["data"]["total_count"] == 3
    second = await call(client, "list_instances", zone=ZONE, per_page=2, page=2)
    assert second["data"]["count"] == 1 and second["data"]["next_page"] is None
    ids = {s["id"] for s in first["data"]["servers"] + second["data"]["servers"]}
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("tool", "args", "words"),
    [
        ("get_instance", {"server_id": "web-1"}, ["server_id", "UUID"]),
        ("list_instances", {"zone": "fr-par-9"}, ["zone", "fr-par-1", "nl-ams-1"]),
        ("list_instances", {"state": "sleeping"}, ["state", "running"]),
        ("create_instance", {"name": "-bad", "commercial_type": "DEV1-S"}, ["name", "letters"]),
        ("create_instance", {"name": "a", "commercial_type": "XL9"}, ["commercial_type", "DEV1-S"]),
        (
            "create_instance",
            {"name": "a", "commercial_type": "DEV1-S", "image": "winxp"},
            ["image", "ubuntu_noble"],
        ),
        (
            "create_instance",
            {"name": "a", "commercial_type": "DEV1-S", "tags": ["job:x"]},
            ["tags", "reserved"],
        ),
        (
            "create_instance",
            {"name": "a", "commercial_type": "DEV1-S", "volume_size_gb": 1},
            ["volume_size_gb", "10"],
        ),
    ],
)
async def test_bad_arguments_are_refused_before_any_change(
    session: Session, sandbox: SandboxServer, tool: str, args: dict[str, Any], words: list[str]
) -> None:
    await assert_refused_before_any_change(session, sandbox, tool, args, words)


async def test_missing_server_is_a_clear_404(session: Session) -> None:
    client, _ = session
    answer = await call(client, "get_instance", server_id=MISSING, zone=ZONE)
    assert answer["status"] == "error"
    assert MISSING in answer["message"] and "list_instances" in answer["message"]
    failed = await call(client, "start_instance", server_id=MISSING, zone=ZONE)
    assert failed["status"] == "error" and "not found" in failed["message"]
    assert failed["details"]["job"]["state"] == "failed"


async def test_api_400_details_reach_the_user(session: Session) -> None:
    client, runtime = session
    x86 = await call(client, "list_instances", zone=ZONE)  # warm-up: a read works
    assert x86["status"] == "success"
    from workers.scaleway.instance import resolve_image

    assert runtime.services.scaleway is not None
    image_id = await resolve_image(
        runtime.services.scaleway, runtime.services.read_cache, ZONE, "ubuntu_noble", "DEV1-S"
    )
    answer = await call(
        client, "create_instance", name="arm", commercial_type="COPARM1-2C-8G", image=image_id
    )
    assert answer["status"] == "error"
    assert "image" in answer["message"] and "arch" in answer["message"]


async def test_quota_and_precondition_errors(session: Session, sandbox: SandboxServer) -> None:
    client, _ = session
    server = (await create(client, start=False))["data"]
    sandbox.state.quotas["server"] = 1
    over = await call(client, "create_instance", name="web-2", commercial_type="DEV1-S")
    assert over["status"] == "error" and "quota" in over["message"]

    record = sandbox.state.get("server", server["id"])
    assert record is not None
    record.data["protected"] = True
    refused = await call(client, "delete_instance", server_id=server["id"], confirm=True)
    assert refused["status"] == "error" and "protected" in refused["message"]
    assert sandbox.state.get("server", server["id"]) is not None


async def test_every_job_succeeds_through_20_percent_429_and_503(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    sandbox.state.faults.add("*", "429", rate=0.1)
    sandbox.state.faults.add("*", "503", rate=0.1)
    results: dict[str, dict[str, Any]] = {}

    async def create_and_delete(name: str) -> None:
        created = await call(client, "create_instance", name=name, commercial_type="DEV1-S")
        assert created["status"] == "success", created
        deleted = await call(
            client, "delete_instance", server_id=created["data"]["id"], confirm=True
        )
        results[name] = deleted

    async with anyio.create_task_group() as tg:
        for i in range(5):
            tg.start_soon(create_and_delete, f"web-{i}")

    assert all(r["status"] == "success" for r in results.values()), results
    assert sandbox.state.created("server") == 5 and sandbox.state.all("server") == []
    assert sum(rule["fired"] for rule in sandbox.state.faults.rules()) >= 5


# -- kill -9 of a serve process in the middle of create_instance and delete_instance -------
async def test_create_and_delete_resume_after_kill_9(tmp_path: Path) -> None:
    with SandboxServer(speed=20, with_s3=False) as sb:  # a start takes 0.25 s, a stop 1.8 s
        env = serve_env(
            tmp_path, SCW_API_URL=sb.api_url, SCW_MCP_WAIT_BUDGET_S="0.3", SCW_MCP_LEASE_S="1"
        )
        env.pop("SCW_MCP_EXTRA_OPERATIONS")
        job_id = await kill_midway(
            env, tmp_path, "create_instance", {"name": "web-1", "commercial_type": "DEV1-S"}
        )
        server = await finish_after_restart(env, job_id)
        assert server["state"] == "running"
        assert sb.state.created("server") == 1 and sb.state.counters[SERVERS_ROUTE] == 1

        job_id = await kill_midway(
            env, tmp_path, "delete_instance", {"server_id": server["id"], "confirm": True}
        )
        deleted = await finish_after_restart(env, job_id)
        assert deleted["deleted"] == server["id"]
        assert sb.state.all("server") == [] and sb.state.all("volume") == []
