"""The held connections: a cancelled transaction must not keep SQLite's write lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import event, select, update

from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.schema import jobs_table
from jobs.store import JobStore

pytestmark = pytest.mark.anyio


async def test_a_write_cancelled_inside_a_statement_releases_the_write_lock(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "jobs.db")
    db, other = create_database(url), create_database(url)
    try:
        await upgrade_database(db)
        job, _ = await JobStore(db).enqueue("op", {})
        scope = anyio.CancelScope()

        def cancel_on_update(*args: Any) -> None:
            if args[2].lstrip().upper().startswith("UPDATE"):
                scope.cancel()  # lands while the UPDATE is awaited: inside the statement

        event.listen(db.engine.sync_engine, "before_cursor_execute", cancel_on_update)
        with scope:
            async with db.write() as conn:
                await conn.execute(update(jobs_table).values(updated_at=1.0))
                await anyio.sleep(0.05)
        event.remove(db.engine.sync_engine, "before_cursor_execute", cancel_on_update)

        # Another connection (another process, say) can write at once: nothing was left
        # half-done holding the lock until the 10 s busy timeout.
        with anyio.fail_after(3):
            async with other.write() as conn:
                await conn.execute(update(jobs_table).values(updated_at=2.0))
        async with db.read() as conn:
            stored = (await conn.execute(select(jobs_table.c.updated_at))).scalar_one()
        assert stored == 2.0
        assert (await JobStore(db).get(job.id)).updated_at == 2.0
    finally:
        await db.close()
        await other.close()


async def test_writes_cancelled_at_any_moment_never_leave_the_lock_held(tmp_path: Path) -> None:
    # Like a lease-renewal task cancelled by its task group when the step ends: whatever
    # moment the cancellation lands on, the next write must go through at once.
    db = create_database(sqlite_url(tmp_path / "jobs.db"))
    try:
        await upgrade_database(db)
        await JobStore(db).enqueue("op", {})
        for round_ in range(40):

            async def keep_writing() -> None:
                while True:
                    async with db.write() as conn:
                        await conn.execute(update(jobs_table).values(updated_at=-1.0))

            async with anyio.create_task_group() as tg:
                tg.start_soon(keep_writing)
                await anyio.sleep(0.0005 * (round_ % 7))
                tg.cancel_scope.cancel()
            with anyio.fail_after(3):
                async with db.write() as conn:
                    await conn.execute(update(jobs_table).values(updated_at=float(round_)))
    finally:
        await db.close()


async def test_a_new_sqlite_job_file_and_its_journals_are_private(tmp_path: Path) -> None:
    db = create_database(sqlite_url(tmp_path / "jobs.db"))
    try:
        await upgrade_database(db)
        await JobStore(db).enqueue("demo.op", {"password": "hidden"})
        modes = {f.name: f.stat().st_mode & 0o777 for f in tmp_path.glob("jobs.db*")}  # noqa: ASYNC240
        assert {"jobs.db", "jobs.db-wal"} <= set(modes)
        assert set(modes.values()) == {0o600}, modes
    finally:
        await db.close()
