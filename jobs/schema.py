"""The job tables, declared once; Alembic revisions create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

jobs_table = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("operation", String(100), nullable=False),
    Column("params", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False),
    Column("run_after_at", Float, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", Float, nullable=True),
    Column("checkpoint", JSON, nullable=False),
    Column("progress", JSON, nullable=True),
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("started_at", Float, nullable=True),
    Column("finished_at", Float, nullable=True),
    # A writer that logs sets these and bumps event_seq; a trigger appends the event row.
    Column("event_seq", Integer, nullable=False, server_default="0"),
    Column("event_kind", String(32), nullable=True),
    Column("event_message", Text, nullable=True),
    # The task view (migration 0003): the principal owning the job, the view's lifetime.
    Column("principal", String(64), nullable=True),
    Column("task_ttl_s", Float, nullable=True),
    # The batch job that enqueued this one (migration 0004); null for every other job.
    Column("parent_id", String(36), nullable=True),
    # Serves claims: due jobs in a claimable state, oldest first.
    Index("ix_jobs_state_run_after", "state", "run_after_at"),
    Index("ix_jobs_created_at", "created_at"),
    Index("ix_jobs_parent_id", "parent_id"),
)

job_events_table = Table(
    "job_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(36), ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("state", String(16), nullable=True),
    Column("message", Text, nullable=False, default=""),
    Index("ix_job_events_job_id_id", "job_id", "id"),
)
