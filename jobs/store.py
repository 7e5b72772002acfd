"""The job store: every read and write of the job and event tables.

Writers that act on a running job pass their worker id; a write whose lease was lost raises
LeaseLost, so a worker that stalled past its lease can never overwrite the new owner's work.
Every state change writes its event in the same transaction.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from jobs.clock import Clock, SystemClock
from jobs.cursors import decode_cursor, encode_cursor
from jobs.database import Database
from jobs.errors import InvalidTransition, JobError, JobNotFound, LeaseLost
from jobs.models import JSON, Job, JobEvent, JobPage, Progress
from jobs.prepared import ANY_DUE, CLAIM, NEXT_ATTEMPT, NEXT_EVENT_SEQ, OwnedUpdates
from jobs.schema import job_events_table as events_t
from jobs.schema import jobs_table as jobs_t
from jobs.signals import Signals
from jobs.states import JobState, check_transition

_MAX_EVENT_MESSAGE = 2000
# A job that leaves the running state gives its lease up.
_UNLEASED: JSON = {"lease_owner": None, "lease_expires_at": None}


def _logged(kind: Any, message: str) -> JSON:
    """Column values that make the jobs trigger append an event (see migration 0002)."""
    return {
        "event_seq": NEXT_EVENT_SEQ,
        "event_kind": kind,
        "event_message": message[:_MAX_EVENT_MESSAGE],
    }


DEFAULT_MAX_ATTEMPTS = 5
MAX_PAGE_SIZE = 100


def new_job_id() -> str:
    """A fresh job id: 128 random bits in UUID text form (it doubles as an MCP task id)."""
    return str(uuid.UUID(bytes=secrets.token_bytes(16)))


def _row_to_job(row: Any) -> Job:
    m = row._mapping
    return Job(
        id=m["id"],
        operation=m["operation"],
        params=m["params"] or {},
        state=JobState(m["state"]),
        attempts=m["attempts"],
        max_attempts=m["max_attempts"],
        run_after_at=m["run_after_at"],
        lease_owner=m["lease_owner"],
        lease_expires_at=m["lease_expires_at"],
        checkpoint=m["checkpoint"] or {},
        progress=Progress.from_json(m["progress"]),
        result=m["result"],
        error=m["error"],
        cancel_requested=bool(m["cancel_requested"]),
        idempotency_key=m["idempotency_key"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        principal=m["principal"],
        task_ttl_s=m["task_ttl_s"],
        parent_id=m["parent_id"],
    )


class JobStore:
    """Durable jobs over one database."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.signals = Signals()
        # Built once per dialect: compiling a statement per call costs more than running it.
        self._inserts: dict[str, Any] = {}
        self._owned_updates = OwnedUpdates()

    # -- creating -----------------------------------------------------------------------

    async def enqueue(
        self,
        operation: str,
        params: JSON,
        *,
        idempotency_key: str | None = None,
        reuse_finished: bool = True,
        reuse_succeeded_within_s: float = 0.0,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        run_after_at: float | None = None,
        principal: str | None = None,
        task_ttl_s: float | None = None,
        parent_id: str | None = None,
    ) -> tuple[Job, bool]:
        """Add a queued job; with a known idempotency key, return that job instead.

        With ``reuse_finished`` false the key only joins an active job, or a job that
        succeeded less than ``reuse_succeeded_within_s`` ago: any other finished job with the
        key gives it up and a new job takes it. Returns the job and whether it was created by
        this call.
        """
        now = self.clock.now()
        job_id = new_job_id()
        values: JSON = {
            "id": job_id,
            "operation": operation,
            "params": params,
            "state": JobState.QUEUED.value,
            "attempts": 0,
            "max_attempts": max_attempts,
            "run_after_at": run_after_at if run_after_at is not None else now,
            **_UNLEASED,
            "checkpoint": {},
            "progress": Progress(phase="queued").to_json(),
            "result": None,
            "error": None,
            "cancel_requested": False,
            "idempotency_key": idempotency_key,
            "created_at": now,
            "updated_at": now,
            "started_at": None,
            "finished_at": None,
            "event_seq": 0,
            "event_kind": None,
            "event_message": None,
            "principal": principal,
            "task_ttl_s": task_ttl_s,
            "parent_id": parent_id,
        }
        if idempotency_key is not None:
            existing = await self._find_by_key(idempotency_key)
            if existing is not None and (
                reuse_finished
                or not existing.state.is_terminal
                or _succeeded_since(existing, now - reuse_succeeded_within_s)
            ):
                return existing, False
            if existing is not None:
                await self._release_key(existing.id, idempotency_key)

        def insert(conn: Connection) -> int:
            # The insert trigger records the "enqueued" event. A key another writer (maybe
            # another process) took since the look-up inserts nothing, and fails nothing:
            # an error would spoil the transaction this write shares (group commit).
            return conn.execute(self._insert_job(conn.dialect.name), values).rowcount

        if await self.db.run(insert) != 1:
            existing = await self._find_by_key(idempotency_key or "")
            if existing is None:
                raise JobError(f"job with idempotency key {idempotency_key!r} vanished")
            return existing, False
        self.signals.enqueued()
        return _row_to_job(_Values(values)), True

    def _insert_job(self, dialect: str) -> Any:
        """INSERT … ON CONFLICT (idempotency_key) DO NOTHING in that dialect."""
        statement = self._inserts.get(dialect)
        if statement is None:
            make = postgresql_insert if dialect == "postgresql" else sqlite_insert
            statement = make(jobs_t).on_conflict_do_nothing(index_elements=["idempotency_key"])
            self._inserts[dialect] = statement
        return statement

    async def _release_key(self, job_id: str, key: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                update(jobs_t)
                .where(jobs_t.c.id == job_id, jobs_t.c.idempotency_key == key)
                .values(idempotency_key=None)
            )

    async def find_by_key(self, key: str) -> Job | None:
        """The job holding idempotency key ``key``, if any."""
        return await self._find_by_key(key)

    async def _find_by_key(self, key: str) -> Job | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(select(jobs_t).where(jobs_t.c.idempotency_key == key))
            ).first()
        return _row_to_job(row) if row else None

    # -- claiming and running -------------------------------------------------------------

    async def claim(
        self, owner: str, *, limit: int, lease_s: float, look_first: bool = True
    ) -> list[Job]:
        """Atomically take up to ``limit`` due jobs for ``owner``, oldest due first.

        Due means queued or waiting with ``run_after_at`` passed, or running with an expired
        lease (its worker died). One UPDATE picks and takes them, so no other worker or
        process can take the same job; its sub-select carries FOR UPDATE SKIP LOCKED, which
        PostgreSQL honours and SQLite (one writer at a time) does not need. With
        ``look_first`` a cheap read checks that anything is due before taking the write lock
        (idle polls); a caller that knows a job was just enqueued skips it.
        """
        if limit <= 0:
            return []
        now = self.clock.now()
        if look_first:
            async with self.db.read() as conn:
                if (await conn.execute(ANY_DUE, {"now": now})).first() is None:
                    return []

        def take(conn: Connection) -> list[Job]:
            # Due and leased as of when the write runs, not when it queued.
            at = self.clock.now()
            params = {
                "now": at,
                "limit": limit,
                "owner": owner,
                "lease_expires_at": at + lease_s,
                "event_message": f"claimed by {owner}",
            }
            return [_row_to_job(r) for r in conn.execute(CLAIM, params)]

        return await self.db.run(take)

    async def take_over_dead(self, host: str, is_dead: Callable[[str], bool]) -> list[str]:
        """End now the leases that dead processes of ``host`` hold; the ids of their jobs.

        ``is_dead(owner)`` judges each running job's owner on that host. The jobs become
        claimable at once (a claim counts the attempt, as after an expired lease).
        """
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(jobs_t.c.id, jobs_t.c.lease_owner).where(
                        jobs_t.c.state == JobState.RUNNING.value,
                        jobs_t.c.lease_owner.startswith(f"{host}:", autoescape=True),
                    )
                )
            ).all()
        dead = [(row.id, row.lease_owner) for row in rows if is_dead(row.lease_owner)]
        if not dead:
            return []
        now = self.clock.now()
        taken = []
        async with self.db.write() as conn:
            for job_id, owner in dead:
                ended = await conn.execute(
                    update(jobs_t).where(self._owned(job_id, owner)).values(lease_expires_at=now)
                )
                if ended.rowcount == 1:
                    taken.append(job_id)
        if taken:
            self.signals.enqueued()
        return taken

    async def heartbeat(self, job_id: str, owner: str, *, lease_s: float) -> bool:
        """Extend the lease; returns whether cancellation has been requested."""
        statement, params = self._owned_updates.bind(
            job_id,
            owner,
            {"lease_expires_at": 0.0, "updated_at": 0.0},
            returning=("cancel_requested",),
        )

        def extend(conn: Connection) -> Any:
            # The lease runs from when the write runs, not from when it queued: a fence
            # (workers.fencing) then holds nearly the whole lease when it returns.
            now = self.clock.now()
            params["v_lease_expires_at"], params["v_updated_at"] = now + lease_s, now
            return conn.execute(statement, params).first()

        row = await self.db.run(extend)
        if row is None:
            raise LeaseLost(f"job {job_id} is no longer leased to {owner}")
        return bool(row.cancel_requested)

    async def checkpoint(
        self, job_id: str, owner: str, checkpoint: JSON, *, progress: Progress | None = None
    ) -> None:
        """Durably record what the running job has done so far."""
        values: JSON = {"checkpoint": checkpoint, "updated_at": self.clock.now()}
        if progress is not None:
            values["progress"] = progress.to_json()
            if progress.message:
                values.update(_logged("progress", progress.message))
        await self.db.run(self._update_owned(job_id, owner, values))
        self.signals.job_changed(job_id)

    async def set_progress(self, job_id: str, owner: str, progress: Progress) -> None:
        """Record progress of a running job without a state change."""
        now = self.clock.now()
        values = {
            "progress": progress.to_json(),
            "updated_at": now,
            **_logged("progress", progress.message),
        }
        await self.db.run(self._update_owned(job_id, owner, values))
        self.signals.job_changed(job_id)

    async def park(
        self,
        job_id: str,
        owner: str,
        *,
        run_after_at: float,
        checkpoint: JSON,
        progress: Progress,
    ) -> bool:
        """Park a running job until ``run_after_at``; it holds no worker meanwhile.

        Returns False, changing nothing, when a cancel was requested: the caller then
        cancels the job at this step boundary instead.
        """
        values = {
            "run_after_at": run_after_at,
            "checkpoint": checkpoint,
            "progress": progress.to_json(),
            **_UNLEASED,
            "state": JobState.WAITING.value,
            "updated_at": self.clock.now(),
            **_logged("waiting", progress.message),
        }
        statement, params = self._owned_updates.bind(
            job_id, owner, values, unless_cancel_requested=True
        )

        def park_unless_cancelled(conn: Connection) -> bool:
            if conn.execute(statement, params).rowcount == 1:
                return True
            row = conn.execute(select(jobs_t).where(jobs_t.c.id == job_id)).first()
            if row is None:
                raise JobNotFound(job_id)
            if row.state != JobState.RUNNING.value or row.lease_owner != owner:
                raise LeaseLost(f"job {job_id} is no longer leased to {owner}")
            return False

        if not await self.db.run(park_unless_cancelled):
            return False
        self.signals.job_changed(job_id)
        self.signals.enqueued()
        return True

    async def retry_later(
        self, job_id: str, owner: str, *, run_after_at: float, error: str, checkpoint: JSON
    ) -> None:
        """Count a failed attempt and park the job until its next try."""
        await self._transition(
            job_id,
            owner,
            JobState.WAITING,
            {
                "run_after_at": run_after_at,
                "checkpoint": checkpoint,
                "error": error,
                "attempts": NEXT_ATTEMPT,
                **_UNLEASED,
            },
            kind="retry",
            message=error,
        )

    async def release(self, job_id: str, owner: str) -> None:
        """Hand a running job back to the queue (graceful shutdown)."""
        await self._transition(
            job_id,
            owner,
            JobState.QUEUED,
            {**_UNLEASED, "run_after_at": self.clock.now()},
            kind="released",
            message=f"released by {owner}",
        )

    async def finish(self, job_id: str, owner: str, result: JSON, *, checkpoint: JSON) -> None:
        """Mark the job succeeded with its result."""
        await self._finish(job_id, owner, JobState.SUCCEEDED, result=result, checkpoint=checkpoint)

    async def fail(
        self, job_id: str, owner: str, error: str, *, checkpoint: JSON, result: JSON | None = None
    ) -> None:
        """Mark the job failed with a message fit for users."""
        await self._finish(
            job_id, owner, JobState.FAILED, result=result, error=error, checkpoint=checkpoint
        )

    async def mark_cancelled(
        self, job_id: str, owner: str, result: JSON | None, *, checkpoint: JSON
    ) -> None:
        """Mark a running job cancelled at a step boundary; ``result`` names what exists."""
        await self._finish(job_id, owner, JobState.CANCELLED, result=result, checkpoint=checkpoint)

    async def _finish(
        self,
        job_id: str,
        owner: str,
        state: JobState,
        *,
        result: JSON | None,
        checkpoint: JSON,
        error: str | None = None,
    ) -> None:
        values: JSON = {
            "result": result,
            "checkpoint": checkpoint,
            "finished_at": self.clock.now(),
            **_UNLEASED,
            "progress": Progress(phase=state.value, message="", fraction=1.0).to_json()
            if state is JobState.SUCCEEDED
            else None,
        }
        if values["progress"] is None:
            del values["progress"]
        # A success clears the error of an earlier, retried attempt.
        if error is not None or state is JobState.SUCCEEDED:
            values["error"] = error
        await self._transition(job_id, owner, state, values, kind=state.value, message=error or "")

    # -- steering -------------------------------------------------------------------------

    async def request_cancel(
        self, job_id: str, *, via_worker: bool = False, result: JSON | None = None
    ) -> Job:
        """Cancel a queued or waiting job now; flag a running one for its next step boundary.

        With ``via_worker``, a parked job that has started (and so may have created something,
        even with nothing in its checkpoint) is flagged and made due instead, so that a worker
        cancels it within moments and its operation words the result (what exists and what to
        do about it). ``result``: what exists, for a job cancelled here and now.
        """
        now = self.clock.now()
        async with self.db.write() as conn:
            job = await self._get(conn, job_id)
            started = bool(job.checkpoint) or job.started_at is not None
            if via_worker and started and not job.state.is_terminal:
                flagged = await conn.execute(
                    update(jobs_t)
                    .where(
                        jobs_t.c.id == job_id,
                        jobs_t.c.state.in_([JobState.QUEUED.value, JobState.WAITING.value]),
                    )
                    .values(
                        cancel_requested=True,
                        run_after_at=now,
                        updated_at=now,
                        **_logged("cancel_requested", "a worker stops it now"),
                    )
                )
                if flagged.rowcount == 1:
                    job = await self._get(conn, job_id)
                    self.signals.enqueued()
                    self.signals.job_changed(job_id)
                    return job
            # Each UPDATE re-checks the state it acts on, so a claim by another process
            # between the read and the write turns the cancel into a flag, never a
            # "cancelled" row under a running worker.
            parked = await conn.execute(
                update(jobs_t)
                .where(
                    jobs_t.c.id == job_id,
                    jobs_t.c.state.in_([JobState.QUEUED.value, JobState.WAITING.value]),
                )
                .values(
                    state=JobState.CANCELLED.value,
                    cancel_requested=True,
                    finished_at=now,
                    updated_at=now,
                    # Whatever the job already did (e.g. a created resource's id) stays
                    # visible in the result: a cancel never hides a half-made resource.
                    result=result
                    if result is not None
                    else ({"checkpoint": job.checkpoint} if job.checkpoint else None),
                    **_logged("cancelled", "by request"),
                )
            )
            if parked.rowcount != 1:
                running = await conn.execute(
                    update(jobs_t)
                    .where(jobs_t.c.id == job_id, jobs_t.c.state == JobState.RUNNING.value)
                    .values(
                        cancel_requested=True,
                        updated_at=now,
                        **_logged("cancel_requested", "stops at its next step"),
                    )
                )
                if running.rowcount != 1:
                    job = await self._get(conn, job_id)
                    raise InvalidTransition(
                        f"job {job_id} already {job.state.value}; only queued, waiting or "
                        "running jobs can be cancelled"
                    )
            job = await self._get(conn, job_id)
        self.signals.job_changed(job_id)
        return job

    async def wake(self, job_id: str) -> None:
        """Make a waiting job due now (a batch whose child just ended); else change nothing."""
        now = self.clock.now()
        statement = (
            update(jobs_t)
            .where(
                jobs_t.c.id == job_id,
                jobs_t.c.state == JobState.WAITING.value,
                jobs_t.c.run_after_at > now,
            )
            .values(run_after_at=now)
        )
        # A write body like the other hot writes: it shares the group commit of the child's
        # finish that called for it.
        if await self.db.run(lambda conn: conn.execute(statement).rowcount) == 1:
            self.signals.enqueued()

    # -- reading --------------------------------------------------------------------------

    async def children(self, parent_id: str) -> list[Job]:
        """The jobs ``parent_id`` enqueued, oldest first."""
        query = (
            select(jobs_t)
            .where(jobs_t.c.parent_id == parent_id)
            .order_by(jobs_t.c.created_at, jobs_t.c.id)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [_row_to_job(r) for r in rows]

    async def get(self, job_id: str) -> Job:
        """The job with that id; JobNotFound otherwise."""
        async with self.db.read() as conn:
            return await self._get(conn, job_id)

    async def list_jobs(
        self,
        *,
        states: Collection[JobState] = (),
        operation: str | None = None,
        created_after: float | None = None,
        created_before: float | None = None,
        limit: int = 20,
        cursor: str | None = None,
        of_principal: bool = False,
        principal: str | None = None,
        parent_id: str | None = None,
    ) -> JobPage:
        """Jobs newest first, filtered, one page at a time (``of_principal``: only the jobs
        of ``principal``, where None is the jobs of no principal; ``parent_id``: only the
        children of that batch job)."""
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        query = select(jobs_t)
        if of_principal:
            query = query.where(
                jobs_t.c.principal.is_(None)
                if principal is None
                else jobs_t.c.principal == principal
            )
        if states:
            query = query.where(jobs_t.c.state.in_([s.value for s in states]))
        if operation:
            query = query.where(jobs_t.c.operation == operation)
        if parent_id:
            query = query.where(jobs_t.c.parent_id == parent_id)
        if created_after is not None:
            query = query.where(jobs_t.c.created_at >= created_after)
        if created_before is not None:
            query = query.where(jobs_t.c.created_at < created_before)
        if cursor:
            created, last_id = decode_cursor(cursor)
            query = query.where(
                or_(
                    jobs_t.c.created_at < created,
                    and_(jobs_t.c.created_at == created, jobs_t.c.id < last_id),
                )
            )
        query = query.order_by(jobs_t.c.created_at.desc(), jobs_t.c.id.desc()).limit(limit + 1)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        jobs = [_row_to_job(r) for r in rows[:limit]]
        next_cursor = encode_cursor(jobs[-1].created_at, jobs[-1].id) if len(rows) > limit else None
        return JobPage(jobs=jobs, next_cursor=next_cursor)

    async def events(self, job_id: str, *, limit: int = 10) -> list[JobEvent]:
        """The job's latest events, oldest first."""
        query = (
            select(events_t)
            .where(events_t.c.job_id == job_id)
            .order_by(events_t.c.id.desc())
            .limit(limit)
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [
            JobEvent(
                job_id=r.job_id,
                at=r.at,
                kind=r.kind,
                state=JobState(r.state) if r.state else None,
                message=r.message,
            )
            for r in reversed(rows)
        ]

    async def next_due_at(self) -> float | None:
        """When the next queued or waiting job falls due, or a running lease expires."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(
                        func.min(jobs_t.c.run_after_at).filter(
                            jobs_t.c.state.in_([JobState.QUEUED.value, JobState.WAITING.value])
                        ),
                        func.min(jobs_t.c.lease_expires_at).filter(
                            jobs_t.c.state == JobState.RUNNING.value
                        ),
                    )
                )
            ).one()
        candidates = [v for v in row if v is not None]
        return min(candidates) if candidates else None

    async def count_by_state(self) -> dict[JobState, int]:
        """How many jobs are in each state."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(select(jobs_t.c.state, func.count()).group_by(jobs_t.c.state))
            ).all()
        return {JobState(state): count for state, count in rows}

    # -- internals ------------------------------------------------------------------------

    @staticmethod
    def _owned(job_id: str, owner: str) -> Any:
        return and_(
            jobs_t.c.id == job_id,
            jobs_t.c.lease_owner == owner,
            jobs_t.c.state == JobState.RUNNING.value,
        )

    async def _get(self, conn: AsyncConnection, job_id: str) -> Job:
        row = (await conn.execute(select(jobs_t).where(jobs_t.c.id == job_id))).first()
        if row is None:
            raise JobNotFound(job_id)
        return _row_to_job(row)

    def _update_owned(self, job_id: str, owner: str, values: JSON) -> Callable[[Connection], None]:
        """A write body: the update of a job this owner runs; LeaseLost (nothing written)
        when it no longer does."""
        statement, params = self._owned_updates.bind(job_id, owner, values)

        def update_owned(conn: Connection) -> None:
            if conn.execute(statement, params).rowcount != 1:
                raise LeaseLost(f"job {job_id} is no longer leased to {owner}")

        return update_owned

    async def _transition(
        self,
        job_id: str,
        owner: str,
        target: JobState,
        values: JSON,
        *,
        kind: str,
        message: str,
    ) -> None:
        check_transition(JobState.RUNNING, target)
        now = self.clock.now()
        values = {**values, "state": target.value, "updated_at": now, **_logged(kind, message)}
        await self.db.run(self._update_owned(job_id, owner, values))
        self.signals.job_changed(job_id)
        if target in (JobState.QUEUED, JobState.WAITING):
            self.signals.enqueued()


class _Values:
    """Adapts a dict of column values to the row interface ``_row_to_job`` reads."""

    def __init__(self, values: JSON) -> None:
        self._mapping = values


def _succeeded_since(job: Job, since: float) -> bool:
    return (
        job.state is JobState.SUCCEEDED and job.finished_at is not None and job.finished_at > since
    )
