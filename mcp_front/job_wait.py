"""The shared path of every mutating tool: enqueue a job, wait a short budget, answer."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from jobs.errors import JobNotFound
from jobs.models import JSON, Job
from jobs.states import ACTIVE_STATES, JobState
from mcp_front import envelope
from mcp_front.errors import ToolInputError
from mcp_front.job_view import job_detail, job_summary
from mcp_front.mcp_logging import JobLog
from mcp_front.principal import caller, sees
from mcp_front.runtime import Runtime
from workers.steps import Operation, P

_STATES = frozenset(state.value for state in JobState)
# Fallback poll for jobs another process runs; in-process changes wake us at once.
_POLL_S = 0.5
# How long a cancel waits for a worker to stop the job and word what exists.
CANCEL_WAIT_S = 5.0
REQUEST_ID = "request_id"
"""The optional argument of every job tool that names the call's idempotency key."""


@dataclass(slots=True)
class Submission:
    """One tool call's dealings with the job store: its key, whether to wait, its job."""

    request_id: str | None = None
    # Over HTTP, the bearer principal the job (and its task) belongs to.
    principal: str | None = None
    # The tasks layer follows the job itself: answer as soon as the job row is committed.
    defer: bool = False
    task_ttl_s: float | None = None
    job: Job | None = None


_SUBMISSION: ContextVar[Submission | None] = ContextVar("submission", default=None)


@contextmanager
def submission_scope(*, defer: bool = False) -> Iterator[Submission]:
    """Open the submission of this tool call, or join the one the tasks layer opened."""
    current = _SUBMISSION.get()
    if current is not None:
        yield current
        return
    submission = Submission(defer=defer)
    token = _SUBMISSION.set(submission)
    try:
        yield submission
    finally:
        _SUBMISSION.reset(token)


def idempotency_key(runtime: Runtime, operation: str, params: JSON, submission: Submission) -> str:
    """The job's key: the client's ``request_id``, else the operation's equality key; each
    principal has its own keys."""
    scope = f"{submission.principal}:" if submission.principal else ""
    if submission.request_id is not None:
        return f"request:{scope}{operation}:{submission.request_id}"
    return scope + runtime.registry.equality_key(operation, params)


async def submit_and_wait(
    runtime: Runtime,
    ctx: Context | None,
    operation: Operation[P],
    params: P,
    *,
    budget_s: float | None = None,
    own_files: Sequence[Path] = (),
) -> CallToolResult:
    """Enqueue ``operation`` over ``params`` (or join the equal active job) and answer inline
    if it ends within the budget, else the job id.

    ``own_files`` are files this call wrote for a new job (a generated password): removed
    when another job answers instead, or when the call fails before any job.

    Raises UnknownOperation when this server does not run it.
    """
    runtime.registry.get(operation.name)
    payload: JSON = params.model_dump(mode="json")
    submission = _SUBMISSION.get() or Submission()
    try:
        job, created, rejoined = await _job_for(runtime, operation, payload, submission)
    except BaseException:
        _discard(own_files)
        raise
    if not created:
        _discard(own_files)
    submission.job = job
    if submission.defer:
        return job_outcome(runtime, job)
    if rejoined:
        ago = runtime.store.clock.now() - (job.finished_at or job.created_at)
        return envelope.with_fields(
            job_outcome(runtime, job),
            note=(
                f"an equal call's job succeeded {ago:.0f} s ago: this is its answer, and "
                "nothing new was made. To make another, give it another name."
            ),
        )
    budget = runtime.settings.wait_budget_s if budget_s is None else budget_s
    job = await wait_for_job(runtime, ctx, job, budget)
    return job_outcome(runtime, job)


async def _job_for(
    runtime: Runtime, operation: Operation[P], payload: JSON, submission: Submission
) -> tuple[Job, bool, bool]:
    """The job of this call, whether this call created it, and whether it is an ended job
    answering again.

    That is the job its ``request_id`` names; else an equal job still active, however it was
    keyed (a model that makes up a new request_id on each retry still gets it); else a new
    one, unless an equal create succeeded lately and what it made is still there.

    Raises RequestIdReused for a request_id already naming a call with other arguments.
    """
    key = idempotency_key(runtime, operation.name, payload, submission)
    if submission.request_id is not None:
        named = await runtime.store.find_by_key(key)
        if named is not None:
            if operation.asked(named.params) != operation.asked(payload):
                raise RequestIdReused(submission.request_id, operation, named, payload)
            return named, False, False
    equal = await _equal_active_job(runtime, operation.name, payload, submission.principal)
    if equal is not None:
        return equal, False, False
    # A derived key only joins an active job; a client's own key names one job for good.
    rejoin_s = operation.rejoin_succeeded_s if operation.traces else 0.0
    while True:
        job, created = await runtime.store.enqueue(
            operation.name,
            payload,
            idempotency_key=key,
            reuse_finished=submission.request_id is not None,
            reuse_succeeded_within_s=rejoin_s,
            principal=submission.principal,
            task_ttl_s=submission.task_ttl_s,
        )
        if (
            not created
            and submission.request_id is not None
            and operation.asked(job.params) != operation.asked(payload)
        ):
            raise RequestIdReused(submission.request_id, operation, job, payload)
        rejoined = not created and job.state.is_terminal and submission.request_id is None
        # A create rejoins a success only while what it made is still there: create, delete,
        # create again is a new resource.
        if not rejoined or await runtime.pool.runner.still_there(job):
            return job, created, rejoined
        rejoin_s = 0.0


def _discard(files: Sequence[Path]) -> None:
    for file in files:
        file.unlink(missing_ok=True)


# Active jobs of one operation looked at for an equal one: more at once is not a retry.
_EQUAL_SCAN_LIMIT = 100


async def _equal_active_job(
    runtime: Runtime, operation: str, payload: JSON, principal: str | None
) -> Job | None:
    """An active job of ``operation`` by the same principal equal to ``payload`` (its
    ``Operation.identity``), whatever key it was enqueued under."""
    wanted = runtime.registry.equality_key(operation, payload)
    page = await runtime.store.list_jobs(
        states=ACTIVE_STATES,
        operation=operation,
        limit=_EQUAL_SCAN_LIMIT,
        of_principal=True,
        principal=principal,
    )
    for job in page.jobs:
        if runtime.registry.equality_key(operation, job.params) == wanted:
            return job
    return None


class RequestIdReused(ToolInputError):
    """A ``request_id`` already names a job of the same operation with other arguments."""

    def __init__(self, request_id: str, operation: Operation[Any], job: Job, params: JSON) -> None:
        # Names only: the values may hold a password.
        before, now = operation.asked(job.params), operation.asked(params)
        differing = sorted(name for name in {*before, *now} if before.get(name) != now.get(name))
        super().__init__(
            REQUEST_ID,
            f"{request_id!r} already names job {job.id} ({job.operation}, "
            f"{job.state.value}), whose arguments differ in: {', '.join(differing)}. Repeat "
            f"that call's arguments to follow its job, or use a new request_id for a new one.",
        )


async def wait_for_job(runtime: Runtime, ctx: Context | None, job: Job, budget_s: float) -> Job:
    """Follow ``job`` for up to ``budget_s``, sending progress notifications as it moves."""
    deadline = time.monotonic() + budget_s
    reporter, log = _ProgressReporter(ctx), JobLog(ctx)
    while True:
        job = await runtime.store.get(job.id)
        await reporter.report(job, runtime.store.clock.now())
        await log.moved(job)
        remaining = deadline - time.monotonic()
        if job.state.is_terminal or remaining <= 0:
            return job
        await runtime.store.signals.wait_job_changed(job.id, min(remaining, _POLL_S))


async def find_job(runtime: Runtime, job_id: str) -> Job:
    """The job ``job_id`` if the caller may see it (JobNotFound otherwise, as for an unknown
    id: another principal's job ids are not confirmed)."""
    job = await runtime.store.get(job_id)
    if not sees(job.principal, caller()):
        raise JobNotFound(job_id)
    return job


async def cancel_and_settle(runtime: Runtime, ctx: Context | None, job_id: str) -> Job:
    """Cancel a job and give a worker a moment to stop it and word what exists.

    Raises JobNotFound for an unknown id.
    """
    job = await runtime.store.request_cancel(job_id, via_worker=True)
    if not job.state.is_terminal:
        # A worker stops it at its next step boundary; give it a moment to get there.
        job = await wait_for_job(runtime, ctx, job, CANCEL_WAIT_S)
    if job.state in (JobState.QUEUED, JobState.WAITING):
        # No worker came (all busy, or none running): cancel it here and now, saying what
        # exists as the worker would have (looked up by the job's tag).
        left = await runtime.pool.runner.what_exists(job) if job.started_at else None
        job = await runtime.store.request_cancel(job_id, result=left)
    return job


def job_outcome(runtime: Runtime, job: Job) -> CallToolResult:
    """The envelope for a job: its result, its failure, or how to follow it."""
    now = runtime.store.clock.now()
    source = runtime.source
    if job.state is JobState.SUCCEEDED:
        return envelope.success(job.result, job=job_summary(job, now), source=source)
    if job.state is JobState.FAILED:
        return envelope.error(
            f"{job.operation} failed: {job.error}", details={"job": job_detail(job, now)}
        )
    if job.state is JobState.CANCELLED:
        return envelope.success(
            {"cancelled": True, "what_exists": job.result},
            job=job_summary(job, now),
            source=source,
        )
    return envelope.success(
        {
            "job_id": job.id,
            "state": job.state.value,
            "progress": job.progress.message or job.progress.phase,
            "hint": f"still running; call get_job_status with job_id {job.id} to follow it",
        },
        job=job_summary(job, now),
        source=source,
    )


class _ProgressReporter:
    """Sends an MCP progress notification whenever the job's progress changes."""

    def __init__(self, ctx: Context | None) -> None:
        self._ctx = ctx
        self._last: tuple[str, str, str] | None = None
        self._value = 0.0

    async def report(self, job: Job, now: float) -> None:
        if self._ctx is None:
            return
        key = (job.state.value, job.progress.phase, job.progress.message)
        if key == self._last:
            return
        self._last = key
        # Progress must only grow, to 100 when the job ends: the fraction when the operation
        # knows it, else a small step; one decimal, no float noise.
        cap = 100.0 if job.state.is_terminal else 99.0
        target = (job.progress.fraction or 0.0) * 100
        value = round(min(cap, max(self._value + 0.1, target)), 1)
        if value <= self._value:
            return
        self._value = value
        elapsed = max(0.0, now - job.created_at)
        text = job.progress.message or job.progress.phase
        label = f"{job.state.value}: {text}" if text and text not in _STATES else job.state.value
        try:
            await self._ctx.report_progress(self._value, 100.0, f"{label} ({elapsed:.0f}s)")
        except Exception:  # a client that went away must not fail the tool
            self._ctx = None
