"""A serve process killed with SIGKILL mid-way loses no job and repeats no committed step."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.store import JobStore
from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env

pytestmark = pytest.mark.anyio

JOBS = 6
POLLS = 10


def _side_effects(log: Path) -> dict[str, list[str]]:
    per_job: dict[str, list[str]] = defaultdict(list)
    for line in log.read_text().splitlines() if log.exists() else []:
        job_id, rest = line.split(" ", 1)
        per_job[job_id].append(rest)
    return per_job


async def _enqueue(data_dir: Path, log: Path) -> list[str]:
    db = create_database(sqlite_url(data_dir / "jobs.db"))
    try:
        await upgrade_database(db)
        store = JobStore(db)
        ids = []
        for _ in range(JOBS):
            job, _ = await store.enqueue(
                "test.count", {"log_path": str(log), "polls": POLLS, "poll_s": 0.15}
            )
            ids.append(job.id)
        return ids
    finally:
        await db.close()


def _run_until_midway_then_sigkill(env: dict[str, str], tmp_path: Path, log: Path) -> None:
    """Start serve, let it do a third of the work, then SIGKILL it."""
    stderr = (tmp_path / "first.stderr").open("w")
    first = subprocess.Popen(
        serve_command(),
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    try:
        deadline = time.monotonic() + 30
        while sum(len(v) for v in _side_effects(log).values()) < JOBS * POLLS // 3:
            assert first.poll() is None, (tmp_path / "first.stderr").read_text()
            assert time.monotonic() < deadline, "the first server made no progress"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        stderr.close()


async def test_jobs_survive_sigkill_and_finish_after_restart(tmp_path: Path) -> None:
    log = tmp_path / "side_effects.log"
    env = serve_env(tmp_path, SCW_MCP_LEASE_S="1")
    ids = await _enqueue(tmp_path, log)

    await anyio.to_thread.run_sync(_run_until_midway_then_sigkill, env, tmp_path, log)
    before_restart = _side_effects(log)
    done_before = sum(1 for v in before_restart.values() if len(v) == POLLS + 1)
    assert done_before < JOBS, "the kill came too late to prove anything"

    params = StdioServerParameters(
        command=serve_command()[0], args=serve_command()[1:], env=env, cwd=str(REPO_ROOT)
    )
    async with Client(params) as client:
        for job_id in ids:
            status = await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 30})
            data = status.structured_content["data"]  # type: ignore[index]
            assert data["state"] == "succeeded", data
            assert data["result"] == {"polls": POLLS, "job": job_id}

    effects = _side_effects(log)
    assert set(effects) == set(ids)
    for job_id, lines in effects.items():
        # The create side effect is looked up before it is made: exactly once, kill or not.
        assert lines.count("create") == 1, (job_id, lines)
        polls = [int(line.split()[1]) for line in lines if line.startswith("poll")]
        # Every poll happened; a committed checkpoint was never redone: the sequence never
        # goes back, and only the one step in flight at the kill may repeat, once.
        assert sorted(set(polls)) == list(range(1, POLLS + 1)), (job_id, polls)
        assert polls == sorted(polls), (job_id, polls)
        assert len(polls) - POLLS <= 1, (job_id, polls)
        for line in lines:
            if line.startswith("poll"):
                n, after = int(line.split()[1]), int(line.split()[3])
                assert after == n - 1, line
