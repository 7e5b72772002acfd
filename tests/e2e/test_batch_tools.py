"""Batches through a real MCP client session against the sandbox: N creates as one parent job
with N child jobs, checked (children, quota) before any job exists, bounded, reported per
child, cancellable, and resumed after a SIGKILL without a duplicate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from jobs.database import create_database, sqlite_url
from jobs.models import Job
from jobs.states import JobState
from jobs.store import JobStore
from mcp_front.config import Settings
from mcp_front.runtime import open_runtime
from mcp_front.server import build_server
from sandbox import catalog
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    POLL_SCALE,
    Session,
    body,
    call,
    groups_session_fixture,
    sandbox_fixture,
    sandbox_session,
    until,
)
from tests.e2e.stdio_support import finish_after_restart, kill_midway, serve_env
from tests.support.s3_client import sandbox_s3_client

pytestmark = pytest.mark.anyio
session = groups_session_fixture("default,batch")
SERVERS_POST = "POST /instance/v1/zones/{zone}/servers"
SERVER = {"zone": "fr-par-1", "commercial_type": "DEV1-S", "name": "web"}
HOURLY = {t.name: t.hourly_price for t in catalog.SERVER_TYPES}
UNKNOWN_VPC = "11111111-2222-4333-8444-555555555555"


async def batch(client: Client, progress: list[str] | None = None, **args: Any) -> Any:
    """``create_batch``'s envelope (collecting progress messages if asked)."""

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        if progress is not None and message:
            progress.append(message)

    return body(await client.call_tool("create_batch", args, progress_callback=on_progress))


async def stored_children(data_dir: Path, parent_id: str) -> list[Job]:
    """The children of a batch in the job file under ``data_dir``, as they are now."""
    db = create_database(sqlite_url(data_dir / "jobs.db"))
    try:
        return await JobStore(db).children(parent_id)
    finally:
        await db.close()


def max_overlap(children: list[Job]) -> int:
    """The most children that were active at one instant (enqueued, not yet ended)."""
    edges = sorted(
        [(c.created_at, 1) for c in children] + [(c.finished_at or 1e18, -1) for c in children]
    )
    active = peak = 0
    for _, step in edges:  # an end at the same instant as a start counts first
        active += step
        peak = max(peak, active)
    return peak


async def test_a_batch_creates_each_instance_once_and_reports_each_child(
    sandbox: SandboxServer, make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = make_settings(
        SCW_API_URL=sandbox.api_url,
        SCW_MCP_WAIT_BUDGET_S="20",
        SCW_MCP_POLL_SCALE=POLL_SCALE,
        SCW_MCP_TOOL_GROUPS="default,batch",
        SCW_MCP_DATABASE_URL=database_url,
    )
    async with sandbox_session(settings, sandbox.api_url) as opened:
        await creates_each_instance_once(opened, sandbox)


async def creates_each_instance_once(session: Session, sandbox: SandboxServer) -> None:
    """Three instances, two at a time: each created once, each child reported and linked."""
    client, runtime = session
    progress: list[str] = []
    answer = await batch(
        client,
        progress,
        tool="create_instance",
        template=SERVER,
        count=3,
        concurrency=2,
    )

    assert answer["status"] == "success", answer
    data = answer["data"]
    assert (data["total"], data["succeeded"], data["failed"]) == (3, 3, 0)
    assert [c["name"] for c in data["children"]] == ["web-1", "web-2", "web-3"]
    assert {c["result"]["state"] for c in data["children"]} == {"running"}
    assert sandbox.state.created("server") == 3 and sandbox.state.counters[SERVERS_POST] == 3
    assert sorted(r.name for r in sandbox.state.all("server")) == ["web-1", "web-2", "web-3"]
    assert any("of 3 done" in message for message in progress), progress
    # The answer states what the batch costs: three servers' hourly list price.
    assert answer["price"]["hourly"] == pytest.approx(3 * HOURLY["DEV1-S"], abs=1e-6)
    parent_id = answer["job"]["id"]
    listed = await call(client, "list_jobs", parent_id=parent_id)
    children = listed["data"]["jobs"]
    assert len(children) == 3 and {c["parent_id"] for c in children} == {parent_id}
    assert {c["operation"] for c in children} == {"instance.create_server"}
    child = await call(client, "get_job_status", job_id=data["children"][0]["job_id"])
    assert child["data"]["parent_id"] == parent_id and child["data"]["state"] == "succeeded"
    assert max_overlap(await runtime.store.children(parent_id)) <= 2
    # The same batch re-issued (a client that timed out) answers with that batch.
    again = await batch(client, tool="create_instance", template=SERVER, count=3, concurrency=3)
    assert again["job"]["id"] == parent_id and "nothing new was made" in again["note"]
    assert sandbox.state.created("server") == 3


async def test_twenty_children_under_429s_all_succeed_a_few_at_a_time(
    session: Session, sandbox: SandboxServer
) -> None:
    client, runtime = session
    rule = sandbox.state.faults.add(SERVERS_POST, "429", rate=0.3)
    template = {**SERVER, "start": False}
    answer = await batch(client, tool="create_instance", template=template, count=20, concurrency=4)

    assert answer["status"] == "success", answer
    assert answer["data"]["succeeded"] == 20
    assert rule.fired > 0  # the API did rate-limit the batch
    assert sandbox.state.created("server") == 20 and len(sandbox.state.all("server")) == 20
    children = await runtime.store.children(answer["job"]["id"])
    assert len(children) == 20 and max_overlap(children) <= 4


async def test_a_failing_child_fails_the_batch_and_each_child_is_reported(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    items = [{"name": "net-a"}, {"name": "net-b", "vpc_id": UNKNOWN_VPC}, {"name": "net-c"}]
    answer = await batch(
        client,
        tool="create_private_network",
        template={"region": "fr-par"},
        items=items,
    )

    assert answer["status"] == "error", answer
    assert "1 failed of 3 children (2 succeeded" in answer["message"]
    assert "child 1 (net-b)" in answer["message"]
    lines = answer["details"]["job"]["result"]["children"]
    assert [line["state"] for line in lines] == ["succeeded", "failed", "succeeded"]
    assert "vpc" in lines[1]["error"]
    assert lines[0]["result"]["name"] == "net-a" and lines[0]["result"]["id"]
    assert sorted(r.name for r in sandbox.state.all("private_network")) == ["net-a", "net-c"]


async def test_a_batch_over_the_quota_is_refused_naming_it_and_no_job_exists(
    session: Session, sandbox: SandboxServer
) -> None:
    client, runtime = session
    sandbox.state.quotas["server"] = 5
    first = await batch(
        client, tool="create_instance", template={**SERVER, "start": False}, count=2
    )
    assert first["status"] == "success", first
    jobs_before = (await runtime.store.list_jobs(limit=100)).jobs

    answer = await batch(client, tool="create_instance", template=SERVER, count=4)

    assert answer["status"] == "error", answer
    message = answer["message"]
    assert "count:" in message and "instances_servers_per_zone" in message
    assert "allows 5 and 2 exist (3 left)" in message
    assert (await runtime.store.list_jobs(limit=100)).jobs == jobs_before
    assert sandbox.state.created("server") == 2


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            {"items": [{"name": "a"}, {"name": "b", "commercial_type": "GP9-XL"}]},
            ["children[1].commercial_type", "DEV1-S"],
        ),
        ({"items": [{"name": "a"}, {"name": "b", "zone": "fr-par-9"}]}, ["children[1].zone"]),
        ({"items": [{"name": "a"}, {"name": "a"}]}, ["children[1].name", "children[0]"]),
        ({"items": [{"name": "a"}, {"nmae": "b"}]}, ["children[1]", "nmae: is not a known"]),
        ({"count": 51}, ["count: must be at most 50"]),
        ({"count": 2, "name_pattern": "web"}, ["name_pattern", "{n}"]),
        ({}, ["count", "or items"]),
    ],
)
async def test_bad_child_arguments_are_refused_naming_the_child_and_field_with_no_job(
    session: Session, sandbox: SandboxServer, args: dict[str, Any], words: list[str]
) -> None:
    client, runtime = session
    answer = await batch(client, tool="create_instance", template=SERVER, **args)

    assert answer["status"] == "error", answer
    for word in words:
        assert word in answer["message"], answer["message"]
    assert (await runtime.store.list_jobs(limit=10)).jobs == []
    assert sandbox.state.calls("POST") == 0


async def test_cancelling_a_batch_stops_the_children_not_started(
    sandbox: SandboxServer, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        SCW_API_URL=sandbox.api_url,
        SCW_MCP_WAIT_BUDGET_S="0",
        SCW_MCP_POLL_SCALE=POLL_SCALE,
        SCW_MCP_TOOL_GROUPS="default,batch",
    )
    sandbox.state.faults.add(SERVERS_POST, "latency", latency_s=1.0)
    async with sandbox_session(settings, sandbox.api_url) as (client, runtime):
        started = await batch(
            client, tool="create_instance", template=SERVER, count=5, concurrency=1
        )
        parent_id = started["job"]["id"]

        async def first_child_running() -> bool:
            children = await runtime.store.children(parent_id)
            return bool(children) and children[0].state is JobState.RUNNING

        await until(first_child_running)  # its create waits 1 s for the API's answer
        cancelled = await call(client, "cancel_job", job_id=parent_id)

        assert cancelled["data"]["state"] == "cancelled", cancelled
        lines = cancelled["data"]["result"]["children"]
        assert [line["state"] for line in lines[1:]] == ["not_started"] * 4
        (child,) = await runtime.store.children(parent_id)
        final = await call(client, "get_job_status", job_id=child.id, wait_s=20)
        assert final["data"]["state"] == "succeeded"  # the running child reached its end
    assert sandbox.state.created("server") == 1


async def test_a_batch_resumes_after_kill_9_creating_each_child_once(tmp_path: Path) -> None:
    with SandboxServer(speed=20, with_s3=False) as sb:  # a server runs 0.25 s after poweron
        env = serve_env(
            tmp_path,
            SCW_API_URL=sb.api_url,
            SCW_MCP_WAIT_BUDGET_S="0.3",
            SCW_MCP_LEASE_S="1",
            SCW_MCP_POLL_SCALE="0.02",
            SCW_MCP_TOOL_GROUPS="default,batch",
        )
        env.pop("SCW_MCP_EXTRA_OPERATIONS")
        args = {"tool": "create_instance", "template": SERVER, "count": 4, "concurrency": 2}
        job_id = await kill_midway(env, tmp_path, "create_batch", args)
        children = await stored_children(tmp_path, job_id)
        assert children and not all(c.state.is_terminal for c in children)  # killed mid-way

        result = await finish_after_restart(env, job_id)

        assert result["succeeded"] == 4
        assert sb.state.created("server") == 4 and sb.state.counters[SERVERS_POST] == 4
        assert sorted(r.name for r in sb.state.all("server")) == [f"web-{n}" for n in range(1, 5)]


async def test_the_batch_tool_is_off_by_default(session: Session) -> None:
    del session
    from mcp_front.tool_groups import OPTIONAL_GROUPS, ToolGroup

    assert ToolGroup.BATCH in OPTIONAL_GROUPS


async def test_a_batch_of_buckets_creates_each_bucket_once(
    make_settings: Callable[..., Settings],
) -> None:
    with SandboxServer(speed=1000) as sb:
        settings = make_settings(
            SCW_API_URL=sb.api_url,
            SCW_S3_ENDPOINT_URL=sb.s3_url,
            SCW_MCP_WAIT_BUDGET_S="20",
            SCW_MCP_TOOL_GROUPS="default,batch",
        )
        async with open_runtime(settings) as runtime, Client(build_server(runtime)) as client:
            template = {"name": "logs", "region": "fr-par", "versioning": True}
            answer = await batch(client, tool="create_bucket", template=template, count=3)

        assert answer["status"] == "success", answer
        assert answer["data"]["succeeded"] == 3 and "price" not in answer
        buckets = sandbox_s3_client(sb.s3_url).list_buckets()["Buckets"]
        assert sorted(b["Name"] for b in buckets) == ["logs-1", "logs-2", "logs-3"]
