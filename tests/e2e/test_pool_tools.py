"""Scaling a Kapsule pool through a real MCP client session against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    Session,
    call,
    sandbox_fixture,
    session_fixture,
)
from tests.integration.scaleway_harness import job_count

pytestmark = pytest.mark.anyio
POOL_PATCH = "PATCH /k8s/v1/regions/{region}/pools/{pool_id}"


async def _pool(client: Client, **args: Any) -> dict[str, Any]:
    args = {"name": "prod", "node_type": "DEV1-M", "pool_size": 1, **args}
    created = await call(client, "create_cluster", **args)
    assert created["status"] == "success", created
    return dict(created["data"]["pool"])


async def test_scale_up_then_turn_autoscaling_on(session: Session, sandbox: SandboxServer) -> None:
    client, _ = session
    pool = await _pool(client)
    scaled = await call(client, "update_pool", pool_id=pool["id"], size=3, confirm=True)
    assert scaled["status"] == "success", scaled
    assert scaled["data"]["size"] == 3 and scaled["data"]["nodes"] == {"total": 3, "ready": 3}

    auto = await call(
        client,
        "update_pool",
        pool_id=pool["id"],
        autoscaling=True,
        min_size=2,
        max_size=5,
        confirm=True,
    )
    assert auto["status"] == "success", auto
    data = auto["data"]
    assert (data["autoscaling"], data["min_size"], data["max_size"]) == (True, 2, 5)
    assert sandbox.state.counters[POOL_PATCH] == 2


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "size"),
        ({"size": 9, "autoscaling": True, "min_size": 1, "max_size": 4}, "size"),
        ({"min_size": 5, "max_size": 2}, "min_size"),
        ({"size": 151}, "size"),
    ],
)
async def test_impossible_sizes_are_refused_before_any_job(
    session: Session, sandbox: SandboxServer, args: dict[str, Any], field: str
) -> None:
    client, runtime = session
    pool = await _pool(client)
    jobs = await job_count(runtime)
    answer = await call(client, "update_pool", pool_id=pool["id"], **args, confirm=True)
    assert answer["status"] == "error" and field in answer["message"], answer
    assert await job_count(runtime) == jobs
    assert POOL_PATCH not in sandbox.state.counters
