"""SIGKILL of a serve process in the middle of creating a load balancer (and the other newer
products): after a restart the job finishes and exactly one resource exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import body, until
from tests.e2e.stdio_support import (
    finish_after_restart,
    kill_midway,
    kill_serve_children,
    serve_env,
    serve_params,
    stored_jobs,
)
from tests.integration.scaleway_harness import ZERO_UUID, fast_client
from workers.cache import ReadCache
from workers.scaleway.instance import create_server, resolve_image

pytestmark = pytest.mark.anyio
LB_POST = "POST /lb/v1/zones/{zone}/lbs"


def _env(tmp_path: Path, api_url: str) -> dict[str, str]:
    env = serve_env(
        tmp_path,
        SCW_API_URL=api_url,
        SCW_MCP_WAIT_BUDGET_S="0.3",
        SCW_MCP_LEASE_S="1",
        SCW_MCP_POLL_SCALE="0.02",
        SCW_MCP_TOOL_GROUPS="default,lb,dns,serverless",
    )
    env.pop("SCW_MCP_EXTRA_OPERATIONS")
    return env


async def run_to_end(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """Call a tool and, when it answers with a job id, wait for that job's result."""
    answer = body(await client.call_tool(tool, args))
    assert answer["status"] == "success", answer
    if "job_id" not in answer["data"]:
        return dict(answer["data"])
    wait = {"job_id": answer["data"]["job_id"], "wait_s": 30}
    status = body(await client.call_tool("get_job_status", wait))
    assert status["data"]["state"] == "succeeded", status
    return dict(status["data"]["result"])


async def test_load_balancer_create_resumes_after_kill_9_without_a_duplicate(
    tmp_path: Path,
) -> None:
    with SandboxServer(speed=20, with_s3=False) as sb:  # ready 2.1 s after the create
        env = _env(tmp_path, sb.api_url)
        job_id = await kill_midway(env, tmp_path, "create_load_balancer", {"name": "front"})
        lb = await finish_after_restart(env, job_id)
        assert lb["status"] == "ready"
        assert sb.state.created("lb") == 1 and sb.state.counters[LB_POST] == 1
        assert len(sb.state.all("lb")) == 1


async def test_dns_change_resumes_after_kill_9_with_each_record_once(tmp_path: Path) -> None:
    with SandboxServer(speed=1, with_s3=False) as sb:  # the zone publishes for 5 s
        env = _env(tmp_path, sb.api_url)
        headers = {"X-Auth-Token": ZERO_UUID}
        async with httpx.AsyncClient(base_url=sb.api_url, headers=headers) as http:
            made = await http.post("/domain/v2beta1/dns-zones", json={"domain": "example.com"})
            assert made.status_code == 200, made.text
        change = {"action": "add", "name": "www", "type": "A", "data": "51.15.0.7", "ttl": 300}
        args = {"zone": "example.com", "changes": [change], "confirm": True}
        job_id = await kill_midway(env, tmp_path, "change_dns_records", args)
        result = await finish_after_restart(env, job_id)
        assert [(r["name"], r["data"]) for r in result["records"]] == [("www", "51.15.0.7")]
        zone = sb.state.get("dns_zone", "example.com")
        assert zone is not None and len(zone.data["records"]) == 1


async def test_container_deploy_resumes_after_kill_9_without_a_duplicate(tmp_path: Path) -> None:
    with SandboxServer(speed=10, with_s3=False) as sb:  # namespace 1 s, deploy 3 s
        env = _env(tmp_path, sb.api_url)
        async with Client(serve_params(env)) as client:
            namespace = await run_to_end(
                client, "create_serverless_namespace", {"kind": "containers", "name": "web"}
            )
        args = {"namespace_id": namespace["id"], "name": "api", "image": "nginx:1.27"}
        job_id = await kill_midway(env, tmp_path, "deploy_container", args)
        app = await finish_after_restart(env, job_id)
        assert app["status"] == "ready" and app["created"] is True
        assert sb.state.created("container") == 1
        assert sb.state.counters["POST /containers/v1beta1/regions/{region}/containers"] == 1


async def _watch_then_kill_9(env: dict[str, str], data_dir: Path, args: dict[str, Any]) -> str:
    """Start a watch in a serve process and SIGKILL it once its first poll is committed."""
    job_id, killed = "", False

    async def polled() -> bool:
        return "status" in (await stored_jobs(data_dir, [job_id]))[0].checkpoint

    try:
        async with Client(serve_params(env)) as client:
            answer = body(await client.call_tool("watch_resource", args))
            assert answer["status"] == "success", answer
            job_id = str(answer["job"]["id"])
            await until(polled)
            killed = kill_serve_children() == 1
            await anyio.sleep(0.1)
    except Exception:  # the session dies with its server, as intended
        if not killed:
            raise
    assert killed
    return job_id


async def test_a_watch_resumes_after_kill_9_from_the_status_it_had_seen(tmp_path: Path) -> None:
    with SandboxServer(speed=1000, with_s3=False) as sb:
        env = _env(tmp_path, sb.api_url)
        env["SCW_MCP_TOOL_GROUPS"] = "default,monitoring"
        client = fast_client(sb.api_url)
        image = await resolve_image(client, ReadCache(), "fr-par-1", "ubuntu_noble", "DEV1-S")
        server = await create_server(
            client,
            "fr-par-1",
            commercial_type="DEV1-S",
            name="web-1",
            image=image,
            tags=[],
            project_id=None,
        )
        await client.aclose()
        server_id = server.id
        watch = {"kind": "server", "resource_id": server_id, "until": "running", "interval_s": 5}
        job_id = await _watch_then_kill_9(env, tmp_path, watch)
        (killed,) = await stored_jobs(tmp_path, [job_id])
        assert killed.checkpoint["status"] == "stopped" and not killed.state.is_terminal

        headers = {"X-Auth-Token": ZERO_UUID}
        async with httpx.AsyncClient(base_url=sb.api_url, headers=headers) as http:
            action = f"/instance/v1/zones/fr-par-1/servers/{server_id}/action"
            powered = await http.post(action, json={"action": "poweron"})
            assert powered.status_code == 202, powered.text
        result = await finish_after_restart(env, job_id)
        assert result["outcome"] == "reached"
        # The status seen before the kill is not recorded again by the next process.
        assert [c["to"] for c in result["changes"]][:1] == ["stopped"]
        assert [c["to"] for c in result["changes"]].count("stopped") == 1
        assert result["changes"][-1]["to"] == "running"
