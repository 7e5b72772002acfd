"""Job views and progress notifications (issue 17, item 7): attempts, progress values."""

from __future__ import annotations

import dataclasses

import pytest

from jobs.models import Progress
from jobs.states import JobState
from jobs.store import JobStore
from mcp_front.job_view import attempts_made, job_detail, job_summary
from mcp_front.job_wait import _ProgressReporter

pytestmark = pytest.mark.anyio


async def test_attempts_count_the_current_one_but_not_a_retry_still_waiting(
    store: JobStore,
) -> None:
    job, _ = await store.enqueue("any.op", {})
    assert attempts_made(job) == 0
    started = dataclasses.replace(job, state=JobState.RUNNING, started_at=job.created_at)
    assert attempts_made(started) == 1
    retrying = dataclasses.replace(started, state=JobState.WAITING, attempts=1, error="503")
    assert attempts_made(retrying) == 1
    assert attempts_made(dataclasses.replace(retrying, state=JobState.SUCCEEDED)) == 2


class RecordingContext:
    """Records the progress notifications a tool sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, float | None, str | None]] = []

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        self.sent.append((progress, total, message))


async def test_progress_grows_to_100_in_tenths_and_never_says_running_queued(
    store: JobStore,
) -> None:
    job, _ = await store.enqueue("any.op", {})
    ctx = RecordingContext()
    reporter = _ProgressReporter(ctx)  # type: ignore[arg-type]
    running = dataclasses.replace(job, state=JobState.RUNNING, progress=Progress("queued"))
    steps = [
        job,
        running,
        dataclasses.replace(running, progress=Progress("pool", "2 of 3 ready", 0.50005999)),
        dataclasses.replace(running, progress=Progress("pool", "3 of 3 ready", 1.0)),
        dataclasses.replace(running, progress=Progress("pool", "draining", 1.0)),
        dataclasses.replace(job, state=JobState.SUCCEEDED, progress=Progress("succeeded", "", 1)),
    ]
    for step in steps:
        await reporter.report(step, job.created_at)
    values = [progress for progress, _, _ in ctx.sent]
    assert values == sorted(set(values)) and values[-1] == 100.0
    assert all(v <= 100.0 and round(v, 1) == v for v in values)
    assert 50.0 in values
    messages = [message or "" for _, _, message in ctx.sent]
    assert not any("running: queued" in m for m in messages)


async def test_a_job_that_failed_before_reporting_progress_shows_its_state_not_queued(
    store: JobStore,
) -> None:
    queued, _ = await store.enqueue("any.op", {})
    now = queued.created_at
    assert job_summary(queued, now)["phase"] == "queued"  # not started: queued it is
    failed = dataclasses.replace(
        queued, state=JobState.FAILED, started_at=now, error="bucket 'nob' does not exist"
    )
    assert failed.progress == Progress("queued")
    assert job_summary(failed, now)["phase"] == "failed"
    assert job_detail(failed, now)["progress"]["phase"] == "failed"
