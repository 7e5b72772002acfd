"""Group commit: concurrent writes share commits, and each is answered only once committed."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from jobs.clock import ManualClock
from jobs.database import Database
from jobs.errors import DatabaseError, LeaseLost
from jobs.states import JobState
from jobs.store import JobStore

pytestmark = pytest.mark.anyio


async def test_concurrent_enqueues_share_commits_and_each_is_committed_when_answered(
    store: JobStore, db: Database, open_db: Callable[[], Database], clock: ManualClock
) -> None:
    elsewhere = JobStore(open_db(), clock=clock)  # another process's view of the database
    seen_committed: list[bool] = []

    async def enqueue_and_check(n: int) -> None:
        job, _ = await store.enqueue("op", {"n": n})
        # Acknowledged: another connection must see it already.
        seen_committed.append((await elsewhere.get(job.id)).params == {"n": n})

    batches_before = db.group_commit.batches
    async with anyio.create_task_group() as tg:
        for n in range(50):
            tg.start_soon(enqueue_and_check, n)

    assert seen_committed == [True] * 50
    assert db.group_commit.batches - batches_before < 50 / 2  # most commits were shared


async def test_a_write_that_fails_alone_leaves_its_batch_committed(
    store: JobStore, clock: ManualClock
) -> None:
    job, _ = await store.enqueue("op", {})
    outcomes: dict[str, object] = {}

    async def stale_heartbeat() -> None:
        try:
            await store.heartbeat(job.id, "nobody", lease_s=30)
        except LeaseLost as exc:
            outcomes["stale"] = exc

    async def enqueue(n: int) -> None:
        outcomes[f"job{n}"] = (await store.enqueue("op", {"n": n}))[0].id

    async with anyio.create_task_group() as tg:
        for n in range(5):
            tg.start_soon(enqueue, n)
        tg.start_soon(stale_heartbeat)
        for n in range(5, 10):
            tg.start_soon(enqueue, n)

    assert isinstance(outcomes["stale"], LeaseLost)
    for n in range(10):
        assert (await store.get(str(outcomes[f"job{n}"]))).params == {"n": n}


async def test_async_and_synchronous_writes_queued_together_share_one_commit(
    store: JobStore, db: Database, open_db: Callable[[], Database], clock: ManualClock
) -> None:
    # Enqueues are synchronous bodies the leader runs together; a cancel is an async body
    # run by its own task in its turn. Queued together, they commit together.
    elsewhere = JobStore(open_db(), clock=clock)
    queued, _ = await store.enqueue("op", {})
    outcomes: dict[str, bool] = {}

    async def enqueue(n: int) -> None:
        job, _ = await store.enqueue("op", {"n": n})
        outcomes[f"job{n}"] = (await elsewhere.get(job.id)).params == {"n": n}

    async def cancel() -> None:
        await store.request_cancel(queued.id)
        outcomes["cancel"] = (await elsewhere.get(queued.id)).state is JobState.CANCELLED

    batches_before = db.group_commit.batches
    async with anyio.create_task_group() as tg:
        for n in range(4):
            tg.start_soon(enqueue, n)
        tg.start_soon(cancel)
        for n in range(4, 8):
            tg.start_soon(enqueue, n)

    assert outcomes == {"cancel": True, **{f"job{n}": True for n in range(8)}}
    assert db.group_commit.batches - batches_before < 9 / 2  # the writes shared commits


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_failed_statement_fails_its_whole_batch_unacknowledged(
    store: JobStore, db: Database
) -> None:
    async with db.write() as conn:
        pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar()
        await conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
    outcomes: list[object] = []

    async def enqueue(size: int) -> None:
        try:
            outcomes.append((await store.enqueue("op", {"pad": "x" * size}))[0].id)
        except DatabaseError as exc:
            outcomes.append(exc)

    async with anyio.create_task_group() as tg:
        for size in (10, 200_000, 10):
            tg.start_soon(enqueue, size)

    acknowledged = [o for o in outcomes if isinstance(o, str)]
    # Whatever was acknowledged is stored; the batch with the full disk told its writers.
    assert any(isinstance(o, DatabaseError) for o in outcomes)
    for job_id in acknowledged:
        await store.get(job_id)
    assert (await store.count_by_state()).get(JobState.QUEUED, 0) == len(acknowledged)
