"""Bringing the database schema to the newest revision with Alembic, safely.

Alembic is imported only when there is something to migrate: a server start on an
up-to-date database reads one row and moves on (Alembic costs ~0.25 s to import).
Processes that start together migrate one at a time, each in one transaction (an advisory
lock on PostgreSQL, the write lock taken up front on SQLite): the next one finds the schema
at head and does nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import Connection

import migrations
from jobs.database import Database
from jobs.db_errors import plain_reason
from jobs.errors import DatabaseError
from jobs.wal_check import inspect_wal

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key held while migrating: any fixed number unlikely to collide.
_MIGRATION_LOCK_KEY = 0x5C3A_3C9_0002


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped with the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return config


def head_revision() -> str:
    """The newest revision this release knows (from the Alembic scripts)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _upgrade(connection: Connection) -> str | None:
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise DatabaseError(
            f"the job database is at schema revision {current!r}, newer than this release "
            f"knows (head {script.get_current_head()!r}); upgrade scaleway-mcp-connector "
            "or point it at another database"
        )
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return current


async def _current_revision(db: Database) -> str | None:
    """The stamped revision, or None for a database without the version table."""
    async with db.read() as conn:
        if db.engine.dialect.name == "sqlite":
            # Reading the schema first makes a corrupt file fail before anything is written.
            found = await conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'")
            )
            if found.first() is None:
                return None
        else:
            found = await conn.execute(text("SELECT to_regclass('alembic_version')"))
            if found.scalar() is None:
                return None
        row = (await conn.execute(text("SELECT version_num FROM alembic_version"))).first()
        return row[0] if row else None


def _cannot_open(db: Database, exc: BaseException) -> DatabaseError:
    return DatabaseError(f"cannot open the job database {db.url}: {plain_reason(exc)}")


def _warn_about_wal_damage(db: Database) -> None:
    """Say what SQLite is about to drop from a damaged log (call before the first open)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    damage = inspect_wal(Path(url.database).expanduser())
    if damage is not None:
        logger.warning("job database %s: %s", db.url, damage.describe())


async def upgrade_database(db: Database) -> None:
    """Apply every pending migration; refuse a corrupt or newer database untouched.

    A damaged SQLite write-ahead log is reported first (a warning naming what is lost).
    """
    _warn_about_wal_damage(db)
    try:
        if await _current_revision(db) == migrations.HEAD:
            return
        async with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})"))
            else:
                # Python's sqlite3 opens no transaction before DDL: take the write lock first,
                # or two processes both find no schema and both create it.
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
            before = await conn.run_sync(_upgrade)
    except DatabaseError as exc:
        if isinstance(exc.__cause__, sa_exc.DBAPIError | OSError):  # from db.read()
            raise _cannot_open(db, exc.__cause__) from exc.__cause__
        raise
    except (sa_exc.DBAPIError, OSError) as exc:  # asyncpg: OSError when unreachable
        raise _cannot_open(db, exc) from exc
    if before != migrations.HEAD:  # else another process migrated it while we waited
        logger.info("job database %s migrated from %s to %s", db.url, before, migrations.HEAD)
