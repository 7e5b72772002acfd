"""Write job events from the jobs table by trigger.

Every transition used to cost a second INSERT per transaction; on the async SQLite stack
each statement costs about as much as the commit itself. A writer now sets ``event_kind``
and ``event_message`` and bumps ``event_seq`` in the same UPDATE, and the database appends
the event. No write path can forget its event any more.

PostgreSQL gets the same triggers in PL/pgSQL rather than event INSERTs in the store: the
store stays one code path for both backends, a write remains one statement (one round trip),
and no write path can forget its event there either. Its triggers also NOTIFY the
``scaleway_mcp_jobs`` channel, which wakes idle workers and job waiters in other processes
(payload: ``due <job id>`` when the job became claimable, else ``changed <job id>``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Events that record no state: the job stays where it was.
_STATELESS_KINDS = "('progress', 'cancel_requested')"
# The same two event rows on both backends.
_INSERT_ENQUEUED = """
    INSERT INTO job_events (job_id, at, kind, state, message)
    VALUES (NEW.id, NEW.created_at, 'enqueued', NEW.state, NEW.operation);
"""
_INSERT_LOGGED = f"""
    INSERT INTO job_events (job_id, at, kind, state, message)
    VALUES (
        NEW.id,
        NEW.updated_at,
        NEW.event_kind,
        CASE WHEN NEW.event_kind IN {_STATELESS_KINDS} THEN NULL ELSE NEW.state END,
        COALESCE(NEW.event_message, '')
    );
"""
NOTIFY_CHANNEL = "scaleway_mcp_jobs"


def upgrade() -> None:
    """Add the event columns and the two triggers."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("event_seq", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("event_kind", sa.String(32), nullable=True))
        batch.add_column(sa.Column("event_message", sa.Text, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers() -> None:
    op.execute(
        f"""
        CREATE FUNCTION jobs_log_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_INSERT_ENQUEUED}
            ELSE
                {_INSERT_LOGGED}
            END IF;
            PERFORM pg_notify(
                '{NOTIFY_CHANNEL}',
                CASE WHEN NEW.state IN ('queued', 'waiting') THEN 'due ' ELSE 'changed ' END
                    || NEW.id
            );
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER jobs_event_on_insert AFTER INSERT ON jobs
        FOR EACH ROW EXECUTE FUNCTION jobs_log_event()
        """
    )
    op.execute(
        """
        CREATE TRIGGER jobs_event_on_update AFTER UPDATE OF event_seq ON jobs
        FOR EACH ROW WHEN (NEW.event_seq > OLD.event_seq) EXECUTE FUNCTION jobs_log_event()
        """
    )


def _sqlite_triggers() -> None:
    op.execute(
        f"""
        CREATE TRIGGER jobs_event_on_insert AFTER INSERT ON jobs
        BEGIN
            {_INSERT_ENQUEUED}
        END
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER jobs_event_on_update AFTER UPDATE OF event_seq ON jobs
        WHEN NEW.event_seq > OLD.event_seq
        BEGIN
            {_INSERT_LOGGED}
        END
        """
    )


def downgrade() -> None:
    """Drop the triggers and the event columns."""
    on_jobs = " ON jobs" if op.get_bind().dialect.name == "postgresql" else ""
    op.execute(f"DROP TRIGGER IF EXISTS jobs_event_on_update{on_jobs}")
    op.execute(f"DROP TRIGGER IF EXISTS jobs_event_on_insert{on_jobs}")
    if on_jobs:
        op.execute("DROP FUNCTION IF EXISTS jobs_log_event()")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("event_message")
        batch.drop_column("event_kind")
        batch.drop_column("event_seq")
