"""The jobs a batch job enqueues and follows: its children, through the job store.

A child is an ordinary job of its own operation, linked to its parent by ``parent_id`` and
keyed ``child:<parent id>:<index>``: a resumed parent that enqueues child ``index`` again
gets the job it enqueued before its crash, never a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jobs.errors import InvalidTransition
from jobs.models import JSON, Job
from jobs.states import JobState

if TYPE_CHECKING:
    # The store (and SQLAlchemy) loads with the runtime, after the MCP handshake.
    from jobs.store import JobStore

logger = logging.getLogger(__name__)

_KEY_PREFIX = "child:"


def child_key(parent_id: str, index: int) -> str:
    """The idempotency key of a batch's child ``index`` (0-based)."""
    return f"{_KEY_PREFIX}{parent_id}:{index}"


def child_index(job: Job) -> int | None:
    """The index of a child job in its batch, read back from its key; None for other jobs."""
    key = job.idempotency_key or ""
    if not (job.parent_id and key.startswith(f"{_KEY_PREFIX}{job.parent_id}:")):
        return None
    try:
        return int(key.rsplit(":", 1)[1])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Children:
    """The children of one job: enqueue them once each, read them, cancel the unstarted."""

    store: JobStore
    parent: Job
    # Whether what a succeeded job created still exists (its operation's look-up).
    still_there: Callable[[Job], Awaitable[bool]]

    async def by_index(self) -> dict[int, Job]:
        """Every child enqueued so far, by its index in the batch."""
        found: dict[int, Job] = {}
        for job in await self.store.children(self.parent.id):
            index = child_index(job)
            if index is not None:
                found[index] = job
        return found

    async def enqueue(self, index: int, operation: str, params: JSON) -> Job:
        """Enqueue child ``index`` (or return the job an earlier attempt enqueued)."""
        job, _ = await self.store.enqueue(
            operation,
            params,
            idempotency_key=child_key(self.parent.id, index),
            parent_id=self.parent.id,
            principal=self.parent.principal,
            task_ttl_s=self.parent.task_ttl_s,
        )
        return job

    async def one_still_there(self) -> Job | None:
        """A succeeded child whose resource still exists, if any (looked up by its tag)."""
        for job in await self.store.children(self.parent.id):
            if job.state is JobState.SUCCEEDED and await self.still_there(job):
                return job
        return None

    async def cancel_unstarted(self) -> list[Job]:
        """Cancel the children still queued and never started; the children afterwards."""
        jobs = await self.store.children(self.parent.id)
        after = []
        for job in jobs:
            if job.state is JobState.QUEUED and job.started_at is None:
                try:
                    job = await self.store.request_cancel(job.id)
                except InvalidTransition:  # it ended meanwhile
                    job = await self.store.get(job.id)
            after.append(job)
        return after
