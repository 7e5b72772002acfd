"""Lists across every zone or region through a real MCP client session against the sandbox."""

from __future__ import annotations

import pytest

from mcp_front.config import known_regions
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    Session,
    call,
    groups_session_fixture,
    sandbox_fixture,
)

pytestmark = pytest.mark.anyio
session = groups_session_fixture("default,lb")


async def _server(session: Session, name: str, zone: str) -> None:
    created = await call(
        session[0], "create_instance", name=name, commercial_type="DEV1-S", zone=zone
    )
    assert created["status"] == "success", created


async def test_every_zone_is_listed_with_its_items_tagged_and_a_failing_zone_reported(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    await _server(session, "par", "fr-par-1")
    await _server(session, "ams", "nl-ams-2")
    sandbox.state.faults.add("GET /instance/v1/zones/pl-waw-1/servers", "503")
    answer = await call(client, "list_instances", zone="all")
    assert answer["status"] == "success", answer
    data = answer["data"]
    assert {(s["name"], s["zone"]) for s in data["servers"]} == {
        ("par", "fr-par-1"),
        ("ams", "nl-ams-2"),
    }
    assert [f["zone"] for f in data["failed"]] == ["pl-waw-1"]
    assert "503" in data["failed"][0]["error"], data["failed"]

    second = await call(client, "list_instances", zone="all", per_page=1, page=2)
    assert [s["name"] for s in second["data"]["servers"]] == ["ams"]
    assert second["data"]["total_count"] == 2


async def test_every_region_of_databases_and_clusters_with_one_region_failing(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    sandbox.state.faults.add("GET /rdb/v1/regions/nl-ams/instances", "503")
    sandbox.state.faults.add("GET /k8s/v1/regions/fr-par/clusters", "500")
    databases = await call(client, "list_databases", region="all")
    assert databases["status"] == "success", databases
    assert [f["region"] for f in databases["data"]["failed"]] == ["nl-ams"]
    clusters = await call(client, "list_clusters", region="all")
    assert clusters["status"] == "success", clusters
    assert [f["region"] for f in clusters["data"]["failed"]] == ["fr-par"]
    assert len(known_regions()) == 3


async def test_one_zone_still_answers_as_before_and_a_bad_zone_names_the_valid_ones(
    session: Session,
) -> None:
    client, _ = session
    await _server(session, "par", "fr-par-1")
    answer = await call(client, "list_instances", zone="fr-par-1")
    assert [s["name"] for s in answer["data"]["servers"]] == ["par"]
    assert "failed" not in answer["data"]
    bad = await call(client, "list_load_balancers", zone="mars-1")
    assert bad["status"] == "error" and "fr-par-1" in bad["message"]
