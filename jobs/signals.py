"""In-process wake-ups: a new job for idle workers, a changed job for whoever waits on it.

Only a shortcut: other processes' writes are seen by polling the table, so a missed signal
costs latency, never correctness.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel


class Signals:
    """Events the job store fires after it commits."""

    def __init__(self) -> None:
        self._enqueued: anyio.Event | None = None
        # An enqueue with no worker waiting (say, while it was busy looking for the next
        # due time) is kept for the next wait, instead of being lost until the next poll.
        self._enqueued_pending = False
        self._changed: dict[str, anyio.Event] = {}

    def enqueued(self) -> None:
        """A job became due: wake a worker."""
        if self._enqueued is not None:
            self._enqueued.set()
            self._enqueued = None
        else:
            self._enqueued_pending = True

    async def wait_enqueued(self, timeout_s: float) -> None:
        """Sleep until a job is enqueued or ``timeout_s`` passes (at once if one was missed)."""
        if self._enqueued_pending:
            self._enqueued_pending = False
            await anyio.lowlevel.checkpoint()
            return
        if self._enqueued is None:
            self._enqueued = anyio.Event()
        event = self._enqueued
        with anyio.move_on_after(max(timeout_s, 0.0)):
            await event.wait()

    def job_changed(self, job_id: str) -> None:
        """A job's row changed: wake its waiters."""
        event = self._changed.pop(job_id, None)
        if event is not None:
            event.set()

    async def wait_job_changed(self, job_id: str, timeout_s: float) -> None:
        """Sleep until the job changes or ``timeout_s`` passes."""
        event = self._changed.get(job_id)
        if event is None:
            event = self._changed[job_id] = anyio.Event()
        with anyio.move_on_after(max(timeout_s, 0.0)):
            await event.wait()
