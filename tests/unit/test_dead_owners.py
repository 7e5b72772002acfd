"""A starting worker takes over at once the jobs a dead process on its host held."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import anyio
import pytest

from jobs import owners
from jobs.clock import ManualClock
from jobs.states import JobState
from jobs.store import JobStore
from tests.unit.fakes import Scripted, make_runner
from workers.pool import PoolSettings, WorkerPool
from workers.steps import Done

pytestmark = pytest.mark.anyio

SAFETY_S = 10


def _owner(pid: int, start: str | None, host: str | None = None) -> str:
    return f"{host or owners.host_name()}:{pid}:{start}:deadbeef"


@pytest.fixture
def gone_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)
    return child.pid


@pytest.fixture
def live_process() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield child
    child.kill()
    child.wait(30)


def test_an_owner_is_dead_when_its_pid_is_gone_or_reused(
    gone_pid: int, live_process: subprocess.Popen[bytes]
) -> None:
    me, live = os.getpid(), live_process.pid
    assert owners.dead_here(_owner(gone_pid, "1"))
    assert owners.dead_here(_owner(me, "1"))  # our pid, an earlier process's start time
    assert owners.dead_here(_owner(live, "1"))  # that pid now runs another process
    assert not owners.dead_here(_owner(live, owners.process_start(live)))
    assert not owners.dead_here(owners.new_owner())  # ourselves
    assert not owners.dead_here(_owner(gone_pid, "1", host="another-host"))
    assert not owners.dead_here("w1")  # not an id this code made


async def test_a_starting_pool_runs_the_jobs_of_a_dead_process_without_waiting_the_lease(
    store: JobStore, clock: ManualClock, gone_pid: int, live_process: subprocess.Popen[bytes]
) -> None:
    op = Scripted(Done({"resumed": True}))
    orphan, _ = await store.enqueue(op.name, {})
    await store.claim(_owner(gone_pid, "1"), limit=1, lease_s=3600)
    held, _ = await store.enqueue(op.name, {})
    live = live_process.pid
    await store.claim(_owner(live, owners.process_start(live)), limit=1, lease_s=3600)

    pool = WorkerPool(store, make_runner(store, op, owner=owners.new_owner()), PoolSettings())
    with anyio.fail_after(SAFETY_S):  # the clock stands still: no lease can expire
        async with anyio.create_task_group() as tg:
            await tg.start(pool.run)
            while not (await store.get(orphan.id)).state.is_terminal:
                await store.signals.wait_job_changed(orphan.id, 1)
            pool.stop()

    assert (await store.get(orphan.id)).result == {"resumed": True}
    # A live process keeps its job.
    assert (await store.get(held.id)).state is JobState.RUNNING
