"""The worker pool: claims due jobs into a bounded number of slots and runs their steps."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import anyio
from anyio.abc import TaskStatus

from jobs import owners
from jobs.errors import DatabaseError
from jobs.models import Job
from jobs.store import JobStore
from workers.runner import JobRunner

logger = logging.getLogger(__name__)


def default_owner() -> str:
    """A worker id unique to this process: ``host:pid:start:suffix`` (see jobs.owners)."""
    return owners.new_owner()


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """Capacity and cadence of the pool."""

    slots: int = 8
    poll_interval_s: float = 1.0
    shutdown_grace_s: float = 10.0


class WorkerPool:
    """Runs jobs from one store: an anyio task group with ``slots`` concurrent steps."""

    def __init__(
        self, store: JobStore, runner: JobRunner, settings: PoolSettings | None = None
    ) -> None:
        self.store = store
        self.runner = runner
        self.settings = settings or PoolSettings()
        self._busy = 0
        self._slot_freed = anyio.Event()
        self._stopping = anyio.Event()
        self._in_flight: dict[str, anyio.CancelScope] = {}
        # The last claim filled every free slot: more jobs are likely due.
        self._more_due = False

    @property
    def owner(self) -> str:
        """This pool's worker id, written into the leases it takes."""
        return self.runner.owner

    def stop(self) -> None:
        """Stop claiming; running steps get the grace period, then are released."""
        self._stopping.set()

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Claim and run jobs until ``stop()``; then wind down gracefully."""
        logger.info("worker pool %s started with %d slots", self.owner, self.settings.slots)
        await self._take_over_dead_leases()
        async with anyio.create_task_group() as tg:
            task_status.started()
            enqueued = False
            while not self._stopping.is_set():
                # After an in-process enqueue, or a claim that filled every free slot, a
                # job is surely (or likely) due: skip the look.
                claimed = await self._claim_batch(look_first=not (enqueued or self._more_due))
                for job in claimed:
                    tg.start_soon(self._run_job, job)
                if claimed and self._busy < self.settings.slots:
                    enqueued = False
                    continue  # more may be due right now
                enqueued = await self._idle()
            await self._drain()
        logger.info("worker pool %s stopped", self.owner)

    async def run_until_idle(self) -> None:
        """Run every job that is due now (and what falls due meanwhile), then return."""
        async with anyio.create_task_group() as tg:
            while True:
                claimed = await self._claim_batch(look_first=not self._more_due)
                for job in claimed:
                    tg.start_soon(self._run_job, job)
                if not claimed and self._busy == 0:
                    return
                if not claimed:
                    await self._wait_slot(self.settings.poll_interval_s)

    async def _take_over_dead_leases(self) -> None:
        """Free at once the jobs a dead process on this host held (not a lease later)."""
        try:
            taken = await self.store.take_over_dead(owners.host_name(), owners.dead_here)
        except Exception as exc:  # their leases expire instead
            logger.warning("looking for leases of dead processes failed: %s", exc)
            return
        if taken:
            logger.info("taking over %d job(s) of a dead process on this host", len(taken))

    async def _claim_batch(self, *, look_first: bool = True) -> list[Job]:
        free = self.settings.slots - self._busy
        if free <= 0:
            return []
        try:
            jobs = await self.store.claim(
                self.owner,
                limit=free,
                lease_s=self.runner.settings.lease_s,
                look_first=look_first,
            )
        except DatabaseError as exc:
            logger.warning("claiming jobs failed (%s); retrying shortly", exc)
            return []
        except Exception:
            logger.exception("claiming jobs failed; retrying shortly")
            return []
        self._busy += len(jobs)
        self._more_due = len(jobs) == free
        return jobs

    async def _idle(self) -> bool:
        """Sleep until a job is enqueued here, a slot frees, the next job is due, or stop.

        Returns whether an in-process enqueue woke it.
        """
        timeout = self.settings.poll_interval_s
        if self._busy < self.settings.slots:
            try:
                due = await self.store.next_due_at()
            except Exception:
                due = None
            if due is not None:
                timeout = min(timeout, max(0.0, due - self.store.clock.now()))
        if timeout <= 0:
            return False
        woken_by: list[str] = []
        with anyio.move_on_after(timeout):
            async with anyio.create_task_group() as tg:

                async def first(reason: str, waiter: Callable[[], Awaitable[object]]) -> None:
                    await waiter()
                    woken_by.append(reason)
                    tg.cancel_scope.cancel()

                tg.start_soon(first, "stop", self._stopping.wait)
                if self._busy < self.settings.slots:
                    # The outer timeout ends the wait; this one only backs it up.
                    waiter = partial(self.store.signals.wait_enqueued, timeout + 1)
                    tg.start_soon(first, "enqueued", waiter)
                else:
                    tg.start_soon(first, "slot", self._slot_freed.wait)
        return woken_by[:1] == ["enqueued"]

    async def _wait_slot(self, timeout_s: float) -> None:
        with anyio.move_on_after(timeout_s):
            await self._slot_freed.wait()

    async def _run_job(self, job: Job) -> None:
        scope = anyio.CancelScope()
        self._in_flight[job.id] = scope
        freed = False

        def free_slot() -> None:
            # Once the step has ended, only its outcome's write is left: the slot is free
            # for the next claim, which then joins that write's commit (group commit).
            nonlocal freed
            if not freed:
                freed = True
                self._busy -= 1
                self._slot_freed.set()
                self._slot_freed = anyio.Event()

        try:
            with scope:
                try:
                    await self.runner.run(job, step_done=free_slot)
                except DatabaseError as exc:
                    logger.warning("job %s: %s; it resumes once its lease expires", job.id, exc)
                except Exception:
                    # One job's failed write (say, "database is locked") must not stop the
                    # pool: its lease expires and it is claimed again.
                    logger.exception("job %s: recording its step failed", job.id)
            if scope.cancelled_caught:
                await self._release(job)
        finally:
            self._in_flight.pop(job.id, None)
            free_slot()

    async def _release(self, job: Job) -> None:
        with anyio.CancelScope(shield=True):
            try:
                await self.store.release(job.id, self.owner)
                logger.info("job %s released for another worker", job.id)
            except Exception as exc:  # its lease will expire instead
                logger.warning("job %s not released (%s); its lease will expire", job.id, exc)

    async def _drain(self) -> None:
        """Give running steps the grace period, then cancel and release them."""
        if not self._in_flight:
            return
        logger.info(
            "waiting up to %.0fs for %d running job(s)",
            self.settings.shutdown_grace_s,
            len(self._in_flight),
        )
        with anyio.move_on_after(self.settings.shutdown_grace_s):
            while self._in_flight:
                await self._wait_slot(0.1)
        for scope in list(self._in_flight.values()):
            scope.cancel()
