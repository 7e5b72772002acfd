"""Fixtures of the unit tests: a migrated job database and a store on a manual clock.

Tests that take ``store``, ``db`` or ``open_db`` run on each backend: a SQLite file in
tmp_path, and a fresh PostgreSQL database. The schema is migrated once per session into a
template (a file, or a template database), then copied for each test: running Alembic for
every test would cost more than the tests themselves.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import anyio
import pytest

from jobs.clock import ManualClock
from jobs.database import Database, create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.store import JobStore
from tests.support.backends import (
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
    run_sync,
)


async def _migrate(url: str) -> None:
    db = create_database(url)
    try:
        await upgrade_database(db)
    finally:
        await db.close()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, never opened by a test."""
    path = tmp_path_factory.mktemp("template") / "jobs.db"
    anyio.run(_migrate, sqlite_url(path))
    # Closing the last connection checkpoints the WAL into the file; nothing else is needed.
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


@pytest.fixture
def db_path(tmp_path: Path, template_db: Path) -> Path:
    """A fresh migrated job database file for this test."""
    path = tmp_path / "jobs.db"
    shutil.copyfile(template_db, path)
    return path


@pytest.fixture(scope="session")
def postgres_store() -> Iterator[str]:
    """A PostgreSQL database migrated to head once, emptied before each test that uses it."""
    admin = postgres_admin_url()
    url = create_postgres_database(admin)
    run_sync(lambda: _migrate(url))
    yield url
    drop_postgres_database(admin, url)


async def _empty(url: str) -> None:
    db = create_database(url)
    try:
        async with db.write() as conn:
            await conn.exec_driver_sql("TRUNCATE jobs, job_events RESTART IDENTITY")
    finally:
        await db.close()


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The URL of an empty job database at head on ``backend``."""
    if backend == "sqlite":
        # Looked up here, not declared: declaring db_path would make every test SQLite-only.
        return sqlite_url(request.getfixturevalue("db_path"))
    # Emptying one database costs a tenth of creating one per test.
    url: str = request.getfixturevalue("postgres_store")
    run_sync(lambda: _empty(url))
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def open_db(store_url: str) -> AsyncIterator[Callable[[], Database]]:
    """Opens more Database objects on the same database (like other processes); closes them."""
    opened: list[Database] = []

    def open_one() -> Database:
        database = create_database(store_url)
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
