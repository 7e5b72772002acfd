"""Two stores on one SQLite file, as two processes would be: enqueue and claim stay atomic."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest
from sqlalchemy import event

from jobs.clock import ManualClock
from jobs.database import Database
from jobs.models import Job
from jobs.states import JobState
from jobs.store import JobStore

pytestmark = pytest.mark.anyio

OP = "test.op"


@pytest.fixture
def other(open_db: Callable[[], Database], clock: ManualClock) -> JobStore:
    """A second store on the same file with its own engine and write lock."""
    return JobStore(open_db(), clock=clock)


async def test_concurrent_enqueues_with_one_key_from_two_stores_make_one_job(
    store: JobStore, other: JobStore
) -> None:
    results: dict[str, list[tuple[Job, bool]]] = {f"key-{n}": [] for n in range(15)}

    async def enqueue(s: JobStore, key: str) -> None:
        results[key].append(await s.enqueue(OP, {"key": key}, idempotency_key=key))

    async with anyio.create_task_group() as tg:
        for key in results:
            for s in (store, other, store, other):
                tg.start_soon(enqueue, s, key)

    for key, outcomes in results.items():
        assert len({job.id for job, _ in outcomes}) == 1, key
        assert sum(created for _, created in outcomes) == 1, key
    page = await store.list_jobs(limit=100)
    assert sorted(j.idempotency_key for j in page.jobs) == sorted(results)


async def test_claim_takes_each_job_once_across_two_processes_stores(
    store: JobStore, other: JobStore
) -> None:
    for n in range(60):
        await store.enqueue(OP, {"n": n})
    taken: dict[str, list[str]] = {"a": [], "b": []}

    async def drain(s: JobStore, owner: str) -> None:
        while True:
            jobs = await s.claim(owner, limit=3, lease_s=30)
            if not jobs:
                return
            assert len(jobs) <= 3
            taken[owner].extend(j.id for j in jobs)
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(drain, store, "a")
            tg.start_soon(drain, other, "b")

    every = taken["a"] + taken["b"]
    duplicates = [job_id for job_id, n in Counter(every).items() if n > 1]
    assert duplicates == []
    assert len(every) == 60
    for owner, ids in taken.items():
        for job_id in ids:
            assert (await store.get(job_id)).lease_owner == owner


@contextmanager
def just_before(db: Database, sql_start: str, action: Callable[[], None]) -> Iterator[None]:
    """Run ``action`` once, right before ``db`` sends a statement starting with ``sql_start``.

    Stands for another process writing at the worst moment, deterministically.
    """
    fired = False

    def hook(conn, cursor, statement, parameters, context, executemany) -> None:
        nonlocal fired
        if not fired and statement.lstrip().upper().startswith(sql_start):
            fired = True
            action()

    event.listen(db.engine.sync_engine, "before_cursor_execute", hook)
    try:
        yield
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", hook)
    assert fired, f"no statement starting with {sql_start!r} was sent"


def other_process_claims(db_path: Path, job_id: str, owner: str, lease_until: float) -> None:
    with sqlite3.connect(db_path, timeout=10) as raw:
        raw.execute(
            "UPDATE jobs SET state = 'running', lease_owner = ?, lease_expires_at = ? WHERE id = ?",
            (owner, lease_until, job_id),
        )
    raw.close()


async def test_claim_does_not_take_a_job_another_process_claimed_after_the_due_select(
    store: JobStore, clock: ManualClock, db: Database, db_path: Path
) -> None:
    job, _ = await store.enqueue(OP, {})
    lease_until = clock.now() + 30

    with just_before(
        db, "UPDATE JOBS", lambda: other_process_claims(db_path, job.id, "other", lease_until)
    ):
        mine = await store.claim("me", limit=1, lease_s=30)

    row = await store.get(job.id)
    assert row.lease_owner == "other", "the live lease of the other process was overwritten"
    assert mine == []


async def test_cancel_of_a_job_claimed_meanwhile_by_another_process_only_flags_it(
    store: JobStore, clock: ManualClock, db: Database, db_path: Path
) -> None:
    job, _ = await store.enqueue(OP, {})
    lease_until = clock.now() + 30

    with just_before(
        db, "UPDATE JOBS", lambda: other_process_claims(db_path, job.id, "other", lease_until)
    ):
        await store.request_cancel(job.id)

    row = await store.get(job.id)
    # Either outcome is sound: cancelled before the claim, or flagged for the new owner.
    # Not sound: state 'cancelled' while a worker still holds a live lease on it.
    assert row.state is JobState.RUNNING and row.cancel_requested, row
