"""Clusters and databases survive a SIGKILL of the server mid-poll and a flaky API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_front.config import Settings
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (
    POLL_SCALE,
    body,
    call,
    sandbox_session,
    secret_file,
    stored_bytes,
    until,
)
from tests.e2e.stdio_support import kill_serve_children, serve_env, serve_params, stored_jobs

pytestmark = pytest.mark.anyio
CLUSTER_POST = "POST /k8s/v1/regions/{region}/clusters"
DATABASE_POST = "POST /rdb/v1/regions/{region}/instances"


async def _checkpoints(data_dir: Path, job_ids: list[str]) -> list[dict[str, Any]]:
    jobs = await stored_jobs(data_dir, job_ids)
    return [dict(job.checkpoint) | {"_state": job.state.value} for job in jobs]


async def test_cluster_and_database_resume_after_kill_9_without_duplicates(
    tmp_path: Path,
) -> None:
    # Speed 50: the cluster is ready after 1.8 s and its pool after 5 s; the database 4 s.
    with SandboxServer(speed=50, with_s3=False) as sb:
        env = serve_env(
            tmp_path,
            SCW_API_URL=sb.api_url,
            SCW_MCP_WAIT_BUDGET_S="0.2",
            SCW_MCP_LEASE_S="1",
            SCW_MCP_POLL_SCALE="0.02",  # clusters polled from 0.3 s growing to 1.2 s
        )
        env.pop("SCW_MCP_EXTRA_OPERATIONS")
        job_ids: list[str] = []
        killed = 0
        try:
            async with Client(serve_params(env)) as client:
                for tool, args in (
                    ("create_cluster", {"name": "prod", "node_type": "DEV1-M", "pool_size": 2}),
                    ("create_database", {"name": "orders"}),
                ):
                    started = body(await client.call_tool(tool, args))
                    assert started["status"] == "success", started
                    job_ids.append(started["data"]["job_id"])

                async def mid_poll() -> bool:  # both resources exist, neither is ready
                    checkpoints = await _checkpoints(tmp_path, job_ids)
                    return all("cluster_id" in c or "instance_id" in c for c in checkpoints)

                await until(mid_poll)
                killed = kill_serve_children()
        except Exception:  # the session dies with its server, as intended
            pass
        assert killed == 1
        before = await _checkpoints(tmp_path, job_ids)
        assert all(c["_state"] in ("running", "waiting") for c in before), before

        async with Client(serve_params(env)) as client:
            results = []
            for job_id in job_ids:
                status = body(
                    await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 30})
                )
                assert status["data"]["state"] == "succeeded", status
                results.append(status["data"]["result"])

        cluster, database = results
        assert cluster["status"] == "ready" and cluster["pool"]["nodes"]["ready"] == 2
        assert database["status"] == "ready"
        # Exactly one of each, whatever the kill interrupted.
        assert sb.state.created("cluster") == 1 and sb.state.counters[CLUSTER_POST] == 1
        assert sb.state.created("rdb_instance") == 1 and sb.state.counters[DATABASE_POST] == 1
        assert sb.state.created("private_network") == 1
        password = secret_file(database["credentials"]["password_file"])[1]
        assert password.encode() not in stored_bytes(tmp_path)


async def test_every_job_succeeds_through_20_percent_429_and_503(
    make_settings: Callable[..., Settings],
) -> None:
    with SandboxServer(speed=1000, seed=3, with_s3=False) as sb:
        settings = make_settings(
            SCW_API_URL=sb.api_url, SCW_MCP_WAIT_BUDGET_S="30", SCW_MCP_POLL_SCALE=POLL_SCALE
        )
        async with sandbox_session(settings, sb.api_url) as (client, _):
            sb.state.faults.add("*", "429", rate=0.1)
            sb.state.faults.add("*", "503", rate=0.1)
            answers: dict[str, dict[str, Any]] = {}

            async def run(key: str, tool: str, args: dict[str, Any]) -> None:
                answers[key] = await call(client, tool, **args)

            cluster = {"node_type": "DEV1-M", "pool_size": 2}
            async with anyio.create_task_group() as tg:
                for i in range(4):
                    tg.start_soon(run, f"k-{i}", "create_cluster", {"name": f"k-{i}", **cluster})
                    tg.start_soon(run, f"db-{i}", "create_database", {"name": f"db-{i}"})
                    tg.start_soon(run, f"ns-{i}", "create_registry_namespace", {"name": f"ns-{i}"})

        assert all(a["status"] == "success" for a in answers.values()), answers
        assert sb.state.created("cluster") == 4 and sb.state.created("rdb_instance") == 4
        assert sb.state.created("registry_namespace") == 4
        fired = sum(rule["fired"] for rule in sb.state.faults.rules())
        assert fired >= 0.1 * sb.state.calls() and fired >= 5, (fired, sb.state.calls())
