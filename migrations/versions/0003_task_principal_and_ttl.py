"""Add the task view's columns: the principal that owns a job and its task lifetime.

A job is an MCP task; over HTTP the task belongs to the bearer principal that created it,
and its task view expires after ``task_ttl_s``. Both nullable: jobs made before, or over
stdio, have no principal and the default lifetime. Plain nullable columns: every dialect adds
them in place.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``principal`` and ``task_ttl_s`` to the jobs table."""
    op.add_column("jobs", sa.Column("principal", sa.String(64), nullable=True))
    op.add_column("jobs", sa.Column("task_ttl_s", sa.Float, nullable=True))


def downgrade() -> None:
    """Drop the task columns."""
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("task_ttl_s")
        batch.drop_column("principal")
