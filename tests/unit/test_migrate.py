"""Migrations: the schema comes only from Alembic, matches the declared tables, and a database
this release cannot use is refused untouched."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from jobs.clock import ManualClock
from jobs.database import create_database, sqlite_url
from jobs.errors import DatabaseError, JobError
from jobs.migrate import head_revision, upgrade_database
from jobs.schema import metadata
from jobs.store import JobStore

pytestmark = pytest.mark.anyio


def schema_of(path: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(path) as raw:
        rows = raw.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    raw.close()
    return rows


def revision_of(path: Path) -> list[str]:
    with sqlite3.connect(path) as raw:
        rows = raw.execute("SELECT version_num FROM alembic_version").fetchall()
    raw.close()
    return [r[0] for r in rows]


async def upgrade_file(path: Path) -> None:
    db = create_database(sqlite_url(path), create_dir=True)
    try:
        await upgrade_database(db)
    finally:
        await db.close()


async def test_upgrade_creates_the_tables_at_head(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "jobs.db"

    await upgrade_file(path)

    names = {name for kind, name, _ in schema_of(path) if kind == "table"}
    assert {"jobs", "job_events", "alembic_version"} <= names
    assert revision_of(path) == [head_revision()]


async def test_upgrading_twice_changes_nothing_and_keeps_the_jobs(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    await upgrade_file(path)
    db = create_database(sqlite_url(path))
    job, _ = await JobStore(db, clock=ManualClock()).enqueue("op", {"keep": "me"})
    await db.close()
    schema = schema_of(path)

    await upgrade_file(path)

    assert schema_of(path) == schema
    assert revision_of(path) == [head_revision()]
    db = create_database(sqlite_url(path))
    try:
        assert (await JobStore(db).get(job.id)).params == {"keep": "me"}
    finally:
        await db.close()


async def test_upgraded_schema_matches_the_declared_tables(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    db = create_database(sqlite_url(path))
    try:
        await upgrade_database(db)
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await db.close()
    assert diff == []


async def test_schema_comparison_would_notice_a_missing_index(tmp_path: Path) -> None:
    # Guards the test above: compare_metadata does see what the migration left out.
    path = tmp_path / "jobs.db"
    await upgrade_file(path)
    with sqlite3.connect(path) as raw:
        raw.execute("DROP INDEX ix_jobs_created_at")
    raw.close()
    db = create_database(sqlite_url(path))
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await db.close()
    assert [d[0] for d in diff] == ["add_index"]


async def test_database_from_a_newer_release_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    await upgrade_file(path)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    raw.close()
    before = path.read_bytes()

    db = create_database(sqlite_url(path))
    try:
        with pytest.raises(DatabaseError) as caught:
            await upgrade_database(db)
    finally:
        await db.close()

    message = str(caught.value)
    assert "9999_from_the_future" in message
    assert head_revision() in message
    assert "newer" in message
    assert path.read_bytes() == before
    assert revision_of(path) == ["9999_from_the_future"]


async def test_corrupt_file_raises_database_error_and_is_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    garbage = random.Random(3).randbytes(8192)
    path.write_bytes(garbage)

    db = create_database(sqlite_url(path))
    try:
        with pytest.raises(DatabaseError) as caught:
            await upgrade_database(db)
    finally:
        await db.close()

    assert str(path) in str(caught.value)
    assert isinstance(caught.value, JobError)
    assert path.read_bytes() == garbage


async def test_text_file_in_place_of_the_database_raises_database_error(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    path.write_text("this is my shopping list, not a database\n" * 20)
    before = path.read_bytes()

    db = create_database(sqlite_url(path))
    try:
        with pytest.raises(DatabaseError):
            await upgrade_database(db)
    finally:
        await db.close()
    assert path.read_bytes() == before


async def test_a_0001_database_upgrades_in_place_and_then_logs_events_by_trigger(
    tmp_path: Path,
) -> None:
    from sqlalchemy import text

    from jobs.migrate import alembic_config

    path = tmp_path / "jobs.db"
    db = create_database(sqlite_url(path))

    def to_0001(connection: object) -> None:
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")

    async with db.engine.begin() as conn:
        await conn.run_sync(to_0001)
        # A job written by the 0001 release, with its event written by hand as it did.
        await conn.execute(
            text(
                "INSERT INTO jobs (id, operation, params, state, attempts, max_attempts, "
                "run_after_at, checkpoint, cancel_requested, created_at, updated_at) VALUES "
                "('00000000-0000-0000-0000-0000000000aa', 'op', '{}', 'queued', 0, 5, 0, "
                "'{}', 0, 1, 1)"
            )
        )
    await db.close()
    assert revision_of(path) == ["0001"]

    await upgrade_file(path)
    assert revision_of(path) == [head_revision()]

    db = create_database(sqlite_url(path))
    try:
        store = JobStore(db, clock=ManualClock())
        (claimed,) = await store.claim("w", limit=1, lease_s=30)
        assert claimed.id == "00000000-0000-0000-0000-0000000000aa"
        await store.finish(claimed.id, "w", {"ok": True}, checkpoint={})
        kinds = [e.kind for e in await store.events(claimed.id)]
    finally:
        await db.close()
    assert kinds == ["claimed", "succeeded"]


def test_an_up_to_date_database_opens_without_importing_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    import anyio

    path = tmp_path / "jobs.db"
    anyio.run(upgrade_file, path)
    code = (
        "import sys, anyio;"
        "from jobs.database import create_database, sqlite_url;"
        "from jobs.migrate import upgrade_database;"
        f"db = create_database(sqlite_url({str(path)!r}));"
        "anyio.run(upgrade_database, db); anyio.run(db.close);"
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
