"""Job store URLs, without importing the database stack (the CLI builds them at start-up)."""

from __future__ import annotations

from pathlib import Path


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"
