"""Monitoring through a real MCP client session against the sandbox: Cockpit's alert rules,
firing alerts and contact points, and watch_resource jobs that follow a server, end on their
condition, are cancelled, and refuse what they cannot watch before any job exists."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.types import ResourceUpdatedNotification

from mcp_front.config import Settings
from mcp_front.runtime import Runtime
from sandbox.api.cockpit_rules import RULES
from sandbox.server import SandboxServer
from tests.e2e.client_support import call, connected
from tests.e2e.long_jobs_support import until

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:resources/")]
Session = tuple[Client, Runtime]
MISSING = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(name="sandbox")
def sandbox_fixture() -> Iterator[SandboxServer]:
    """A sandbox at speed 1000 (a server starts in 5 ms)."""
    with SandboxServer(speed=1000, seed=0, with_s3=False) as sb:
        yield sb


@pytest.fixture(name="settings")
def settings_fixture(sandbox: SandboxServer, make_settings: Callable[..., Settings]) -> Settings:
    """Monitoring on; every interval a hundredth of its value (a 5 s watch polls at 50 ms)."""
    made = make_settings(
        SCW_API_URL=sandbox.api_url,
        SCW_MCP_WAIT_BUDGET_S="20",
        SCW_MCP_POLL_SCALE="0.01",
        SCW_MCP_TOOL_GROUPS="default,monitoring",
    )
    return replace(made, sandbox=True)


@pytest.fixture(name="session")
async def session_fixture(settings: Settings, sandbox: SandboxServer) -> AsyncIterator[Session]:
    async with connected(settings, sandbox.api_url, "legacy") as opened:
        yield opened


async def _jobs(runtime: Runtime) -> int:
    return len((await runtime.store.list_jobs(limit=100)).jobs)


async def _first_poll(runtime: Runtime, job_id: str) -> None:
    """Wait until the watch has recorded the status it first saw."""

    async def polled() -> bool:
        return "status" in (await runtime.store.get(job_id)).checkpoint

    await until(polled)


async def _stopped_server(client: Client) -> str:
    made = await call(
        client, "create_instance", name="web-1", commercial_type="DEV1-S", start=False
    )
    assert made["status"] == "success", made
    return str(made["data"]["id"])


async def test_rules_are_listed_enabled_and_a_firing_one_shows(
    session: Session, sandbox: SandboxServer
) -> None:
    client, runtime = session
    listed = await call(client, "list_alert_rules")
    assert listed["status"] == "success", listed
    assert listed["data"]["alert_manager"]["alert_manager_enabled"] is False
    assert {r["rule_status"] for r in listed["data"]["rules"]} == {"disabled"}
    assert listed["data"]["total_count"] == len(RULES)

    unknown = await call(client, "enable_alert_rules", rule_ids=["no-such-rule"])
    assert unknown["status"] == "error"
    assert "rule_ids" in unknown["message"] and RULES[0].id in unknown["message"]
    assert await _jobs(runtime) == 0

    enabled = await call(client, "enable_alert_rules", rule_ids=[RULES[0].id])
    assert enabled["status"] == "success", enabled
    assert enabled["job"]["operation"] == "monitoring.enable_alert_rules"
    assert enabled["data"]["alert_manager_enabled_now"] is True
    assert enabled["data"]["newly_enabled_rule_ids"] == [RULES[0].id]

    assert (await call(client, "list_firing_alerts"))["data"]["alerts"] == []
    fire = {"region": "fr-par", "rule_id": RULES[0].id, "state": "firing"}
    async with httpx.AsyncClient(base_url=sandbox.api_url) as admin:
        assert (await admin.post("/_sandbox/cockpit/alerts", json=fire)).status_code == 200
    firing = await call(client, "list_firing_alerts")
    assert [a["rule_id"] for a in firing["data"]["alerts"]] == [RULES[0].id]
    assert firing["data"]["alerts"][0]["state"] == "firing"
    only_firing = await call(client, "list_alert_rules", state="firing", product="instance")
    assert [r["name"] for r in only_firing["data"]["rules"]] == [RULES[0].display_name]


async def test_contact_points_are_created_listed_and_deleted_once_confirmed(
    session: Session,
) -> None:
    client, runtime = session
    bad = await call(client, "create_contact_point", email="ops at example")
    assert bad["status"] == "error" and "email" in bad["message"]
    assert await _jobs(runtime) == 0

    made = await call(client, "create_contact_point", email="Ops@Example.com")
    assert made["status"] == "success", made
    assert made["data"]["contact_point"]["email"] == "ops@example.com"
    listed = await call(client, "list_contact_points")
    assert [p["email"] for p in listed["data"]["contact_points"]] == ["ops@example.com"]

    unconfirmed = await call(client, "delete_contact_point", email="ops@example.com")
    assert unconfirmed["status"] == "error" and "confirm" in unconfirmed["message"]
    assert "no contact point will remain" in unconfirmed["message"]
    missing = await call(client, "delete_contact_point", email="nobody@example.com", confirm=True)
    assert missing["status"] == "error" and "not a contact point" in missing["message"]
    jobs_before = await _jobs(runtime)

    deleted = await call(client, "delete_contact_point", email="ops@example.com", confirm=True)
    assert deleted["status"] == "success", deleted
    assert await _jobs(runtime) == jobs_before + 1
    assert (await call(client, "list_contact_points"))["data"]["contact_points"] == []


async def test_a_watch_sees_a_server_start_notifies_its_subscribers_and_ends_on_until(
    settings: Settings, sandbox: SandboxServer
) -> None:
    send, receive = anyio.create_memory_object_stream[str](10_000)

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            send.send_nowait(str(message.params.uri))

    async with connected(settings, sandbox.api_url, "legacy", message_handler=on_message) as (
        client,
        runtime,
    ):
        server_id = await _stopped_server(client)
        args = {"kind": "server", "resource_id": server_id, "until": "running", "interval_s": 5}
        watching = await call(client, "watch_resource", **args)
        assert watching["status"] == "success", watching
        assert watching["data"]["state"] in ("queued", "running", "waiting")
        job_id = watching["job"]["id"]
        await _first_poll(runtime, job_id)
        assert (await runtime.store.get(job_id)).progress.message.startswith(
            "server web-1 is stopped"
        )
        uri = f"job://{job_id}"
        await client.subscribe_resource(uri)
        jobs = await call(client, "list_jobs", operation="monitoring.watch_resource")
        assert [j["id"] for j in jobs["data"]["jobs"]] == [job_id]

        started = await call(client, "start_instance", server_id=server_id)
        assert started["status"] == "success", started
        status = await call(client, "get_job_status", job_id=job_id, wait_s=20, events=50)
        heard: list[str] = []
        with anyio.move_on_after(2):  # the watcher announces each move within a tick
            async for updated in receive:
                heard.append(updated)
                if heard.count(uri) >= 2:
                    break

    data = status["data"]
    assert data["state"] == "succeeded", data
    result = data["result"]
    assert result["outcome"] == "reached" and result["status"] == "running"
    assert result["changes"][0]["to"] == "stopped" and result["changes"][-1]["to"] == "running"
    changes = [e["message"] for e in data["events"] if e["kind"] == "progress"]
    assert changes[0] == "server web-1 is stopped" and changes[-1].endswith("-> running")
    assert heard.count(uri) >= 2, heard


async def test_an_equal_watch_joins_the_running_one_and_a_cancel_says_what_it_saw(
    session: Session,
) -> None:
    client, runtime = session
    server_id = await _stopped_server(client)
    args = {"kind": "server", "resource_id": server_id, "interval_s": 5, "max_duration_s": 3600}
    job_id = (await call(client, "watch_resource", **args))["job"]["id"]
    await _first_poll(runtime, job_id)
    again = await call(client, "watch_resource", **args)
    assert again["job"]["id"] == job_id  # the same watch joins the one running
    cancelled = await call(client, "cancel_job", job_id=job_id)
    assert cancelled["status"] == "success", cancelled
    status = await call(client, "get_job_status", job_id=job_id, wait_s=10)
    assert status["data"]["state"] == "cancelled", status
    result = status["data"]["result"]
    assert result["outcome"] == "cancelled" and result["status"] == "stopped"
    assert result["resource"] == {
        "kind": "server",
        "id": server_id,
        "name": "web-1",
        "zone": "fr-par-1",
    }


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"kind": "server", "resource_id": MISSING}, ["was not found", "list_instances"]),
        ({"kind": "server", "until": "ready"}, ["until", "running, stopped"]),
        ({"kind": "server", "alert_if_leaves": "running"}, ["alert_if_leaves", "is stopped"]),
        ({"kind": "server", "interval_s": 1}, ["interval_s", "5"]),
        ({"kind": "server", "max_duration_s": 10**7}, ["max_duration_s"]),
        ({"kind": "server", "interval_s": 5, "max_duration_s": 604_800}, ["10000", "61 s"]),
        ({"kind": "server", "region": "fr-par"}, ["region", "zone"]),
        ({"kind": "volcano"}, ["kind", "server"]),
        ({"kind": "server", "until": "running", "alert_if_leaves": "stopped"}, ["not both"]),
    ],
)
async def test_a_watch_it_cannot_keep_is_refused_before_any_job(
    session: Session, args: dict[str, Any], words: list[str]
) -> None:
    client, runtime = session
    server_id = await _stopped_server(client)
    jobs_before = await _jobs(runtime)
    answer = await call(client, "watch_resource", **{"resource_id": server_id, **args})
    assert answer["status"] == "error", answer
    for word in words:
        assert word in answer["message"], answer["message"]
    assert await _jobs(runtime) == jobs_before
