"""The one Alembic history on each backend: same schema, and one migration when many start."""

from __future__ import annotations

import subprocess
from pathlib import Path
from subprocess import PIPE

import anyio
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from jobs.clock import ManualClock
from jobs.database import Database, create_database
from jobs.migrate import head_revision, upgrade_database
from jobs.schema import metadata
from jobs.store import JobStore
from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env

pytestmark = pytest.mark.anyio


async def _schema_diff(db: Database) -> list[object]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )


async def test_the_migrated_schema_matches_the_declared_tables(database_url: str) -> None:
    db = create_database(database_url)
    try:
        await upgrade_database(db)
        assert await _schema_diff(db) == []
        # The event triggers of migration 0002 exist on this backend too.
        store = JobStore(db, clock=ManualClock())
        job, _ = await store.enqueue("op", {})
        await store.claim("w1", limit=1, lease_s=30)
        await store.finish(job.id, "w1", {"ok": True}, checkpoint={})
        assert [e.kind for e in await store.events(job.id)] == ["enqueued", "claimed", "succeeded"]
    finally:
        await db.close()


def _upgrade_in_processes(count: int, env: dict[str, str]) -> list[tuple[int, str]]:
    """Start ``count`` ``db upgrade`` processes at once; their exit codes and stderr."""
    command = [*serve_command()[:-1], "db", "upgrade"]
    children = [
        subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=PIPE, stderr=PIPE, text=True)
        for _ in range(count)
    ]
    stderrs = [child.communicate(timeout=60)[1] for child in children]
    return [(child.returncode, stderr) for child, stderr in zip(children, stderrs, strict=True)]


async def test_processes_starting_together_migrate_once(database_url: str, tmp_path: Path) -> None:
    # Three processes upgrade one empty database at the same moment; without a lock they all
    # find no schema and their CREATE TABLEs collide.
    env = serve_env(tmp_path, SCW_MCP_DATABASE_URL=database_url)
    outcomes = await anyio.to_thread.run_sync(_upgrade_in_processes, 3, env)
    assert [code for code, _ in outcomes] == [0] * 3, outcomes
    db = create_database(database_url)
    try:
        async with db.engine.connect() as conn:
            heads = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_heads()
            )
        assert heads == (head_revision(),)
        assert await _schema_diff(db) == []
    finally:
        await db.close()
