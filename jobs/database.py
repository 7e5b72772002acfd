"""Opening the job database: URL checks, engine, SQLite pragmas, one writer per process.

Two backends: SQLite (aiosqlite) on one machine, PostgreSQL (asyncpg, the ``[postgres]``
extra) for several machines. Every other URL is refused with one line saying what to use.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from jobs.db_errors import translated
from jobs.errors import DatabaseError
from jobs.group_commit import GroupCommit
from jobs.sqlite_driver import one_hop_dbapi, run_in_driver_thread
from jobs.urls import sqlite_url as sqlite_url

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
WAL_AUTOCHECKPOINT_PAGES = 100
POSTGRES_CONNECT_TIMEOUT_S = 10.0
PRIVATE_FILE_MODE = 0o600
T = TypeVar("T")
_EXAMPLES = "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE"


def is_sqlite(url: str) -> bool:
    """Whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def check_url(url: str) -> URL:
    """The parsed URL of a usable job database; DatabaseError naming the fix otherwise."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseError(f"job database URL {url!r} is not a URL; use {_EXAMPLES}") from exc
    shown = parsed.render_as_string(hide_password=True)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend == "sqlite" and driver != "aiosqlite":
        raise DatabaseError(
            f"job database URL {shown}: the {driver} driver is synchronous; use "
            "sqlite+aiosqlite:///PATH"
        )
    if backend == "postgresql":
        if driver != "asyncpg":
            raise DatabaseError(
                f"job database URL {shown}: the {driver} driver is not supported; use "
                "postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE"
            )
        if importlib.util.find_spec("asyncpg") is None:
            raise DatabaseError(
                "a PostgreSQL job database needs the asyncpg driver: install "
                "scaleway-mcp-connector[postgres]"
            )
    elif backend != "sqlite":
        raise DatabaseError(
            f"job database URL {shown}: {backend} is not supported; use {_EXAMPLES}"
        )
    return parsed


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the CLI, get_job_status) run beside the writer. synchronous=FULL
    # makes every committed job survive power loss, not only a process crash; the
    # SQLAlchemy async stack, not the fsync, is what bounds throughput (see bench/engine.py).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # A short log: what a damaged WAL can take with it is at most these pages (~400 KB).
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """An async engine plus the lock that keeps one writer per process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # One writer per process: SQLite allows one anyway, and queueing here instead of
        # in busy_timeout keeps the tail latency of enqueue low under contention.
        self._writer: AsyncConnection | None = None
        self.group_commit = GroupCommit(
            self._writer_connection, self._drop_writer, self._run_bodies
        )
        self._read_lock = anyio.Lock()
        self._reader: AsyncConnection | None = None

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write in a transaction that is committed before this returns.

        Concurrent writes of this process share one held connection and are committed
        together (see ``jobs.group_commit``): one commit for many writes, and one writer
        at a time, which SQLite wants anyway.
        """
        with translated():
            async with self.group_commit.write() as conn:
                yield conn

    async def run(self, body: Callable[[Connection], T]) -> T:
        """Run a synchronous write ``body`` in the shared transaction; its result, committed.

        Like ``write()``, but queued bodies run together in one call (on SQLite, in the
        driver's thread: one trip for all their statements instead of one per statement).
        """
        with translated():
            return await self.group_commit.run(body)

    async def _run_bodies(
        self, conn: AsyncConnection, run_all: Callable[[Connection], None]
    ) -> None:
        if conn.dialect.name == "sqlite":
            await run_in_driver_thread(conn, run_all)
        else:
            await conn.run_sync(run_all)

    async def _writer_connection(self) -> AsyncConnection:
        if self._writer is None:
            self._writer = await self.engine.connect()
        return self._writer

    async def _drop_writer(self, conn: AsyncConnection) -> None:
        # Close it now: a dropped connection still inside a transaction would hold the
        # write lock until garbage collection.
        self._writer = None
        await conn.close()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A short read on a held connection (WAL lets it run beside the writer)."""
        with translated():
            async with self._read() as conn:
                yield conn

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with self._read_lock:
            # Shielded for the same reason as writes: an abandoned read would pin an old
            # snapshot on the held connection, and later reads would not see new commits.
            with anyio.CancelScope(shield=True):
                if self._reader is None:
                    self._reader = await self.engine.connect()
                conn = self._reader
                try:
                    yield conn
                finally:
                    # End the read transaction so the next read sees the latest commits.
                    if not (conn.invalidated or conn.closed):
                        await conn.rollback()
                    else:
                        self._reader = None

    async def close(self) -> None:
        """Release the writer and every pooled connection."""
        async with self._read_lock:
            for conn in (self._writer, self._reader):
                if conn is not None:
                    await conn.close()
            self._writer = self._reader = None
        await self.engine.dispose()


def _keep_private(path: Path) -> None:
    """Create the SQLite file readable by its owner only (its journals follow its mode)."""
    # Job rows hold parameters and results: nobody else on the machine should read them.
    # SQLite would create the file under the umask (0644 usually), and its -wal and -shm
    # files copy the main file's mode. Problems are left for SQLite to report.
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except OSError:
        return


def create_database(url: str, *, create_dir: bool = False) -> Database:
    """Build the engine for ``url`` (nothing is opened yet); DatabaseError for a bad URL.

    For SQLite, ``create_dir`` makes a missing parent folder (the data dir); otherwise a
    missing folder is an error.
    """
    parsed = check_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            path = Path(database).expanduser()
            if not create_dir and not path.parent.is_dir():
                raise DatabaseError(f"job database {path}: folder {path.parent} does not exist")
            if create_dir:
                path.parent.mkdir(parents=True, exist_ok=True)
            _keep_private(path)
        engine = create_async_engine(
            parsed,
            module=one_hop_dbapi(),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    else:
        engine = create_async_engine(
            parsed, pool_pre_ping=True, connect_args={"timeout": POSTGRES_CONNECT_TIMEOUT_S}
        )
    return Database(engine)
