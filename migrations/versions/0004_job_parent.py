"""Add a job's parent: the batch job that enqueued it (null for every other job).

A batch (``batch.create``) is one parent job whose children are ordinary jobs of their own
operation; ``parent_id`` links each child to it, so the parent can count and steer them and a
job view can name its parent. A plain nullable column and an index: every dialect adds them
in place.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``parent_id`` and its index to the jobs table."""
    op.add_column("jobs", sa.Column("parent_id", sa.String(36), nullable=True))
    op.create_index("ix_jobs_parent_id", "jobs", ["parent_id"])


def downgrade() -> None:
    """Drop the parent link."""
    op.drop_index("ix_jobs_parent_id", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("parent_id")
