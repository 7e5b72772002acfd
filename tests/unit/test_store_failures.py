"""A job database that fails after start-up: plain answers, no attempt spent, nothing lost.

The failures are made by SQLite itself on the store's own writer connection: a page limit
(SQLITE_FULL, what a full disk gives), ``query_only`` (SQLITE_READONLY) and a lock held by
another connection past the busy timeout (SQLITE_BUSY).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from jobs.database import Database
from jobs.errors import DatabaseError
from jobs.store import JobStore
from tests.unit.fakes import Scripted, make_runner
from workers.steps import Done, StepContext

# SQLite's own failure modes, made through PRAGMAs; the error mapping by SQLSTATE is the same
# code path on PostgreSQL.
pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("backend", ["sqlite"])]


async def _pragma(db: Database, pragma: str) -> None:
    async with db.write() as conn:
        await conn.exec_driver_sql(f"PRAGMA {pragma}")


async def _fill_the_disk(db: Database) -> None:
    async with db.write() as conn:
        pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar()
        await conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")


@contextmanager
def _locked_by_another_process(db_path: Path) -> Iterator[None]:
    with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")


async def test_a_full_disk_is_named_and_keeps_acknowledged_jobs(
    store: JobStore, db: Database
) -> None:
    kept, _ = await store.enqueue("op", {"n": 1})
    await _fill_the_disk(db)

    with pytest.raises(DatabaseError, match=r"^job database: disk full$"):
        await store.enqueue("op", {"big": "x" * 100_000})

    assert (await store.get(kept.id)).params == {"n": 1}


async def test_a_read_only_database_is_named(store: JobStore, db: Database) -> None:
    await _pragma(db, "query_only = ON")
    with pytest.raises(DatabaseError, match=r"^job database: read-only"):
        await store.enqueue("op", {})


async def test_a_database_locked_past_the_timeout_is_named(
    store: JobStore, db: Database, db_path: Path
) -> None:
    await _pragma(db, "busy_timeout = 50")
    with (
        _locked_by_another_process(db_path),
        pytest.raises(DatabaseError, match=r"^job database: locked by another process"),
    ):
        await store.enqueue("op", {})


async def test_a_step_whose_checkpoint_cannot_be_written_spends_no_attempt(
    store: JobStore, db: Database
) -> None:
    async def saves(ctx: StepContext) -> Done:
        await _pragma(db, "query_only = ON")  # the database is read-only for this write
        try:
            await ctx.save(created="srv-1")
        finally:
            await _pragma(db, "query_only = OFF")
        return Done({})

    op = Scripted(saves)
    job, _ = await store.enqueue(op.name, {})
    (claimed,) = await store.claim("w1", limit=1, lease_s=30)

    with pytest.raises(DatabaseError, match="read-only"):
        await make_runner(store, op, owner="w1").run(claimed)

    after = await store.get(job.id)
    # Not failed, not retried as if the operation had erred: still leased, attempts unspent.
    assert after.state.value == "running" and after.attempts == 0 and after.error is None
