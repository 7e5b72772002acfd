"""Starting ``scaleway-mcp-connector serve`` as a subprocess for end-to-end tests, killing it,
and reading the job file it leaves behind."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import psutil
from mcp import Client, StdioServerParameters

from jobs.database import create_database, sqlite_url
from jobs.models import Job
from jobs.store import JobStore
from tests.conftest import FAKE_ENV

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVE_ARGS = ["-m", "mcp_front", "serve"]


def serve_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a serve subprocess over ``data_dir`` with test operations."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data_dir),
        "PYTHONPATH": str(REPO_ROOT),
        "SCW_MCP_DATA_DIR": str(data_dir),
        "SCW_MCP_EXTRA_OPERATIONS": "tests.support.counting_ops",
        "SCW_MCP_POLL_INTERVAL_S": "0.1",
        **FAKE_ENV,
    }
    env.update(extra)
    return env


def sandbox_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``serve --sandbox`` subprocess over ``data_dir``: no credentials."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data_dir),
        "SCW_MCP_DATA_DIR": str(data_dir),
        "SCW_MCP_SANDBOX_SPEED": "200",
        **extra,
    }


def sandbox_params(data_dir: Path, *flags: str, **extra: str) -> StdioServerParameters:
    """How an MCP stdio client starts ``serve --sandbox [flags]`` over ``data_dir``."""
    return StdioServerParameters(
        command=sys.executable,
        args=[*SERVE_ARGS, "--sandbox", *flags],
        env=sandbox_env(data_dir, **extra),
        cwd=str(REPO_ROOT),
    )


async def call_ok(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    """Call a tool and return its envelope, which must be a success."""
    result = await client.call_tool(tool, args)
    body = result.structured_content
    assert body is not None and body["status"] == "success", (tool, body)
    return body


def serve_command() -> list[str]:
    """The command line of the server under test."""
    return [sys.executable, *SERVE_ARGS]


def serve_params(env: dict[str, str]) -> StdioServerParameters:
    """How an MCP stdio client starts the server under test with ``env``."""
    command = serve_command()
    return StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(REPO_ROOT))


def kill_serve_children() -> int:
    """SIGKILL the serve processes this test started; how many there were."""
    killed = 0
    for child in psutil.Process().children(recursive=True):
        if "mcp_front" in " ".join(child.cmdline()):
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            killed += 1
    return killed


async def stored_jobs(data_dir: Path, job_ids: list[str]) -> list[Job]:
    """The rows of these jobs in the job file under ``data_dir``, as they are now."""
    db = create_database(sqlite_url(data_dir / "jobs.db"))
    try:
        store = JobStore(db)
        return [await store.get(job_id) for job_id in job_ids]
    finally:
        await db.close()


def _body(result: Any) -> dict[str, Any]:
    assert result.structured_content is not None
    return dict(result.structured_content)


async def kill_midway(env: dict[str, str], data_dir: Path, tool: str, args: dict[str, Any]) -> str:
    """Start a job through a serve process and SIGKILL that process while the job is mid-way."""
    started: dict[str, Any] = {}
    killed = 0
    try:
        async with Client(serve_params(env)) as client:
            started = _body(await client.call_tool(tool, args))
            killed = kill_serve_children()
            await anyio.sleep(0.1)
    except Exception:  # the session dies with its server, as intended
        pass
    assert killed == 1
    assert started.get("status") == "success", started
    job_id = str(started["data"]["job_id"])  # the wait budget ran out: the job was mid-way
    (job,) = await stored_jobs(data_dir, [job_id])
    assert job.state.value in ("running", "waiting"), job
    return job_id


async def finish_after_restart(env: dict[str, str], job_id: str) -> dict[str, Any]:
    """The job's result once a new serve process has resumed and finished it."""
    async with Client(serve_params(env)) as client:
        status = _body(await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 40}))
    assert status["data"]["state"] == "succeeded", status
    return dict(status["data"]["result"])
