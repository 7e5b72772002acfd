"""Fixtures of the unit tests: a migrated SQLite file in tmp_path and a store on a manual clock.

The schema is migrated once per session into a template file, then copied for each test:
running Alembic for every test would cost more than the tests themselves.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import pytest

from jobs.clock import ManualClock
from jobs.database import Database, create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.store import JobStore


async def _migrated_file(path: Path) -> None:
    db = create_database(sqlite_url(path))
    try:
        await upgrade_database(db)
    finally:
        await db.close()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, never opened by a test."""
    path = tmp_path_factory.mktemp("template") / "jobs.db"
    anyio.run(_migrated_file, path)
    # Closing the last connection checkpoints the WAL into the file; nothing else is needed.
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


@pytest.fixture
def db_path(tmp_path: Path, template_db: Path) -> Path:
    """A fresh migrated job database file for this test."""
    path = tmp_path / "jobs.db"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def open_db(db_path: Path) -> AsyncIterator[Callable[[], Database]]:
    """Opens more Database objects on the same file (like other processes); closes them all."""
    opened: list[Database] = []

    def open_one() -> Database:
        database = create_database(sqlite_url(db_path))
        opened.append(database)
        return database

    yield open_one
    for database in opened:
        await database.close()


@pytest.fixture
def db(open_db: Callable[[], Database]) -> Database:
    return open_db()


@pytest.fixture
def store(db: Database, clock: ManualClock) -> JobStore:
    return JobStore(db, clock=clock)
