"""The sandbox's optional on-disk memory: one SQLite file that outlives the process.

Every resource is one row ``(kind, id, body)`` whose body is the JSON of its
:class:`~sandbox.state.Record` (timeline included, as absolute instants), so a new kind of
resource persists without code here and a lifecycle keeps its timing across a restart. A few
counters live in ``meta``; opaque snapshots (the S3 server's buckets) in ``blobs``. Writes
skip rows whose JSON did not change, so processes sharing the file only overwrite what they
changed; ``changed_elsewhere`` tells when another one committed. Thread-safe; stdlib only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FORMAT_VERSION = "1"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS records ("
    " kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id))",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
)
Key = tuple[str, str]


class StateFileError(Exception):
    """The state file cannot be opened or was written by an incompatible sandbox."""


def remove_state_file(path: Path) -> bool:
    """Delete a state file and its WAL companions; True if anything was there."""
    found = False
    for suffix in ("", "-wal", "-shm"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.unlink()
            found = True
    return found


class StateStore:
    """Rows of resources, counters and blobs in one SQLite file (WAL, created on demand)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The state holds the sandbox's database passwords: owner only, journals alike.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # A process crash loses nothing in WAL mode at NORMAL; only a power cut could.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            for statement in SCHEMA:
                self._db.execute(statement)
            version = self._meta("format")
        except (OSError, sqlite3.Error) as exc:
            raise StateFileError(f"sandbox state file {path}: {exc}") from exc
        if version is None:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('format', ?)", (FORMAT_VERSION,)
            )
        elif version != FORMAT_VERSION:
            raise StateFileError(
                f"sandbox state file {path} has format {version}, expected {FORMAT_VERSION}; "
                "start with --reset to discard it"
            )
        self._lock = threading.Lock()
        self._written: dict[Key, str] = {}
        self._data_version = -1

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def load(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Every stored record body, and the stored counters (``{}`` for a new file)."""
        with self._lock:
            self._data_version = self._db.execute("PRAGMA data_version").fetchone()[0]
            rows = self._db.execute("SELECT kind, id, body FROM records").fetchall()
            counters = self._meta("counters")
        self._written = {(kind, record_id): body for kind, record_id, body in rows}
        bodies = [json.loads(body) for _, _, body in rows]
        return bodies, json.loads(counters) if counters else {}

    def changed_elsewhere(self) -> bool:
        """Whether another connection (another process) committed since the last load."""
        with self._lock:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
        return bool(version != self._data_version)

    def saved(self, key: Key) -> bool:
        """Whether the row ``(kind, id)`` was in the file at the last load or save."""
        return key in self._written

    def save(self, records: Iterable[Any], gone: Iterable[Key], counters: dict[str, Any]) -> int:
        """Upsert changed records (dataclass values), delete ``gone`` ones; rows written."""
        changed: list[tuple[str, str, str]] = []
        for record in records:
            try:
                body = json.dumps(dataclasses.asdict(record), sort_keys=True)
            except (TypeError, ValueError) as exc:  # a kind keeping a set or an object in data
                logger.error(
                    "sandbox state: %s %s is not JSON (%s); it will not survive a restart",
                    record.kind,
                    record.id,
                    exc,
                )
                continue
            if self._written.get((record.kind, record.id)) != body:
                changed.append((record.kind, record.id, body))
        removed = [key for key in gone if key in self._written]
        counters_text = json.dumps(counters, sort_keys=True)
        if not changed and not removed and counters_text == self._written.get(("", "")):
            return 0
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO records (kind, id, body) VALUES (?, ?, ?)", changed
                )
                self._db.executemany("DELETE FROM records WHERE kind = ? AND id = ?", removed)
                self._db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('counters', ?)",
                    (counters_text,),
                )
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
        for kind, record_id, body in changed:
            self._written[(kind, record_id)] = body
        for key in removed:
            self._written.pop(key, None)
        self._written[("", "")] = counters_text
        return len(changed) + len(removed)

    def clear(self) -> None:
        """Forget every record, counter and blob."""
        with self._lock:
            self._db.execute("DELETE FROM records")
            self._db.execute("DELETE FROM meta WHERE key != 'format'")
            self._db.execute("DELETE FROM blobs")
        self._written.clear()

    def put_blob(self, name: str, value: bytes) -> None:
        """Store an opaque snapshot under ``name``."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO blobs (name, value) VALUES (?, ?)", (name, value)
            )

    def delete_blob(self, name: str) -> None:
        """Forget the snapshot stored under ``name`` (if any)."""
        with self._lock:
            self._db.execute("DELETE FROM blobs WHERE name = ?", (name,))

    def blobs(self, prefix: str) -> list[tuple[str, bytes]]:
        """Every snapshot whose name starts with ``prefix``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name, value FROM blobs WHERE substr(name, 1, ?) = ?", (len(prefix), prefix)
            ).fetchall()
        return [(str(name), bytes(value)) for name, value in rows]

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._lock:
            self._db.close()
