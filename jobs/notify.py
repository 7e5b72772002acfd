"""Wake-ups from other processes: PostgreSQL LISTEN/NOTIFY turned into in-process signals.

The job triggers (migration 0002) NOTIFY ``scaleway_mcp_jobs`` with ``due <job id>`` when a
job becomes claimable and ``changed <job id>`` otherwise. One held connection per process
listens and fires the same ``Signals`` an in-process write fires, so an idle worker starts a
job enqueued by another front within milliseconds, and a tool waiting on a job sees a worker
elsewhere move it. SQLite has no such channel: other processes' writes are found by polling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
from anyio.abc import TaskStatus

from jobs.database import Database
from jobs.signals import Signals

logger = logging.getLogger(__name__)

CHANNEL = "scaleway_mcp_jobs"
RECONNECT_S = 1.0


def forward(signals: Signals, payload: str) -> None:
    """Fire the signal a NOTIFY payload stands for."""
    kind, _, job_id = payload.partition(" ")
    if kind == "due":
        signals.enqueued()
    if job_id:
        signals.job_changed(job_id)


async def _listen_once(db: Database, signals: Signals, on_listening: Callable[[], None]) -> None:
    """Listen on one connection until the server closes it."""
    lost = anyio.Event()
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        pg = raw.driver_connection
        assert pg is not None
        pg.add_termination_listener(lambda _conn: lost.set())
        await pg.add_listener(CHANNEL, lambda *args: forward(signals, args[-1]))
        on_listening()
        await lost.wait()


async def listen(
    db: Database,
    signals: Signals,
    *,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Forward notifications until cancelled, reconnecting after a loss; no-op for SQLite."""
    if db.engine.dialect.name != "postgresql":
        task_status.started()
        return
    started = False

    def on_listening() -> None:
        nonlocal started
        if started:
            signals.enqueued()  # look again: a NOTIFY may have come while reconnecting
        else:
            task_status.started()
            started = True

    while True:
        try:
            await _listen_once(db, signals, on_listening)
        except Exception as exc:
            logger.warning("listening for job notifications failed (%s); polling meanwhile", exc)
        if not started:  # polling covers for it; never hold the start-up back
            task_status.started()
            started = True
        await anyio.sleep(RECONNECT_S)
