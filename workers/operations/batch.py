"""Batches: one parent job that creates N resources through N ordinary child jobs.

The parent enqueues its children (each a job of the child operation, crash-safe on its own,
keyed by the parent's id and its index so a resumed parent never enqueues one twice), keeps
at most ``concurrency`` of them active so the API sees no burst, and waits, holding no
worker, until each has ended; every child that ends wakes it. Its progress counts the
children; its result reports each child. A batch with any child that failed or was
cancelled fails, its result still naming every child and what each created.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from jobs.models import JSON, Job, Progress
from jobs.states import ACTIVE_STATES, JobState
from workers.errors import FailedWithResult
from workers.fencing import check_lease
from workers.leftovers import Trace
from workers.polling import PollKind
from workers.steps import (
    CREATE_REJOIN_S,
    AnyOperation,
    Done,
    Operation,
    StepContext,
    StepOutcome,
    Wait,
)

MAX_CHILDREN = 50
MAX_CONCURRENCY = 10
DEFAULT_CONCURRENCY = 4
# Scalar fields of a child's result worth repeating in the batch's report.
_SUMMARY_KEYS = frozenset({"id", "name", "state", "status", "zone", "region", "bucket"})


class BatchChild(BaseModel):
    """One child: a label for people (the resource's name) and its operation's parameters."""

    label: str
    params: JSON


class CreateBatchParams(BaseModel):
    """Parameters of ``batch.create`` (every child's parameters already validated)."""

    operation: str
    tool: str = ""
    children: list[BatchChild] = Field(min_length=1, max_length=MAX_CHILDREN)
    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=1, le=MAX_CONCURRENCY)


@dataclass(frozen=True, slots=True)
class Tally:
    """How a batch's children stand: counts by outcome."""

    total: int
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    active: int = 0

    @classmethod
    def of(cls, jobs: dict[int, Job], total: int) -> Tally:
        """Count ``jobs`` (children by index) out of ``total``."""
        states = [job.state for job in jobs.values()]
        return cls(
            total=total,
            succeeded=states.count(JobState.SUCCEEDED),
            failed=states.count(JobState.FAILED),
            cancelled=states.count(JobState.CANCELLED),
            active=sum(1 for state in states if not state.is_terminal),
        )

    @property
    def ended(self) -> int:
        """Children that reached a final state."""
        return self.succeeded + self.failed + self.cancelled

    @property
    def pending(self) -> int:
        """Children not enqueued yet (waiting for a free slot)."""
        return self.total - self.ended - self.active

    @property
    def fraction(self) -> float:
        """Share of children that ended, 0..1."""
        return self.ended / self.total if self.total else 1.0

    def message(self) -> str:
        """E.g. ``"3 of 10 done, 1 failed, 4 running, 2 pending"``."""
        parts = [f"{self.succeeded} of {self.total} done"]
        for count, word in (
            (self.failed, "failed"),
            (self.cancelled, "cancelled"),
            (self.active, "running"),
            (self.pending, "pending"),
        ):
            if count:
                parts.append(f"{count} {word}")
        return ", ".join(parts)

    def as_json(self) -> JSON:
        """The counts as the batch's result shows them."""
        return {
            "total": self.total,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "running": self.active,
            "not_started": self.pending,
        }


def child_summary(result: JSON | None) -> JSON:
    """The ids, name and state of what a child created (scalars only: the report stays small)."""
    if not result:
        return {}
    return {
        key: value
        for key, value in result.items()
        if (key in _SUMMARY_KEYS or key.endswith("_id"))
        and isinstance(value, str | int | float | bool)
    }


def child_report(index: int, label: str, job: Job | None) -> JSON:
    """One child's line of the batch's report."""
    line: JSON = {"index": index, "name": label}
    if job is None:
        return {**line, "state": "not_started"}
    line.update(job_id=job.id, state=job.state.value)
    if job.state is JobState.SUCCEEDED:
        line["result"] = child_summary(job.result)
    elif job.state.is_terminal:
        if job.error:
            line["error"] = job.error
        created = (job.result or {}).get("created")
        if created:
            line["created"] = created
    else:
        line["progress"] = job.progress.message or job.progress.phase
    return line


def batch_report(params: CreateBatchParams, jobs: dict[int, Job]) -> JSON:
    """Counts and one line per child."""
    tally = Tally.of(jobs, len(params.children))
    return {
        "operation": params.operation,
        **tally.as_json(),
        "children": [
            child_report(i, child.label, jobs.get(i)) for i, child in enumerate(params.children)
        ],
    }


class CreateBatch(Operation[CreateBatchParams]):
    """Create N resources as N child jobs, at most ``concurrency`` at a time."""

    name = "batch.create"
    params_model = CreateBatchParams
    # The same children of the same operation are the same batch (whatever its concurrency).
    identity = ("operation", "children")
    # Re-issued after it succeeded, a batch answers with that batch while what its children
    # made is still there (the look-up below): nothing is made twice.
    rejoin_succeeded_s = CREATE_REJOIN_S
    traces = (Trace("child_job_id", lambda ctx: ctx.children.one_still_there()),)

    async def step(self, ctx: StepContext[CreateBatchParams]) -> StepOutcome:
        params = ctx.params
        jobs = await ctx.children.by_index()
        active = sum(1 for job in jobs.values() if not job.state.is_terminal)
        fenced = False
        for index, child in enumerate(params.children):
            if active >= params.concurrency:
                break
            if index not in jobs:
                if not fenced:  # a worker that lost this job must not enqueue past the bound
                    await check_lease()
                    fenced = True
                jobs[index] = await ctx.children.enqueue(index, params.operation, child.params)
                active += 1
        tally = Tally.of(jobs, len(params.children))
        if tally.ended < tally.total:
            return self._wait(ctx, tally)
        report = batch_report(params, jobs)
        if tally.failed or tally.cancelled:
            raise FailedWithResult(_failure(tally, report), report)
        return Done(report)

    async def leftovers(self, ctx: StepContext[CreateBatchParams]) -> JSON:
        # Each child names what it created in the batch's report.
        return {}

    def _wait(self, ctx: StepContext[CreateBatchParams], tally: Tally) -> Wait:
        polls = int(ctx.checkpoint.get("polls", 0))
        ctx.note(polls=polls + 1)
        delay = ctx.services.polling.for_kind(PollKind.BATCH).delay_s(polls)
        return Wait(delay, Progress("children", tally.message(), round(tally.fraction, 3)))

    async def on_cancel(self, ctx: StepContext[CreateBatchParams]) -> JSON | None:
        cancelled = await ctx.children.cancel_unstarted()
        report = batch_report(ctx.params, await ctx.children.by_index())
        stopped = sum(1 for job in cancelled if job.state is JobState.CANCELLED)
        running = sum(1 for line in report["children"] if line["state"] in ACTIVE_STATES)
        never = report["not_started"]
        note = (
            f"children cancelled before they started: {stopped}; never enqueued: {never}; "
            f"still running: {running}"
        )
        if running:
            note += " (they run to their end: get_job_status follows one, cancel_job stops it)"
        report["note"] = note
        return report


def _failure(tally: Tally, report: JSON) -> str:
    """The batch's error: how many children did not succeed, and the first one's error."""
    first = next(
        (line for line in report["children"] if line["state"] != JobState.SUCCEEDED.value), None
    )
    words = ", ".join(
        f"{n} {w}" for n, w in ((tally.failed, "failed"), (tally.cancelled, "cancelled")) if n
    )
    text = f"{words} of {tally.total} children ({tally.succeeded} succeeded; result.children "
    text += "reports each)"
    if first is not None and first.get("error"):
        text += f"; first: child {first['index']} ({first['name']}): {first['error']}"
    return text


CREATE_BATCH = CreateBatch()
OPERATIONS: list[AnyOperation] = [CREATE_BATCH]
