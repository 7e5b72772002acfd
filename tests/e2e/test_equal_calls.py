"""Re-issuing a mutating call while an equal job is active returns that job (issue 10 item 7).

Every job tool whose checks pass on a fresh sandbox is called here; the rest (they refuse
a target in the wrong state before any job) share the same path, and every operation's
equality is checked in tests/unit/test_equality_keys.py.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcp_front.config import Settings
from mcp_front.runtime import Runtime, open_runtime
from mcp_front.server import all_tool_specs, build_server
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import body
from tests.e2e.stdio_support import serve_env, serve_params

pytestmark = pytest.mark.anyio
# Placeholders for servers, clusters and a database the fixture creates (the tools, confirmed
# destructive ones included, check that their target exists).
DESTRUCTIVE = {spec.name: spec.destructive for spec in all_tool_specs()}
SERVER = "$server"
SERVER_2 = "$server2"
NETWORK = str(uuid.UUID(int=2))
CLUSTER = "$cluster"
CLUSTER_2 = "$cluster2"
DATABASE = "$database"

# Every tool that starts a job, with two calls that must be one job and one that must not.
EQUAL_CALLS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "create_instance": (
        {"name": "web-1", "commercial_type": "DEV1-S", "image": "ubuntu_noble"},
        {"name": "web-1", "commercial_type": "DEV1-S", "image": "ubuntu_noble", "tags": ["x"]},
        {"name": "web-2", "commercial_type": "DEV1-S", "image": "ubuntu_noble"},
    ),
    "start_instance": ({"server_id": SERVER}, {"server_id": SERVER}, {"server_id": NETWORK}),
    "stop_instance": ({"server_id": SERVER}, {"server_id": SERVER}, {"server_id": SERVER_2}),
    "delete_instance": (
        {"server_id": SERVER},
        {"server_id": SERVER, "delete_ips": False},
        {"server_id": SERVER_2},
    ),
    "reboot_instance": ({"server_id": SERVER}, {"server_id": SERVER}, {"server_id": SERVER_2}),
    "create_database_backup": (
        {"instance_id": DATABASE, "name": "nightly"},
        {"instance_id": DATABASE, "name": "nightly", "database_name": "rdb"},
        {"instance_id": DATABASE, "name": "weekly"},
    ),
    "create_database_user": (
        {"instance_id": DATABASE, "name": "app"},
        {"instance_id": DATABASE, "name": "app", "is_admin": True},
        {"instance_id": DATABASE, "name": "ops"},
    ),
    "create_logical_database": (
        {"instance_id": DATABASE, "name": "app"},
        {"instance_id": DATABASE, "name": "app"},
        {"instance_id": DATABASE, "name": "ops"},
    ),
    "create_private_network": ({"name": "pn-1"}, {"name": "pn-1", "tags": ["a"]}, {"name": "pn-2"}),
    "attach_instance_to_network": (
        {"server_id": SERVER, "private_network_id": NETWORK},
        {"server_id": SERVER, "private_network_id": NETWORK},
        {"server_id": SERVER, "private_network_id": CLUSTER},
    ),
    "create_cluster": (
        {"name": "dup-1", "node_type": "DEV1-M"},
        {"name": "dup-1", "node_type": "DEV1-M", "pool_size": 2},
        {"name": "dup-2", "node_type": "DEV1-M"},
    ),
    "delete_cluster": ({"cluster_id": CLUSTER}, {"cluster_id": CLUSTER}, {"cluster_id": CLUSTER_2}),
    "create_database": (
        {"name": "orders"},
        {"name": "orders", "volume_size_gb": 20},
        {"name": "o2"},
    ),
    "create_registry_namespace": ({"name": "team-a"}, {"name": "team-a"}, {"name": "team-b"}),
    "create_bucket": (
        {"name": "bucket-a"},
        {"name": "bucket-a", "versioning": True},
        {"name": "b-2"},
    ),
    "upload_object": (
        {"bucket": "bucket-a", "key": "k", "text": "one"},
        {"bucket": "bucket-a", "key": "k", "text": "one"},
        {"bucket": "bucket-a", "key": "k", "text": "two"},
    ),
    "download_object": (
        {"bucket": "bucket-a", "key": "k", "path": "$out"},
        {"bucket": "bucket-a", "key": "k", "path": "$out"},
        {"bucket": "bucket-a", "key": "k", "path": "$other"},
    ),
    "delete_object": (
        {"bucket": "bucket-a", "key": "k"},
        {"bucket": "bucket-a", "key": "k"},
        {"bucket": "bucket-a", "key": "k2"},
    ),
}


@pytest.fixture
async def idle_session(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[tuple[Client, Runtime, dict[str, str]]]:
    """A client on a runtime with no workers (every job stays active), over a sandbox that
    holds two servers and a database."""
    with SandboxServer(speed=1000, with_s3=True) as sb:
        # Polls at the sandbox's pace, so the seeded cluster and database are ready in ms.
        settings = make_settings(
            SCW_API_URL=sb.api_url, SCW_S3_ENDPOINT_URL=sb.s3_url, SCW_MCP_POLL_SCALE="0.001"
        )
        async with open_runtime(settings) as runtime, Client(build_server(runtime)) as client:
            seeds = {
                "$server": (
                    "create_instance",
                    {**EQUAL_CALLS["create_instance"][2], "name": "seed"},
                ),
                "$server2": (
                    "create_instance",
                    {**EQUAL_CALLS["create_instance"][2], "name": "w3"},
                ),
                "$database": ("create_database", {"name": "seed"}),
                "$cluster": ("create_cluster", {"name": "seed", "node_type": "DEV1-M"}),
                "$cluster2": ("create_cluster", {"name": "seed-2", "node_type": "DEV1-M"}),
            }
            targets = {"$out": str(tmp_path / "out.txt"), "$other": str(tmp_path / "o.txt")}
            # The bucket the object tools name (upload checks it exists before any job).
            made = body(await client.call_tool("create_bucket", {"name": "bucket-a"}))
            assert made["status"] == "success", made
            for key, (tool, args) in seeds.items():
                targets[key] = body(await client.call_tool(tool, args))["data"]["id"]
        idle = replace(settings, wait_budget_s=0.0)
        async with open_runtime(idle, run_workers=False) as runtime:
            async with Client(build_server(runtime)) as client:
                yield client, runtime, targets


def _with_targets(args: dict[str, Any], targets: dict[str, str]) -> dict[str, Any]:
    return {k: targets.get(v, v) if isinstance(v, str) else v for k, v in args.items()}


async def _job_id(client: Client, tool: str, args: dict[str, Any]) -> str:
    if DESTRUCTIVE[tool]:
        args = {**args, "confirm": True}  # this client has no elicitation
    answer = body(await client.call_tool(tool, args))
    assert answer["status"] == "success", (tool, answer)
    return answer["data"]["job_id"]


@pytest.mark.parametrize("tool", sorted(EQUAL_CALLS))
async def test_an_equal_call_joins_the_active_job(
    idle_session: tuple[Client, Runtime, dict[str, str]], tool: str
) -> None:
    client, runtime, targets = idle_session
    first, again, other = (_with_targets(args, targets) for args in EQUAL_CALLS[tool])
    before = len((await runtime.store.list_jobs(limit=100)).jobs)
    job = await _job_id(client, tool, first)
    assert await _job_id(client, tool, again) == job
    assert await _job_id(client, tool, other) != job
    assert len((await runtime.store.list_jobs(limit=100)).jobs) == before + 2


async def test_a_create_reissued_after_its_job_succeeded_answers_that_job(
    make_settings: Callable[..., Settings],
) -> None:
    with SandboxServer(speed=1000, with_s3=False) as sb:
        settings = make_settings(SCW_API_URL=sb.api_url, SCW_MCP_WAIT_BUDGET_S="20")
        async with open_runtime(settings) as runtime, Client(build_server(runtime)) as client:
            # A client that timed out re-issues its create after the job ended: one network.
            args = {"name": "pn-1"}
            first = body(await client.call_tool("create_private_network", args))
            second = body(await client.call_tool("create_private_network", args))
            assert first["job"]["state"] == second["job"]["state"] == "succeeded"
            assert first["job"]["id"] == second["job"]["id"]
            assert second["data"] == first["data"] and "nothing new was made" in second["note"]
            # Create, delete, create again: the second create is a new network.
            pn = {"private_network_id": first["data"]["id"], "confirm": True}
            deleted = body(await client.call_tool("delete_private_network", pn))
            assert deleted["status"] == "success", deleted
            anew = body(await client.call_tool("create_private_network", args))
            assert anew["job"]["id"] != first["job"]["id"] and "note" not in anew
            assert anew["data"]["id"] != first["data"]["id"]
            # An action is not a create: a second reboot after the first ended is a reboot.
            made = {"name": "web", "commercial_type": "DEV1-S"}
            server = body(await client.call_tool("create_instance", made))["data"]["id"]
            reboot = {"server_id": server, "confirm": True}
            one = body(await client.call_tool("reboot_instance", reboot))
            two = body(await client.call_tool("reboot_instance", reboot))
            assert one["job"]["state"] == two["job"]["state"] == "succeeded", (one, two)
            assert one["job"]["id"] != two["job"]["id"]

            named = {"name": "pn-2", "request_id": "deploy-42"}
            third = body(await client.call_tool("create_private_network", named))
            again = body(await client.call_tool("create_private_network", named))
            assert third["job"]["id"] == again["job"]["id"] != first["job"]["id"]
            # The same request_id with other arguments is a mistake, not that job again.
            reused = {"name": "pn-3", "request_id": "deploy-42"}
            wrong = body(await client.call_tool("create_private_network", reused))
            assert wrong["status"] == "error", wrong
            assert "request_id: 'deploy-42' already names job " in wrong["message"]
            assert third["job"]["id"] in wrong["message"] and "differ in: name." in wrong["message"]
            assert sb.state.created("private_network") == 3

            refused = body(await client.call_tool("list_clusters", {"request_id": "x"}))
            assert refused["status"] == "error"
            assert "request_id: is not a known argument" in refused["message"]


async def test_create_cluster_reissued_after_the_client_gave_up_is_one_job_one_cluster(
    tmp_path: Path,
) -> None:
    # Speed 20: the cluster and its pool take about 12 s, longer than the client's patience.
    with SandboxServer(speed=20, with_s3=False) as sb:
        env = serve_env(tmp_path, SCW_API_URL=sb.api_url, SCW_MCP_POLL_SCALE="0.02")
        args = {"name": "dup-1", "node_type": "DEV1-M"}
        async with Client(serve_params(env)) as client:
            with pytest.raises(MCPError):
                await client.call_tool("create_cluster", args, read_timeout_seconds=5)
            again = body(await client.call_tool("create_cluster", args))
            if again["data"].get("state") != "succeeded":
                job_id = again["job"]["id"]
                status = {"job_id": job_id, "wait_s": 30}
                again = body(await client.call_tool("get_job_status", status))
            jobs = body(await client.call_tool("list_jobs", {}))["data"]["jobs"]
        assert [j["operation"] for j in jobs] == ["k8s.create_cluster"]
        assert sb.state.created("cluster") == 1
        assert sb.state.counters["POST /k8s/v1/regions/{region}/clusters"] == 1


async def test_an_equal_call_joins_the_active_job_whatever_its_request_id(
    idle_session: tuple[Client, Runtime, dict[str, str]],
) -> None:
    client, runtime, _ = idle_session
    before = len((await runtime.store.list_jobs(limit=100)).jobs)
    # A model may add, drop or make up a new request_id on each retry of the same create.
    named = await _job_id(
        client, "create_cluster", {"name": "k", "node_type": "DEV1-M", "request_id": "rid-a"}
    )
    for retry in ({}, {"request_id": "rid-b"}, {"request_id": "rid-a"}):
        args = {"name": "k", "node_type": "DEV1-M", **retry}
        assert await _job_id(client, "create_cluster", args) == named, retry
    plain = await _job_id(client, "create_private_network", {"name": "pn-9"})
    again = {"name": "pn-9", "request_id": "rid-c"}
    assert await _job_id(client, "create_private_network", again) == plain
    assert len((await runtime.store.list_jobs(limit=100)).jobs) == before + 2
