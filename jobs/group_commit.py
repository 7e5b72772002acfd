"""Group commit: concurrent writes of one process share a transaction and its commit.

One writer at a time (the leader) opens a transaction, runs its own write, then lets every
write that queued meanwhile run in the same transaction, one after the other, and commits
once. Nobody is answered before that commit: a write acknowledged is a write committed.
Leadership then passes to the first write that queued after the batch closed. Under load a
batch holds every write that arrived during the previous commit; alone, a write commits at
once (its window is one turn of the event loop).

A write's body must raise only before it has written anything (the store's writes check
first, or act with conditional UPDATEs and raise on a zero row count): its exception is
handed back to it, and the rest of the batch still commits. A failure of the database
itself (disk full, lost connection, a failed commit) fails the whole batch, unacknowledged.

A body is either async code inside ``write()``, run by its own task in its turn, or a
synchronous function given to ``run()``: the leader runs the synchronous bodies that queued
one after another together, in one call of ``run_bodies`` (on SQLite, one trip to the
driver's thread for all of them instead of one per statement).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

DEFAULT_MAX_BATCH = 64
T = TypeVar("T")
Body = Callable[[Connection], Any]
# Runs a synchronous function on the (sync view of the) writer connection.
RunBodies = Callable[[AsyncConnection, Callable[[Connection], None]], Awaitable[None]]


class _Write:
    """One queued write: when its body may run, when it ran, and how its batch ended.

    ``turn`` wakes a queued write to lead, to run its async body, or (a synchronous body,
    which the leader runs) because its batch ended.
    """

    __slots__ = (
        "batch_error",
        "body",
        "body_done",
        "committed",
        "db_error",
        "failure",
        "lead",
        "outcome",
        "turn",
    )

    def __init__(self, body: Body | None = None) -> None:
        self.body = body
        self.turn = anyio.Event()
        self.body_done = anyio.Event()
        self.committed = anyio.Event()
        self.db_error: DBAPIError | None = None  # its body's statement failed
        self.batch_error: BaseException | None = None
        self.failure: Exception | None = None  # a synchronous body's own error
        self.outcome: Any = None
        self.lead = False


class GroupCommit:
    """Serialises a process's writes on one connection and commits them in batches."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[AsyncConnection]],
        on_broken: Callable[[AsyncConnection], Awaitable[None]],
        run_bodies: RunBodies,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        self._connect = connect
        self._on_broken = on_broken
        self._run_bodies = run_bodies
        self.max_batch = max_batch
        self._queue: deque[_Write] = deque()
        self._leading = False
        self.batches = 0
        self.writes = 0

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside the shared transaction; returns once the batch committed."""
        me = _Write()
        await anyio.lowlevel.checkpoint_if_cancelled()  # cancellable until it queues
        # Shielded: a body abandoned half-way would leave the shared transaction in an
        # unknown state for everyone in the batch. Cancellation waits for the commit.
        with anyio.CancelScope(shield=True):
            await self._join(me)
            if me.lead:
                async with self._lead() as conn:
                    yield conn
                return
            try:
                yield self._conn
            except DBAPIError as exc:
                me.db_error = exc
                raise
            finally:
                me.body_done.set()
                await me.committed.wait()
            if me.batch_error is not None:
                raise me.batch_error

    async def run(self, body: Callable[[Connection], T]) -> T:
        """Run ``body`` (synchronous) in the shared transaction; its result once committed.

        Its own exception comes back to it once the batch committed; a failure of the
        database fails the batch (see the module docstring).
        """
        me = _Write(body)
        await anyio.lowlevel.checkpoint_if_cancelled()
        with anyio.CancelScope(shield=True):  # as in write(): the batch is never abandoned
            await self._join(me)
            if me.lead:
                async with self._lead() as conn:
                    await self._run_synchronous(conn, [me])
        if me.batch_error is not None:
            raise me.batch_error
        if me.failure is not None:
            raise me.failure
        outcome: T = me.outcome
        return outcome

    async def _join(self, me: _Write) -> None:
        """Lead at once, or queue and wait for a turn (which may hand over the lead)."""
        if self._leading:
            self._queue.append(me)
            await me.turn.wait()
        else:
            self._leading = me.lead = True

    async def _run_synchronous(self, conn: AsyncConnection, writes: list[_Write]) -> None:
        """Run these synchronous bodies one after another in one call; a DBAPIError (the
        database failed) propagates, any other error goes back to its own write."""

        def run_all(sync_conn: Connection) -> None:
            for write in writes:
                try:
                    write.outcome = write.body(sync_conn)  # type: ignore[misc]
                except DBAPIError:
                    raise
                except Exception as exc:
                    write.failure = exc

        await self._run_bodies(conn, run_all)

    @asynccontextmanager
    async def _lead(self) -> AsyncIterator[AsyncConnection]:
        """Run the leader's body, then the queued bodies, then commit; hand over."""
        batch: list[_Write] = []
        conn: AsyncConnection | None = None
        body_error: BaseException | None = None
        batch_error: BaseException | None = None
        try:
            conn = self._conn = await self._connect()
            transaction = await conn.begin()
            try:
                yield conn
            except DBAPIError as exc:
                batch_error = exc
            except BaseException as exc:  # the leader's own failure, nothing written
                body_error = exc
            if batch_error is None:
                # One turn of the event loop: writes about to queue join this batch.
                await anyio.lowlevel.checkpoint()
                while batch_error is None and self._queue and len(batch) < self.max_batch:
                    follower = self._queue.popleft()
                    batch.append(follower)
                    if follower.body is None:
                        follower.turn.set()
                        await follower.body_done.wait()
                        batch_error = follower.db_error
                        continue
                    synchronous = [follower]
                    while (
                        self._queue
                        and self._queue[0].body is not None
                        and len(batch) < self.max_batch
                    ):
                        synchronous.append(self._queue.popleft())
                        batch.append(synchronous[-1])
                    try:
                        await self._run_synchronous(conn, synchronous)
                    except DBAPIError as exc:
                        batch_error = exc
            if batch_error is None:
                await transaction.commit()
            else:
                await transaction.rollback()
        except BaseException as exc:
            batch_error = batch_error or exc
        finally:
            if batch_error is not None and conn is not None and (conn.invalidated or conn.closed):
                await self._on_broken(conn)
            self.batches += 1
            self.writes += 1 + len(batch)
            for follower in batch:
                follower.batch_error = batch_error
                follower.committed.set()
                if follower.body is not None:
                    follower.turn.set()  # not leading: its batch has ended
            self._hand_over()
        if batch_error is not None:
            raise batch_error
        if body_error is not None:
            raise body_error

    def _hand_over(self) -> None:
        if self._queue:
            nxt = self._queue.popleft()
            nxt.lead = True
            nxt.turn.set()
        else:
            self._leading = False
