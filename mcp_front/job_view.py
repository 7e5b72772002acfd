"""How a job looks to users: compact, secrets redacted, times as ISO strings and ages."""

from __future__ import annotations

from datetime import UTC, datetime

from jobs.models import JSON, Job, JobEvent
from jobs.states import JobState
from workers.redact import redact_json

# The phase the store gives a job when it is enqueued (jobs/store.py).
QUEUED_PHASE = "queued"


def iso(at: float | None) -> str | None:
    """Epoch seconds as an ISO-8601 UTC string."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def phase(job: Job) -> str:
    """The job's last reported phase; for a job that started without reporting one (e.g. it
    failed in its first step), its state rather than the "queued" it was enqueued with."""
    if job.progress.phase == QUEUED_PHASE and job.started_at is not None:
        return job.state.value
    return job.progress.phase


def job_summary(job: Job, now: float) -> JSON:
    """One row of a job list."""
    return {
        "id": job.id,
        "operation": job.operation,
        "state": job.state.value,
        "phase": phase(job),
        "created_at": iso(job.created_at),
        "elapsed_s": round(_elapsed(job, now), 1),
    } | ({"parent_id": job.parent_id} if job.parent_id else {})


def job_detail(
    job: Job, now: float, events: list[JobEvent] | None = None, *, params: bool = True
) -> JSON:
    """What a user may want to know about one job; empty fields left out.

    ``params=False`` leaves out the stored parameters (the caller gave them): job views
    stay near 1.5 KB.
    """
    view: JSON = {
        "id": job.id,
        "operation": job.operation,
        "state": job.state.value,
        "progress": _drop_empty(
            {
                "phase": phase(job),
                "message": job.progress.message,
                "fraction": job.progress.fraction,
            }
        ),
        "attempts": attempts_made(job),
        "max_attempts": job.max_attempts,
        "params": redact_json(job.params) if params else None,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "finished_at": iso(job.finished_at),
        "elapsed_s": round(_elapsed(job, now), 1),
        "cancel_requested": job.cancel_requested or None,
        # A batch's child names its batch (list_jobs with parent_id lists a batch's children).
        "parent_id": job.parent_id,
    }
    if job.state is JobState.WAITING:
        view["next_check_in_s"] = round(max(0.0, job.run_after_at - now), 1)
    if job.error:
        view["last_error"] = job.error
    if job.result is not None:
        view["result"] = redact_json(job.result)
    if events is not None:
        view["events"] = [
            {"at": iso(e.at), "kind": e.kind, "message": e.message}
            | ({"state": e.state} if e.state else {})
            for e in events
        ]
    return _drop_empty(view)


def attempts_made(job: Job) -> int:
    """Attempts started so far, the current or last one included (1 for a job that ran once).

    The store counts the attempts used up by failures; a job waiting after a failure (its
    error set) has not started its next one yet.
    """
    if job.started_at is None:
        return job.attempts
    between = job.state is JobState.QUEUED or (job.state is JobState.WAITING and job.error)
    return job.attempts + (0 if between else 1)


def _drop_empty(view: JSON) -> JSON:
    return {k: v for k, v in view.items() if v not in (None, "")}


def _elapsed(job: Job, now: float) -> float:
    end = job.finished_at if job.finished_at is not None else now
    return max(0.0, end - job.created_at)
