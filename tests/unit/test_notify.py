"""LISTEN/NOTIFY: a write by one process wakes idle workers and job waiters in another."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from jobs import notify
from jobs.clock import ManualClock
from jobs.database import Database
from jobs.models import Progress
from jobs.store import JobStore

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.parametrize("backend", ["postgres"]),
]  # SQLite: polling

SAFETY_S = 10  # a wake that never comes fails the test instead of hanging


async def test_an_enqueue_in_another_process_wakes_an_idle_worker(
    store: JobStore, open_db: Callable[[], Database], clock: ManualClock
) -> None:
    elsewhere = JobStore(open_db(), clock=clock)  # no in-process signal can reach `store`
    woken = anyio.Event()

    async def worker() -> None:
        await store.signals.wait_enqueued(3600)
        woken.set()

    with anyio.fail_after(SAFETY_S):
        async with anyio.create_task_group() as tg:
            await tg.start(notify.listen, store.db, store.signals)
            tg.start_soon(worker)
            await anyio.wait_all_tasks_blocked()
            assert not woken.is_set()
            await elsewhere.enqueue("op", {})
            await woken.wait()
            tg.cancel_scope.cancel()


async def test_progress_made_in_another_process_wakes_the_jobs_waiter(
    store: JobStore, open_db: Callable[[], Database], clock: ManualClock
) -> None:
    elsewhere = JobStore(open_db(), clock=clock)
    job, _ = await store.enqueue("op", {})
    await elsewhere.claim("w1", limit=1, lease_s=30)
    woken = anyio.Event()

    async def waiter() -> None:
        await store.signals.wait_job_changed(job.id, 3600)
        woken.set()

    with anyio.fail_after(SAFETY_S):
        async with anyio.create_task_group() as tg:
            await tg.start(notify.listen, store.db, store.signals)
            tg.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            await elsewhere.set_progress(job.id, "w1", Progress("p", "moving"))
            await woken.wait()
            tg.cancel_scope.cancel()
