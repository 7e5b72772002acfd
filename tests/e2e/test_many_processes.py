"""Many processes, one job store: two HTTP fronts and three workers on one database run 200
mixed jobs against the sandbox, while a worker and a front are SIGKILLed mid-way.

Every create is POSTed exactly once (the sandbox counts them), no job is lost, and the jobs
the killed processes held move on once their leases expire.
"""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from jobs.database import create_database
from jobs.models import Job
from jobs.states import JobState
from jobs.store import JobStore
from sandbox.server import SandboxServer
from tests.e2e.http_support import authorized, http_serve
from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env

pytestmark = pytest.mark.anyio

LEASE_S = "2"
# 200 jobs: kind of resource -> (tool, arguments but the name, how many), within the
# sandbox's per-project quotas.
MIX: dict[str, tuple[str, dict[str, Any], int]] = {
    "private_network": ("create_private_network", {}, 90),
    "registry_namespace": ("create_registry_namespace", {}, 50),
    "server": ("create_instance", {"commercial_type": "DEV1-S", "image": "ubuntu_jammy"}, 60),
}
SAFETY_S = 240  # a run that never finishes fails instead of hanging; not a timing assertion


def _env(home: Path, database_url: str, api_url: str) -> dict[str, str]:
    home.mkdir()
    return serve_env(
        home,
        SCW_MCP_DATABASE_URL=database_url,
        SCW_API_URL=api_url,
        SCW_MCP_POLL_SCALE="0.001",
        SCW_MCP_LEASE_S=LEASE_S,
        SCW_MCP_POLL_INTERVAL_S="0.2",
        SCW_MCP_WAIT_BUDGET_S="0",
    )


@contextmanager
def _workers(tmp_path: Path, count: int, database_url: str, api_url: str) -> Iterator[list[Any]]:
    """``count`` ``worker`` processes, each with its own data dir; killed on exit."""
    workers = [
        subprocess.Popen(
            [*serve_command()[:-1], "worker"],
            env=_env(tmp_path / f"worker{i}", database_url, api_url),
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(30)


async def _submit(url: str, calls: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """Make ``calls`` through the front at ``url``; the job ids they answered with."""
    ids = []
    async with Client(streamable_http_client(url, http_client=authorized())) as client:
        for _kind, tool, args in calls:
            result = await client.call_tool(tool, args)
            envelope = result.structured_content
            assert envelope is not None and envelope["status"] == "success", envelope
            ids.append(envelope["job"]["id"])
    return ids


async def _jobs(store: JobStore, ids: list[str]) -> list[Job]:
    return [await store.get(job_id) for job_id in ids]


async def _running(store: JobStore) -> list[Job]:
    return (await store.list_jobs(states=[JobState.RUNNING], limit=100)).jobs


async def _all_done(store: JobStore, ids: list[str]) -> bool:
    return all(j.state.is_terminal for j in await _jobs(store, ids))


def _holder_pid(job: Job) -> int | None:
    owner = job.lease_owner or ""
    return int(owner.split(":")[1]) if job.state is JobState.RUNNING and owner else None


async def test_two_fronts_and_three_workers_run_200_jobs_through_kills_exactly_once(
    tmp_path: Path, database_url: str
) -> None:
    calls = [
        (kind, tool, {**args, "name": f"{kind.replace('_', '-')}-{i}"})
        for kind, (tool, args, count) in MIX.items()
        for i in range(count)
    ]
    with (
        ExitStack() as stack,
        anyio.fail_after(SAFETY_S),
    ):
        sb = stack.enter_context(SandboxServer(speed=1000, seed=0, with_s3=False))
        front_a, front_b = (
            stack.enter_context(http_serve(_env(tmp_path / f"front{i}", database_url, sb.api_url)))
            for i in range(2)
        )
        workers = stack.enter_context(_workers(tmp_path, 3, database_url, sb.api_url))
        db = create_database(database_url)
        try:
            store = JobStore(db)
            ids: list[str] = []
            killed_jobs: set[str] = set()

            async def submit(url: str, share: list[tuple[str, str, dict[str, Any]]]) -> None:
                ids.extend(await _submit(url, share))

            async def kill_one_holding_a_job(victim: subprocess.Popen[bytes]) -> None:
                while True:
                    if victim.pid in {_holder_pid(j) for j in await _running(store)}:
                        break
                    if len(ids) == len(calls) and await _all_done(store, ids):
                        return  # too late: the assertion below says so
                    await anyio.sleep(0.005)
                victim.send_signal(signal.SIGKILL)
                victim.wait(30)
                # Read after the kill: what the dead process held (no lease expired yet).
                held = [j.id for j in await _running(store) if _holder_pid(j) == victim.pid]
                killed_jobs.update(held)

            # Both fronts take calls; then front A takes the rest while a worker and front B
            # are killed, each while it holds a running job.
            half = len(calls) // 2
            async with anyio.create_task_group() as tg:
                tg.start_soon(submit, front_a.url, calls[: half // 2])
                tg.start_soon(submit, front_b.url, calls[half // 2 : half])
            async with anyio.create_task_group() as tg:
                tg.start_soon(submit, front_a.url, calls[half:])
                tg.start_soon(kill_one_holding_a_job, workers[0])
                tg.start_soon(kill_one_holding_a_job, front_b.process)
            assert len(ids) == len(calls)
            assert killed_jobs, "the kills came too late to prove anything"

            while True:
                jobs = await _jobs(store, ids)
                if all(j.state.is_terminal for j in jobs):
                    break
                await anyio.sleep(0.2)
            events = {job_id: await store.events(job_id, limit=100) for job_id in killed_jobs}
        finally:
            await db.close()

    states = Counter(j.state for j in jobs)
    assert states == {JobState.SUCCEEDED: len(calls)}, states
    for kind, (_tool, _args, count) in MIX.items():
        assert sb.state.created(kind) == count, (kind, sb.state.created(kind))
    # The killed processes' jobs were taken over by others once their leases expired.
    for job_id, history in events.items():
        assert any(e.kind == "reclaimed" for e in history), (job_id, history)
