"""The DNS tools through a real MCP client session against the sandbox."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    POLL_SCALE,
    Session,
    call,
    groups_session_fixture,
    sandbox_fixture,
    sandbox_session,
)
from tests.integration.scaleway_harness import ZERO_UUID, job_count

pytestmark = pytest.mark.anyio
ZONE = "example.com"
PATCH = "PATCH /domain/v2beta1/dns-zones/{dns_zone}/records"


session = groups_session_fixture("default,lb,dns")


@pytest.fixture(autouse=True)
async def zone(sandbox: SandboxServer) -> None:
    """The zone example.com exists (zones are made in the console, not by these tools)."""
    headers = {"X-Auth-Token": ZERO_UUID}
    async with httpx.AsyncClient(base_url=sandbox.api_url, headers=headers) as http:
        made = await http.post("/domain/v2beta1/dns-zones", json={"domain": ZONE, "subdomain": ""})
        assert made.status_code == 200, made.text


def records(sandbox: SandboxServer) -> list[tuple[str, str, str, int]]:
    zone = sandbox.state.get("dns_zone", ZONE)
    assert zone is not None
    return sorted((r["name"], r["type"], r["data"], r["ttl"]) for r in zone.data["records"])


async def test_add_set_and_delete_records_wait_for_the_zone_to_be_active(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    zones = await call(client, "list_dns_zones")
    assert [z["zone"] for z in zones["data"]["zones"]] == [ZONE]

    added = await call(
        client,
        "change_dns_records",
        zone=ZONE,
        changes=[
            {"action": "add", "name": "www", "type": "A", "data": "51.15.0.1", "ttl": 300},
            {"action": "add", "name": "@", "type": "MX", "data": "mx.example.net.", "priority": 10},
            {"action": "add", "name": "@", "type": "TXT", "data": "v=spf1 -all"},
        ],
        confirm=True,
    )
    assert added["status"] == "success", added
    assert added["data"]["status"] == "active"
    assert sandbox.state.status(sandbox.state.get("dns_zone", ZONE)) == "active"  # type: ignore[arg-type]

    changed = await call(
        client,
        "change_dns_records",
        zone=ZONE,
        changes=[
            {"action": "set", "name": "www", "type": "A", "data": "51.15.0.2", "ttl": 60},
            {"action": "delete", "name": "@", "type": "TXT"},
        ],
        confirm=True,
    )
    assert changed["status"] == "success", changed
    assert records(sandbox) == [("", "MX", "mx.example.net.", 3600), ("www", "A", "51.15.0.2", 60)]
    listed = await call(client, "list_dns_records", zone=ZONE, type="A")
    assert [(r["name"], r["data"]) for r in listed["data"]["records"]] == [("www", "51.15.0.2")]


async def test_point_a_name_at_a_load_balancer_and_a_server(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    lb = await call(client, "create_load_balancer", name="front")
    server = await call(client, "create_instance", name="api-1", commercial_type="DEV1-S")
    pointed = await call(
        client, "point_dns_name", zone=ZONE, name="www", lb_id=lb["data"]["id"], confirm=True
    )
    assert pointed["status"] == "success", pointed
    again = await call(
        client, "point_dns_name", zone=ZONE, name="www", lb_id=lb["data"]["id"], confirm=True
    )
    assert again["status"] == "success", again
    api = await call(
        client,
        "point_dns_name",
        zone=ZONE,
        name="api",
        server_id=server["data"]["id"],
        confirm=True,
    )
    assert api["status"] == "success", api
    assert records(sandbox) == [
        ("api", "A", server["data"]["public_ip"], 300),
        ("www", "A", lb["data"]["ips"][0], 300),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"action": "add", "name": "www", "type": "A", "data": "not-an-ip"}, "data"),
        ({"action": "add", "name": "www", "type": "AAAA", "data": "1.2.3.4"}, "data"),
        ({"action": "add", "name": "www", "type": "SPF", "data": "x"}, "type"),
        ({"action": "add", "name": "www", "type": "A", "data": "1.2.3.4", "ttl": 5}, "ttl"),
        ({"action": "add", "name": "bad name", "type": "A", "data": "1.2.3.4"}, "name"),
        ({"action": "set", "name": "www", "type": "A"}, "data"),
        ({"action": "add", "name": "@", "type": "CNAME", "data": "other.org."}, "name"),
    ],
)
async def test_bad_records_are_refused_before_any_call(
    session: Session, sandbox: SandboxServer, change: dict[str, Any], field: str
) -> None:
    client, runtime = session
    answer = await call(client, "change_dns_records", zone=ZONE, changes=[change], confirm=True)
    assert answer["status"] == "error" and field in answer["message"], answer
    assert await job_count(runtime) == 0 and PATCH not in sandbox.state.counters


async def test_unknown_zone_and_target_are_refused_without_a_job(session: Session) -> None:
    client, runtime = session
    change = {"action": "add", "name": "www", "type": "A", "data": "1.2.3.4"}
    missing = await call(
        client, "change_dns_records", zone="nope.org", changes=[change], confirm=True
    )
    assert missing["status"] == "error" and "nope.org" in missing["message"]
    both = await call(client, "point_dns_name", zone=ZONE, name="www", confirm=True)
    assert both["status"] == "error" and "lb_id" in both["message"]
    assert await job_count(runtime) == 0
