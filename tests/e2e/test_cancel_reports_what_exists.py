"""A cancel never hides a resource: a create whose API call went through but whose id was never
checkpointed (the answer dropped, or the process killed) is found by the job's tag (or marker
and name) when the job is cancelled - by cancel_job, by `jobs cancel` with the server down, or
after a restart - exactly as the resumed step would find it."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from jobs.models import Job
from jobs.states import JobState
from mcp_front import jobs_cli
from mcp_front.config import Settings
from mcp_front.runtime import Runtime, open_runtime, poll_settings
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    POLL_SCALE,
    Session,
    call,
    sandbox_fixture,
    sandbox_session,
    until,
)
from tests.integration.scaleway_harness import fast_client
from workers.scaleway.instance import create_server, resolve_image
from workers.services import Services

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Kind:
    """A create tool, the API route whose answer is dropped, and what the result must name."""

    tool: str
    args: dict[str, Any]
    route: str
    sandbox_kind: str
    key: str


KINDS = [
    Kind(
        "create_instance",
        {"name": "web", "commercial_type": "DEV1-S"},
        "POST /instance/v1/zones/{zone}/servers",
        "server",
        "server_id",
    ),
    Kind(
        "create_private_network",
        {"name": "back"},
        "POST /vpc/v2/regions/{region}/private-networks",
        "private_network",
        "private_network_id",
    ),
    Kind(
        "create_cluster",
        {"name": "prod", "node_type": "DEV1-M", "pool_size": 1},
        "POST /k8s/v1/regions/{region}/clusters",
        "cluster",
        "cluster_id",
    ),
    Kind(
        "create_database",
        {"name": "orders"},
        "POST /rdb/v1/regions/{region}/instances",
        "rdb_instance",
        "instance_id",
    ),
    Kind(
        "create_registry_namespace",
        {"name": "team-images"},
        "POST /registry/v1/regions/{region}/namespaces",
        "registry_namespace",
        "namespace_id",
    ),
]


@pytest.fixture
def settings(sandbox: SandboxServer, make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        SCW_API_URL=sandbox.api_url, SCW_MCP_WAIT_BUDGET_S="0", SCW_MCP_POLL_SCALE=POLL_SCALE
    )


@pytest.fixture
async def session(settings: Settings, sandbox: SandboxServer) -> AsyncIterator[Session]:
    async with sandbox_session(settings, sandbox.api_url) as opened:
        yield opened


LOAD_BALANCER = Kind(
    "create_load_balancer",
    {"name": "front"},
    "POST /lb/v1/zones/{zone}/lbs",
    "lb",
    "lb_id",
)


async def created_then_dropped(
    client: Any, runtime: Runtime, sandbox: SandboxServer, kind: Kind
) -> Job:
    """Start the create with its answer dropped: the resource exists, its id is nowhere in
    the job, which waits to try again."""
    sandbox.state.faults.add(kind.route, "commit_then_drop", times=1)
    started = await call(client, kind.tool, **kind.args)
    assert started["status"] == "success", started
    job_id = started["job"]["id"]

    async def parked_after_the_drop() -> bool:
        job = await runtime.store.get(job_id)
        return job.state is JobState.WAITING and job.error is not None

    await until(parked_after_the_drop)
    job = await runtime.store.get(job_id)
    assert kind.key not in job.checkpoint
    assert len(sandbox.state.all(kind.sandbox_kind)) == 1
    return job


def the_one(sandbox: SandboxServer, kind: Kind) -> str:
    (record,) = sandbox.state.all(kind.sandbox_kind)
    return str(record.id)


@pytest.mark.parametrize("kind", KINDS, ids=[k.tool for k in KINDS])
async def test_cancel_job_names_a_resource_whose_answer_was_lost(
    session: Session, sandbox: SandboxServer, kind: Kind
) -> None:
    client, runtime = session
    job = await created_then_dropped(client, runtime, sandbox, kind)

    answer = await call(client, "cancel_job", job_id=job.id)

    assert answer["status"] == "success", answer
    view = answer["data"]
    assert view["state"] == "cancelled", view
    assert view["result"]["created"][kind.key] == the_one(sandbox, kind)
    if kind.tool == "create_cluster":  # the cluster and the network made for it
        (network,) = sandbox.state.all("private_network")
        assert view["result"]["created"]["private_network_id"] == network.id
    assert len(sandbox.state.all(kind.sandbox_kind)) == 1  # cancelling created nothing more


async def test_cancel_job_names_a_load_balancer_whose_answer_was_lost(
    sandbox: SandboxServer, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        SCW_API_URL=sandbox.api_url,
        SCW_MCP_WAIT_BUDGET_S="0",
        SCW_MCP_POLL_SCALE=POLL_SCALE,
        SCW_MCP_TOOL_GROUPS="default,lb",
    )
    async with sandbox_session(settings, sandbox.api_url) as (client, runtime):
        job = await created_then_dropped(client, runtime, sandbox, LOAD_BALANCER)
        answer = await call(client, "cancel_job", job_id=job.id)
    assert answer["data"]["result"]["created"]["lb_id"] == the_one(sandbox, LOAD_BALANCER)


@pytest.mark.parametrize("kind", KINDS, ids=[k.tool for k in KINDS])
async def test_jobs_cancel_with_the_server_down_looks_it_up(
    settings: Settings, sandbox: SandboxServer, kind: Kind
) -> None:
    async with sandbox_session(settings, sandbox.api_url) as (client, runtime):
        job = await created_then_dropped(client, runtime, sandbox, kind)
    # The server is down now; the operator cancels from the shell.
    lines: list[str] = []
    args = argparse.Namespace(jobs_command="cancel", job_id=job.id)
    await jobs_cli.run(replace(settings, sandbox=True), args, lines.append)

    (line,) = lines
    assert line.startswith(f"{job.id}: cancelled; what exists: "), line
    result = json.loads(line.split("what exists: ", 1)[1])
    assert result["created"][kind.key] == the_one(sandbox, kind)


async def test_cancel_after_a_crash_between_create_and_checkpoint(
    settings: Settings, sandbox: SandboxServer
) -> None:
    """A process died right after the create call: the job is running under its dead lease,
    the server exists with the job's tag, the checkpoint is empty."""
    settings = replace(settings, lease_s=1.0)
    services = Services(
        secrets_dir=settings.secrets_dir,
        scaleway=fast_client(sandbox.api_url),
        sandbox=True,
        polling=poll_settings(settings),
    )
    async with open_runtime(settings, services=services, run_workers=False) as crashed:
        job = await crashed_create(crashed, sandbox)
    # The restarted server: its workers take the job over once the dead lease expires.
    async with sandbox_session(settings, sandbox.api_url) as (session, runtime):
        answer = await call(session, "cancel_job", job_id=job.id)
        assert answer["status"] == "success", answer

        async def finished() -> bool:
            return (await runtime.store.get(job.id)).state.is_terminal

        await until(finished)
        done = await runtime.store.get(job.id)
    assert done.state is JobState.CANCELLED
    (server,) = sandbox.state.all("server")
    assert done.result is not None and done.result["created"]["server_id"] == server.id


async def crashed_create(runtime: Runtime, sandbox: SandboxServer) -> Job:
    """The state a SIGKILL after the create call leaves: a claimed job, a tagged server."""
    params = runtime.registry.validate(
        "instance.create_server",
        {"zone": "fr-par-1", "name": "web", "commercial_type": "DEV1-S", "image": "ubuntu_noble"},
    )
    job, _ = await runtime.store.enqueue("instance.create_server", params)
    claimed = await runtime.store.claim("dead-host:1", lease_s=0.5, limit=1)
    assert [c.id for c in claimed] == [job.id]
    client = runtime.services.scaleway_client()
    image = await resolve_image(
        client, runtime.services.read_cache, "fr-par-1", "ubuntu_noble", "DEV1-S"
    )
    await create_server(
        client,
        "fr-par-1",
        commercial_type="DEV1-S",
        name="web",
        image=image,
        tags=[f"job:{job.id}"],
        project_id=None,
    )
    return await runtime.store.get(job.id)
