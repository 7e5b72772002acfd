"""Private network operations against the sandbox: create, attach, attach twice, errors."""

from __future__ import annotations

import pytest

from jobs.states import JobState
from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    REGION,
    ZONE,
    Harness,
    SimulatedCrash,
    harness_fixture,
    sandbox_fixture,
)

pytestmark = pytest.mark.anyio
PN_ROUTE = "POST /vpc/v2/regions/{region}/private-networks"
NIC_ROUTE = "POST /instance/v1/zones/{zone}/servers/{server_id}/private_nics"


async def _network(h: Harness, name: str = "backend") -> str:
    job = await h.run_one(
        "network.create_private_network", {"region": REGION, "name": name, "tags": ["env:test"]}
    )
    assert job.state is JobState.SUCCEEDED, job.error
    return str((job.result or {})["id"])


async def _server(h: Harness, start: bool = True) -> str:
    job = await h.run_one(
        "instance.create_server",
        {
            "zone": ZONE,
            "name": "app-1",
            "commercial_type": "DEV1-S",
            "image": "ubuntu_noble",
            "start": start,
        },
    )
    assert job.state is JobState.SUCCEEDED, job.error
    return str((job.result or {})["id"])


async def test_create_private_network_returns_its_subnets(harness: Harness) -> None:
    job = await harness.run_one(
        "network.create_private_network",
        {"region": REGION, "name": "backend", "subnets": ["10.20.0.0/22"], "tags": ["env:test"]},
    )
    assert job.state is JobState.SUCCEEDED, job.error
    result = job.result or {}
    assert result["name"] == "backend" and result["subnets"] == ["10.20.0.0/22"]
    assert "env:test" in result["tags"] and f"job:{job.id}" in result["tags"]


async def test_create_private_network_after_crash_makes_one_network(harness: Harness) -> None:
    job_id = await harness.submit("network.create_private_network", {"region": REGION, "name": "a"})
    # Claimed by the runner that will crash (as its process would have).
    (job,) = await harness.store.claim(harness.runner.owner, limit=1, lease_s=30)
    harness.store.crash_next_checkpoint = True
    with pytest.raises((SimulatedCrash, BaseExceptionGroup)):
        await harness.runner.run(job)
    harness.clock.advance(31)
    (final,) = await harness.run(job_id)
    assert final.state is JobState.SUCCEEDED, final.error
    assert harness.sandbox.state.counters[PN_ROUTE] == 1


async def test_attach_running_server_waits_until_nic_available(harness: Harness) -> None:
    pn_id, server_id = await _network(harness), await _server(harness)
    params = {"zone": ZONE, "server_id": server_id, "private_network_id": pn_id}

    job = await harness.run_one("network.attach_server", params)

    assert job.state is JobState.SUCCEEDED, job.error
    result = job.result or {}
    assert result["state"] == "available" and result["private_network_id"] == pn_id
    assert result["already_attached"] is False

    again = await harness.run_one("network.attach_server", params)
    assert again.state is JobState.SUCCEEDED, again.error
    assert (again.result or {})["id"] == result["id"]
    assert (again.result or {})["already_attached"] is True
    assert harness.sandbox.state.counters[NIC_ROUTE] == 1


async def test_two_concurrent_attaches_share_one_nic(harness: Harness) -> None:
    pn_id, server_id = await _network(harness), await _server(harness, start=False)
    params = {"zone": ZONE, "server_id": server_id, "private_network_id": pn_id}
    first = await harness.submit("network.attach_server", params)
    second = await harness.submit("network.attach_server", params)
    jobs = await harness.run(first, second)
    assert all(j.state is JobState.SUCCEEDED for j in jobs), [j.error for j in jobs]
    assert len({(j.result or {})["id"] for j in jobs}) == 1
    assert len(harness.sandbox.state.all("private_nic")) == 1


async def test_attach_to_missing_network_fails_naming_it(harness: Harness) -> None:
    server_id = await _server(harness, start=False)
    missing = "11111111-2222-3333-4444-555555555555"
    job = await harness.run_one(
        "network.attach_server",
        {"zone": ZONE, "server_id": server_id, "private_network_id": missing},
    )
    assert job.state is JobState.FAILED
    assert missing in (job.error or "") and "list_private_networks" in (job.error or "")
