"""`worker` runs jobs with no MCP front; `serve --no-workers` is a front that runs none."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client

from jobs.database import create_database
from jobs.migrate import upgrade_database
from jobs.store import JobStore
from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env, serve_params

pytestmark = pytest.mark.anyio


async def _enqueue(url: str, log: Path, count: int) -> list[str]:
    db = create_database(url)
    try:
        await upgrade_database(db)
        store = JobStore(db)
        jobs = [
            await store.enqueue("test.count", {"log_path": str(log), "polls": 2})
            for _ in range(count)
        ]
        return [job.id for job, _ in jobs]
    finally:
        await db.close()


async def _states(url: str, ids: list[str]) -> dict[str, str]:
    db = create_database(url)
    try:
        store = JobStore(db)
        return {job_id: (await store.get(job_id)).state.value for job_id in ids}
    finally:
        await db.close()


def _start_worker(env: dict[str, str], stderr: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*serve_command()[:-1], "worker"],
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr.open("w"),
    )


async def test_worker_runs_stored_jobs_and_stops_on_sigterm(
    tmp_path: Path, database_url: str
) -> None:
    env = serve_env(tmp_path, SCW_MCP_DATABASE_URL=database_url)
    ids = await _enqueue(database_url, tmp_path / "log", 4)

    worker = _start_worker(env, tmp_path / "worker.stderr")
    try:
        deadline = time.monotonic() + 60
        while set((await _states(database_url, ids)).values()) != {"succeeded"}:
            assert worker.poll() is None, (tmp_path / "worker.stderr").read_text()
            assert time.monotonic() < deadline, await _states(database_url, ids)
            await anyio.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        stdout, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    stderr = (tmp_path / "worker.stderr").read_text()
    assert worker.returncode == 0, stderr
    assert "shutting down" in stderr and "Traceback" not in stderr
    assert stdout == b""  # workers share the product's rule: nothing on stdout


async def test_front_without_workers_leaves_jobs_to_a_worker_process(
    tmp_path: Path, database_url: str
) -> None:
    env = serve_env(tmp_path, SCW_MCP_DATABASE_URL=database_url)
    (job_id,) = await _enqueue(database_url, tmp_path / "log", 1)
    params = serve_params(env)
    params.args = [*params.args, "--no-workers"]

    async with Client(params) as client:
        status = await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 1.5})
        # A job due all along, and the front did not take it.
        assert status.structured_content["data"]["state"] == "queued"  # type: ignore[index]

        worker = _start_worker(env, tmp_path / "worker.stderr")
        try:
            status = await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 30})
            data = status.structured_content["data"]  # type: ignore[index]
            assert data["state"] == "succeeded", data
        finally:
            worker.terminate()
            worker.wait(30)

    db = create_database(database_url)
    try:
        claims = [e for e in await JobStore(db).events(job_id, limit=50) if e.kind == "claimed"]
    finally:
        await db.close()
    assert claims and all(f":{worker.pid}:" in e.message for e in claims)
