"""Alembic environment and revisions of the job database (shipped inside the wheel)."""

HEAD = "0004"
"""The newest revision; a unit test checks it against the Alembic scripts."""
