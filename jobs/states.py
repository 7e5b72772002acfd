"""Job states and the transitions the state machine allows."""

from __future__ import annotations

from enum import StrEnum

from jobs.errors import InvalidTransition


class JobState(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True once the job can change no more."""
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})
# States of a job not yet ended: queued, running, or waiting for its next step.
ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING, JobState.WAITING})
# States a worker may claim from (RUNNING only once its lease has expired).
CLAIMABLE_STATES = frozenset({JobState.QUEUED, JobState.WAITING, JobState.RUNNING})

_ALLOWED: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.CANCELLED}),
    # RUNNING -> RUNNING is a re-claim after an expired lease; RUNNING -> QUEUED a release.
    JobState.RUNNING: frozenset(
        {
            JobState.RUNNING,
            JobState.WAITING,
            JobState.QUEUED,
            JobState.SUCCEEDED,
            JobState.FAILED,
            JobState.CANCELLED,
        }
    ),
    JobState.WAITING: frozenset({JobState.RUNNING, JobState.CANCELLED}),
    JobState.SUCCEEDED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
}


def can_transition(source: JobState, target: JobState) -> bool:
    """Whether the state machine allows ``source -> target``."""
    return target in _ALLOWED[source]


def check_transition(source: JobState, target: JobState) -> None:
    """Raise InvalidTransition unless ``source -> target`` is allowed."""
    if not can_transition(source, target):
        if source.is_terminal:
            raise InvalidTransition(f"job already {source.value}; it cannot become {target.value}")
        raise InvalidTransition(f"a {source.value} job cannot become {target.value}")
