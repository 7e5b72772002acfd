"""List cursors of the job store: opaque strings naming the last job of a page."""

from __future__ import annotations

import base64


def encode_cursor(created_at: float, job_id: str) -> str:
    """The cursor after the job created at ``created_at`` (epoch seconds) with ``job_id``."""
    return base64.urlsafe_b64encode(f"{created_at!r}|{job_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, str]:
    """Read a list cursor; ValueError if it was not made by this store."""
    try:
        created, job_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return float(created), job_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("cursor is not one returned by list_jobs") from exc
