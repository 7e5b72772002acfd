"""SQLAlchemy's aiosqlite driver with one thread hop per statement instead of three or four.

aiosqlite runs each call of a cursor (open, execute, fetch, close) as its own trip to the
connection's thread and back to the event loop; SQLAlchemy's adapter makes all of them for
every statement. Each trip costs 0.05-0.15 ms of wake-ups here, more than a small statement
itself. This cursor runs the whole statement (open, execute, fetch all rows, close) in one
trip, and a rollback with no transaction open (after every read) makes none; a synchronous
function run in the connection's thread (``run_in_driver_thread``) runs all its statements
in a single trip. What reaches the database is unchanged: the same SQL, parameters,
transactions and errors.
"""

from __future__ import annotations

import collections
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]


def _run(conn: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    """Runs in the connection's thread: the statement and everything it returns."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statements each make one trip to the connection's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # no driver cursor is held
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        """The result's columns, as sqlite3 gives them (None for a statement without rows)."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        """The rowid of the last inserted row."""
        return self._lastrowid  # type: ignore[return-value]

    async def _async_soft_close(self) -> None:
        return None  # nothing is held open

    def close(self) -> None:
        """Forget buffered rows (the driver cursor closed with its statement)."""
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        """Run one statement in one trip."""
        return self._trip(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        """Run one statement for each parameter set, in one trip."""
        return self._trip(operation, seq_of_parameters, many=True)

    def _trip(self, operation: Any, parameters: Any, *, many: bool) -> Any:
        try:
            if threading.get_ident() == self._connection._thread.ident:
                # Already in the connection's thread (see run_in_driver_thread): no trip.
                outcome = _run(self._connection._conn, operation, parameters, many)
                self._description, rows, self._rowcount, self._lastrowid = outcome
                self._rows = collections.deque(rows)
                return None
            return await_(self._execute_trip(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _execute_trip(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            aio = self._connection
            outcome = await aio._execute(lambda: _run(aio._conn, operation, parameters, many))
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """The adapted connection, with one-trip cursors and no trip for an idle rollback."""

    __slots__ = ()

    _cursor_cls: type[AsyncAdapt_aiosqlite_cursor] = OneHopCursor

    def rollback(self) -> None:
        """Roll back, skipping the trip when no transaction is open (a finished read)."""
        driver = self._connection._connection
        if driver is not None and not driver.in_transaction:
            return
        super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI shim, handing out one-trip connections."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        """Open an aiosqlite connection (its thread is a daemon, as SQLAlchemy's is)."""
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    """The DBAPI module to give ``create_async_engine(module=...)`` for SQLite."""
    import aiosqlite

    return OneHopDBAPI(aiosqlite, sqlite3)


async def run_in_driver_thread(conn: AsyncConnection, fn: Callable[[Connection], None]) -> None:
    """Run ``fn`` on the sync view of ``conn`` inside its driver's thread: one trip in all.

    Every statement ``fn`` runs executes there at once, without a trip of its own; the
    event loop is free meanwhile. ``fn`` must not await (it is plain synchronous code) and
    nothing else may use ``conn`` until this returns (the group commit's leader awaits it).
    """
    raw = await conn.get_raw_connection()
    adapted = raw.dbapi_connection
    assert isinstance(adapted, OneHopConnection)
    sync_conn = conn.sync_connection
    assert sync_conn is not None
    await adapted._connection._execute(fn, sync_conn)
