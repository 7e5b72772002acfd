"""Alembic environment and revisions of the job database (shipped inside the wheel)."""
