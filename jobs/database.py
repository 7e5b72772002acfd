"""Opening the job database: engine, SQLite pragmas, and the one-writer-per-process lock."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


def is_sqlite(url: str) -> bool:
    """Whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the CLI, get_job_status) run beside the writer. synchronous=FULL
    # makes every committed job survive power loss, not only a process crash; the
    # SQLAlchemy async stack, not the fsync, is what bounds throughput (see bench/engine.py).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """An async engine plus the lock that keeps one writer per process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # One writer per process: SQLite allows one anyway, and queueing here instead of
        # in busy_timeout keeps the tail latency of enqueue low under contention.
        self._write_lock = anyio.Lock()
        self._writer: AsyncConnection | None = None
        self._read_lock = anyio.Lock()
        self._reader: AsyncConnection | None = None

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed on exit, serialised within the process.

        Writes share one held connection: checking one out of the pool per transaction
        costs more than the transaction itself on this stack.
        """
        async with self._write_lock:
            # Shielded: a transaction cancelled half-way would skip its rollback and leave
            # the held connection inside it, holding SQLite's write lock for everyone.
            # Cancellation waits for the commit (a few milliseconds) instead.
            with anyio.CancelScope(shield=True):
                if self._writer is None:
                    self._writer = await self.engine.connect()
                conn = self._writer
                try:
                    async with conn.begin():
                        yield conn
                except BaseException:
                    if conn.invalidated or conn.closed:
                        # Close it now: a dropped connection still inside a transaction
                        # would hold the write lock until garbage collection.
                        self._writer = None
                        await conn.close()
                    raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A short read on a held connection (WAL lets it run beside the writer)."""
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
        async with self._write_lock, self._read_lock:
            for conn in (self._writer, self._reader):
                if conn is not None:
                    await conn.close()
            self._writer = self._reader = None
        await self.engine.dispose()


def create_database(url: str) -> Database:
    """Build the engine for ``url``; for SQLite, make the parent folder and set pragmas."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    else:
        engine = create_async_engine(url, pool_pre_ping=True)
    return Database(engine)
