"""`serve --sandbox` as the MCP Inspector CLI runs it: a new process per call, one cloud.

Each `Client(params)` below starts a fresh `serve --sandbox` process and stops it at the end of
its block, so everything a test sees across blocks went through the sandbox's state file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client

from tests.e2e.stdio_support import (
    REPO_ROOT,
    call_ok,
    kill_serve_children,
    sandbox_env,
    sandbox_params,
)

pytestmark = pytest.mark.anyio


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcp_front", *args],
        env=sandbox_env(data_dir),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_what_one_process_created_the_next_one_lists(tmp_path: Path) -> None:
    async with Client(sandbox_params(tmp_path)) as first:
        await call_ok(
            first, "create_instance", name="web-1", commercial_type="DEV1-S", image="ubuntu_noble"
        )
        await call_ok(first, "create_bucket", name="sandbox-notes")
        await call_ok(first, "upload_object", bucket="sandbox-notes", key="a.txt", text="hello")
    async with Client(sandbox_params(tmp_path)) as second:
        servers = (await call_ok(second, "list_instances"))["data"]["servers"]
        objects = (await call_ok(second, "list_objects", bucket="sandbox-notes"))["data"]
    assert [(s["name"], s["state"]) for s in servers] == [("web-1", "running")]
    assert [o["key"] for o in objects["objects"]] == ["a.txt"]


async def test_what_was_answered_survives_a_kill_9(tmp_path: Path) -> None:
    killed = 0
    try:
        async with Client(sandbox_params(tmp_path)) as first:
            await call_ok(first, "create_private_network", name="kept-net")
            await call_ok(first, "create_bucket", name="kept-bucket")
            await call_ok(first, "upload_object", bucket="kept-bucket", key="a.txt", text="hi")
            killed = kill_serve_children()  # no time to save anything after the answers
            await anyio.sleep(0.1)
    except Exception:  # the session dies with its server, as intended
        pass
    assert killed == 1
    async with Client(sandbox_params(tmp_path)) as second:
        objects = (await call_ok(second, "list_objects", bucket="kept-bucket"))["data"]
        networks = (await call_ok(second, "list_private_networks"))["data"]
    assert [o["key"] for o in objects["objects"]] == ["a.txt"]
    assert "kept-net" in str(networks)


async def test_a_cluster_job_left_waiting_finishes_in_the_next_process(tmp_path: Path) -> None:
    # At speed 20 the cluster and its pool take about 12 s: the first process leaves at once.
    slow = {"SCW_MCP_SANDBOX_SPEED": "20", "SCW_MCP_WAIT_BUDGET_S": "0"}
    async with Client(sandbox_params(tmp_path, **slow)) as first:
        started = await call_ok(first, "create_cluster", name="kube", node_type="DEV1-M")
    job_id = started["job"]["id"]
    assert started["job"]["state"] in ("queued", "running", "waiting")
    async with Client(sandbox_params(tmp_path, **slow)) as second:
        done = await call_ok(second, "get_job_status", job_id=job_id, wait_s=50)
        clusters = (await call_ok(second, "list_clusters"))["data"]["clusters"]
    assert done["data"]["state"] == "succeeded", done
    assert [(c["name"], c["status"]) for c in clusters] == [("kube", "ready")]


async def test_reset_starts_the_cloud_and_its_jobs_from_nothing(tmp_path: Path) -> None:
    async with Client(sandbox_params(tmp_path)) as first:
        await call_ok(
            first, "create_instance", name="web-1", commercial_type="DEV1-S", image="ubuntu_noble"
        )
    assert "instance.create_server" in _cli(tmp_path, "jobs", "list", "--sandbox").stdout
    async with Client(sandbox_params(tmp_path, "--reset")) as second:
        servers = (await call_ok(second, "list_instances"))["data"]["servers"]
        jobs = (await call_ok(second, "list_jobs"))["data"]["jobs"]
    assert servers == [] and jobs == []


def test_jobs_cli_reads_the_sandbox_store_only_when_asked(tmp_path: Path) -> None:
    async def create() -> str:
        async with Client(sandbox_params(tmp_path)) as client:
            body = await call_ok(client, "create_private_network", name="net-1")
            return str(body["job"]["id"])

    job_id = anyio.run(create)
    listed = _cli(tmp_path, "jobs", "list", "--sandbox")
    assert listed.returncode == 0 and job_id in listed.stdout, listed.stderr
    shown = _cli(tmp_path, "jobs", "show", job_id, "--sandbox")
    assert shown.returncode == 0 and '"state": "succeeded"' in shown.stdout
    plain = _cli(tmp_path, "jobs", "list")
    assert plain.returncode == 0 and "add --sandbox" in plain.stdout
    assert not (tmp_path / "jobs.db").exists()  # no stray database created by looking


def test_reset_needs_the_sandbox(tmp_path: Path) -> None:
    result = _cli(tmp_path, "serve", "--reset")
    assert result.returncode == 2 and "--sandbox" in result.stderr
