"""The worker pool: bounded slots, waiting jobs hold none, wake-ups, and graceful shutdown."""

from __future__ import annotations

import anyio
import pytest
from sqlalchemy.exc import OperationalError

from jobs.clock import ManualClock
from jobs.database import Database
from jobs.states import JobState
from jobs.store import JobStore
from tests.unit.fakes import Scripted, make_runner
from workers.pool import PoolSettings, WorkerPool, default_owner
from workers.steps import Done, StepContext, Wait

pytestmark = pytest.mark.anyio

SAFETY_S = 10  # fail instead of hanging; never a timing assertion


def make_pool(store: JobStore, op: Scripted, *, slots: int, **settings: float) -> WorkerPool:
    return WorkerPool(store, make_runner(store, op), PoolSettings(slots=slots, **settings))


async def test_a_waiting_job_holds_no_slot(store: JobStore, clock: ManualClock) -> None:
    class PerJob(Scripted):
        async def step(self, ctx: StepContext) -> Done | Wait:
            self.calls.append(ctx)
            return Wait(3600) if ctx.job.params["slow"] else Done({"fast": True})

    op = PerJob()
    slow, _ = await store.enqueue(op.name, {"slow": True})
    fast, _ = await store.enqueue(op.name, {"slow": False})

    with anyio.fail_after(SAFETY_S):
        await make_pool(store, op, slots=1).run_until_idle()

    assert (await store.get(slow.id)).state is JobState.WAITING
    assert (await store.get(fast.id)).state is JobState.SUCCEEDED


async def test_run_until_idle_runs_every_due_job_and_returns(store: JobStore) -> None:
    op = Scripted(*(Done({"n": n}) for n in range(7)))
    ids = [(await store.enqueue(op.name, {}))[0].id for _ in range(7)]

    with anyio.fail_after(SAFETY_S):
        await make_pool(store, op, slots=3).run_until_idle()

    assert {(await store.get(i)).state for i in ids} == {JobState.SUCCEEDED}
    assert len(op.calls) == 7


async def test_a_freed_slot_claims_its_next_job_in_the_finished_jobs_commit(
    store: JobStore, db: Database
) -> None:
    op = Scripted(*(Done({"n": n}) for n in range(3)))
    ids = [(await store.enqueue(op.name, {}))[0].id for _ in range(3)]
    batches_before = db.group_commit.batches

    with anyio.fail_after(SAFETY_S):
        await make_pool(store, op, slots=1).run_until_idle()

    assert {(await store.get(i)).state for i in ids} == {JobState.SUCCEEDED}
    # One slot, three jobs: claim 1, then (finish 1 + claim 2), (finish 2 + claim 3),
    # then finish 3 (with the claim that finds nothing): four commits, where a claim
    # waiting for the finish to commit would take six.
    assert db.group_commit.batches - batches_before == 4


async def test_pool_never_runs_more_steps_than_it_has_slots(store: JobStore) -> None:
    gate = anyio.Event()
    two_running = anyio.Event()
    all_stepped = anyio.Event()
    running = 0
    most = 0
    stepped = 0

    async def blocked(ctx: StepContext) -> Done:
        nonlocal running, most, stepped
        running += 1
        most = max(most, running)
        if running == 2:
            two_running.set()
        await gate.wait()
        running -= 1
        stepped += 1
        if stepped == 5:
            all_stepped.set()
        return Done({})

    op = Scripted(*(blocked for _ in range(5)))
    ids = [(await store.enqueue(op.name, {}))[0].id for _ in range(5)]
    pool = make_pool(store, op, slots=2, poll_interval_s=0.01)

    with anyio.fail_after(SAFETY_S):
        async with anyio.create_task_group() as tg:
            await tg.start(pool.run)
            await two_running.wait()
            for _ in range(5):  # give the pool many chances to over-claim
                await anyio.sleep(0.01)
            counts = await store.count_by_state()
            gate.set()
            await all_stepped.wait()
            pool.stop()  # the grace period lets the last step's outcome be written

    assert counts == {JobState.RUNNING: 2, JobState.QUEUED: 3}
    assert most == 2
    assert {(await store.get(i)).state for i in ids} == {JobState.SUCCEEDED}


async def test_an_enqueue_in_the_same_process_wakes_an_idle_pool(store: JobStore) -> None:
    op = Scripted(Done({"woken": True}))
    # A poll interval far beyond the safety net: only the in-process signal can start the job.
    pool = make_pool(store, op, slots=1, poll_interval_s=3600)

    with anyio.fail_after(SAFETY_S):
        async with anyio.create_task_group() as tg:
            await tg.start(pool.run)
            await anyio.sleep(0.05)  # let the pool go idle first
            job, _ = await store.enqueue(op.name, {})
            while not (await store.get(job.id)).state.is_terminal:
                await store.signals.wait_job_changed(job.id, 1)
            pool.stop()

    assert (await store.get(job.id)).result == {"woken": True}


async def test_stop_releases_a_step_still_running_after_the_grace_period(
    store: JobStore, open_db, clock: ManualClock
) -> None:
    started = anyio.Event()

    async def never_ends(ctx: StepContext) -> Done:
        started.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    op = Scripted(never_ends)
    job, _ = await store.enqueue(op.name, {})
    pool = make_pool(store, op, slots=1, shutdown_grace_s=0.05)

    with anyio.fail_after(SAFETY_S):
        async with anyio.create_task_group() as tg:
            await tg.start(pool.run)
            await started.wait()
            pool.stop()

    released = await store.get(job.id)
    assert released.state is JobState.QUEUED
    assert released.lease_owner is None
    assert released.attempts == 0  # a shutdown is not the job's failure
    assert (await store.events(job.id))[-1].kind == "released"
    other = JobStore(open_db(), clock=clock)  # another process, lease or not
    assert [j.id for j in await other.claim("w2", limit=1, lease_s=30)] == [job.id]


async def test_stop_lets_a_step_finish_within_the_grace_period(store: JobStore) -> None:
    started = anyio.Event()
    finish = anyio.Event()

    async def short(ctx: StepContext) -> Done:
        started.set()
        await finish.wait()
        return Done({"finished": True})

    op = Scripted(short)
    job, _ = await store.enqueue(op.name, {})
    pool = make_pool(store, op, slots=1, shutdown_grace_s=SAFETY_S)

    with anyio.fail_after(SAFETY_S):
        async with anyio.create_task_group() as tg:
            await tg.start(pool.run)
            await started.wait()
            pool.stop()
            finish.set()

    done = await store.get(job.id)
    assert done.state is JobState.SUCCEEDED
    assert done.result == {"finished": True}


async def test_stopped_pool_claims_nothing_more(store: JobStore) -> None:
    op = Scripted(Done({}))
    pool = make_pool(store, op, slots=1, poll_interval_s=0.01)
    with anyio.fail_after(SAFETY_S):
        async with anyio.create_task_group() as tg:
            await tg.start(pool.run)
            pool.stop()
    job, _ = await store.enqueue(op.name, {})
    assert (await store.get(job.id)).state is JobState.QUEUED
    assert op.calls == []


def test_default_owner_is_unique_per_pool() -> None:
    assert default_owner() != default_owner()
    assert len(default_owner()) <= 64  # fits the lease_owner column


class FlakyFinishStore(JobStore):
    """A store whose first ``finish`` fails the way SQLite does when another process holds it."""

    failures = 1

    async def finish(self, job_id: str, owner: str, result: dict, *, checkpoint: dict) -> None:
        if self.failures:
            self.failures -= 1
            raise OperationalError("UPDATE jobs ...", {}, Exception("database is locked"))
        await super().finish(job_id, owner, result, checkpoint=checkpoint)


async def test_a_database_error_while_recording_one_job_does_not_stop_the_pool(
    db: Database, clock: ManualClock
) -> None:
    store = FlakyFinishStore(db, clock=clock)
    op = Scripted(Done({"n": 1}), Done({"n": 2}))
    first, _ = await store.enqueue(op.name, {})
    second, _ = await store.enqueue(op.name, {})

    with anyio.fail_after(SAFETY_S):
        await make_pool(store, op, slots=1).run_until_idle()

    # The job whose outcome was lost stays leased (its lease will expire); the other ran.
    assert (await store.get(first.id)).state is JobState.RUNNING
    assert (await store.get(second.id)).state is JobState.SUCCEEDED
