"""Load balancer, DNS and serverless operations against the sandbox, one step at a time: a
process that dies right after the create (or the change) answered, before it was committed,
makes no second load balancer or container and adds no record twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from jobs.states import JobState
from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import Harness, open_harness, sandbox_fixture  # noqa: F401
from tests.integration.test_k8s_database_operations import CrashAfterCreate, _crash_then_finish
from workers.operations import dns, lb, network, serverless_deploy

pytestmark = pytest.mark.anyio
ZONE = "fr-par-1"


@pytest.fixture
async def harness(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[Harness]:
    operations = [*lb.OPERATIONS, *dns.OPERATIONS, *serverless_deploy.OPERATIONS]
    operations += network.OPERATIONS
    async with open_harness(sandbox, tmp_path, operations, CrashAfterCreate) as h:
        yield h


async def test_crash_after_lb_create_makes_exactly_one_load_balancer(harness: Harness) -> None:
    final = await _crash_then_finish(
        harness, "lb.create_lb", {"zone": ZONE, "name": "front"}, "lb_id"
    )
    assert final.result["status"] == "ready"
    assert harness.sandbox.state.created("lb") == 1
    assert harness.sandbox.state.counters["POST /lb/v1/zones/{zone}/lbs"] == 1


async def test_a_load_balancer_in_error_fails_the_job_saying_what_exists(harness: Harness) -> None:
    params = {"zone": ZONE, "name": "front", "tags": ["sandbox:fail=error"]}
    job = await harness.run_one("lb.create_lb", params)
    assert job.state is JobState.FAILED
    assert "'error'" in job.error and "delete_load_balancer" in job.error


async def test_crash_after_a_dns_change_was_sent_adds_each_record_once(
    harness: Harness, sandbox: SandboxServer
) -> None:
    await harness.client.call(
        harness.client.domain.create_dns_zone, domain="example.com", subdomain=""
    )
    change = {"action": "add", "name": "www", "type": "A", "data": "51.15.0.7", "ttl": 300}
    keep = {"action": "set", "name": "api", "type": "A", "data": "51.15.0.8", "ttl": 300}
    params = {"zone": "example.com", "changes": [change, keep]}
    final = await _crash_then_finish(harness, "dns.change_records", params, "applied")
    zone = sandbox.state.get("dns_zone", "example.com")
    assert zone is not None
    assert sorted((r["name"], r["data"]) for r in zone.data["records"]) == [
        ("api", "51.15.0.8"),
        ("www", "51.15.0.7"),
    ]
    assert sandbox.state.counters["PATCH /domain/v2beta1/dns-zones/{dns_zone}/records"] == 2
    assert {r["name"] for r in final.result["records"]} == {"www", "api"}


async def test_crash_after_container_create_makes_exactly_one_container(
    harness: Harness, sandbox: SandboxServer
) -> None:
    ns = await harness.client.call(harness.client.containers.create_namespace, name="web")
    await anyio.sleep(0.05)  # the namespace is ready after 10 ms at speed 1000
    params = {"region": "fr-par", "namespace_id": ns.id, "name": "api", "image": "nginx:1.27"}
    final = await _crash_then_finish(harness, "serverless.deploy_container", params, "app_id")
    assert final.result["status"] == "ready"
    assert sandbox.state.created("container") == 1
    assert sandbox.state.counters["POST /containers/v1beta1/regions/{region}/containers"] == 1
