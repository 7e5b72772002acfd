"""The shared path of every mutating tool: enqueue a job, wait a short budget, answer."""

from __future__ import annotations

import time

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from jobs.models import Job
from jobs.states import JobState
from mcp_front import envelope
from mcp_front.job_view import job_detail, job_summary
from mcp_front.mcp_logging import JobLog
from mcp_front.runtime import Runtime
from workers.steps import Operation, P

_STATES = frozenset(state.value for state in JobState)
# Fallback poll for jobs another process runs; in-process changes wake us at once.
_POLL_S = 0.5


async def submit_and_wait(
    runtime: Runtime,
    ctx: Context | None,
    operation: Operation[P],
    params: P,
    *,
    idempotency_key: str | None = None,
    budget_s: float | None = None,
) -> CallToolResult:
    """Enqueue ``operation`` over ``params`` and answer inline if it ends within the budget.

    A slow job answers with its id. Raises UnknownOperation when this server does not run it.
    """
    runtime.registry.get(operation.name)
    job, _ = await runtime.store.enqueue(
        operation.name, params.model_dump(mode="json"), idempotency_key=idempotency_key
    )
    budget = runtime.settings.wait_budget_s if budget_s is None else budget_s
    job = await wait_for_job(runtime, ctx, job, budget)
    return job_outcome(runtime, job)


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
