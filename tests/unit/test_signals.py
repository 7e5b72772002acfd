"""In-process wake-ups: a shortcut over polling, so a wake must come when a write commits."""

from __future__ import annotations

import anyio
import pytest

from jobs.clock import ManualClock
from jobs.models import Progress
from jobs.signals import Signals
from jobs.store import JobStore

pytestmark = pytest.mark.anyio

SAFETY_S = 10  # a wait that is never woken fails the test instead of hanging


async def test_enqueue_wakes_a_waiting_worker(store: JobStore) -> None:
    woken = anyio.Event()

    async def worker() -> None:
        await store.signals.wait_enqueued(3600)
        woken.set()

    with anyio.fail_after(SAFETY_S):
        async with anyio.create_task_group() as tg:
            tg.start_soon(worker)
            await anyio.wait_all_tasks_blocked()
            assert not woken.is_set()
            await store.enqueue("op", {})
    assert woken.is_set()


async def test_a_job_change_wakes_its_waiters_only(store: JobStore, clock: ManualClock) -> None:
    watched, _ = await store.enqueue("op", {})
    other, _ = await store.enqueue("op", {})
    await store.claim("w1", limit=2, lease_s=30)
    woken: list[str] = []

    async def watch(job_id: str) -> None:
        await store.signals.wait_job_changed(job_id, 3600)
        woken.append(job_id)

    with anyio.fail_after(SAFETY_S):
        async with anyio.create_task_group() as tg:
            tg.start_soon(watch, watched.id)
            tg.start_soon(watch, other.id)
            await anyio.wait_all_tasks_blocked()
            await store.set_progress(watched.id, "w1", Progress("p", "moving"))
            await anyio.wait_all_tasks_blocked()
            assert woken == [watched.id]
            tg.cancel_scope.cancel()


async def test_waits_end_after_their_timeout_without_a_signal() -> None:
    signals = Signals()
    with anyio.fail_after(SAFETY_S):
        await signals.wait_enqueued(0)
        await signals.wait_job_changed("any", 0)


async def test_an_enqueue_while_no_worker_waits_wakes_the_next_wait_at_once() -> None:
    signals = Signals()
    signals.enqueued()  # the worker was busy (say, reading the next due time)
    with anyio.fail_after(SAFETY_S):
        await signals.wait_enqueued(3600)
