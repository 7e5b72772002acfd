"""Immutable values the job store hands out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobs.states import JobState

JSON = dict[str, Any]
"""A JSON object as stored in the job table (parameters, checkpoint, result)."""


@dataclass(frozen=True, slots=True)
class Progress:
    """What a job is doing now, as a human would want to read it."""

    phase: str = ""
    message: str = ""
    fraction: float | None = None

    def to_json(self) -> JSON:
        """The progress as a JSON object."""
        return {"phase": self.phase, "message": self.message, "fraction": self.fraction}

    @classmethod
    def from_json(cls, data: JSON | None) -> Progress:
        """Read a progress back from its JSON form."""
        if not data:
            return cls()
        return cls(
            phase=str(data.get("phase") or ""),
            message=str(data.get("message") or ""),
            fraction=data.get("fraction"),
        )


@dataclass(frozen=True, slots=True)
class Job:
    """One row of the job table."""

    id: str
    operation: str
    params: JSON
    state: JobState
    attempts: int
    max_attempts: int
    run_after_at: float
    lease_owner: str | None
    lease_expires_at: float | None
    checkpoint: JSON
    progress: Progress
    result: JSON | None
    error: str | None
    cancel_requested: bool
    idempotency_key: str | None
    created_at: float
    updated_at: float
    started_at: float | None
    finished_at: float | None
    # The MCP task view: the principal owning the job (None: anyone) and the view's lifetime.
    principal: str | None = None
    task_ttl_s: float | None = None
    # The batch job that enqueued this one, if any.
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One line of a job's append-only history."""

    job_id: str
    at: float
    kind: str
    state: JobState | None
    message: str


@dataclass(frozen=True, slots=True)
class JobPage:
    """A page of jobs, newest first, with the cursor of the next page."""

    jobs: list[Job] = field(default_factory=list)
    next_cursor: str | None = None
