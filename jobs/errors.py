"""Job errors.

JobError
├── JobNotFound        no job has that id
├── InvalidTransition  the state machine forbids the change (e.g. cancel a finished job)
├── LeaseLost          this worker no longer owns the job it is writing
└── DatabaseError      the store cannot be opened or migrated (corrupt, newer schema)
"""

from __future__ import annotations


class JobError(Exception):
    """Base class of job store errors."""


class JobNotFound(JobError):
    """No job has that id."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id {job_id!r}")
        self.job_id = job_id


class InvalidTransition(JobError):
    """The job's state does not allow the requested change."""


class LeaseLost(JobError):
    """The worker no longer holds the job's lease; another worker may own it."""


class DatabaseError(JobError):
    """The job database cannot be used: corrupt, unreachable, or from a newer release."""
