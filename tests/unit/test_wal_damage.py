"""A damaged write-ahead log is reported at start with what it loses, not dropped silently."""

from __future__ import annotations

import logging
import shutil
import struct
from pathlib import Path

import pytest

from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.store import JobStore

pytestmark = pytest.mark.anyio

JOBS = 12


async def _crashed_with_a_wal(tmp_path: Path) -> Path:
    """A job file whose last JOBS enqueues live only in its WAL, as after a crash."""
    live = tmp_path / "live" / "jobs.db"
    db = create_database(sqlite_url(live), create_dir=True)
    await upgrade_database(db)
    async with db.write() as conn:
        await conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
    store = JobStore(db)
    for n in range(JOBS):
        await store.enqueue("op", {"n": n})
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for suffix in ("", "-wal"):  # what the disk holds at the crash
        shutil.copyfile(f"{live}{suffix}", crashed / f"jobs.db{suffix}")
    await db.close()
    return crashed / "jobs.db"


async def _open_and_count(path: Path) -> int:
    db = create_database(sqlite_url(path))
    try:
        await upgrade_database(db)
        return (await JobStore(db).list_jobs(limit=100)).jobs.__len__()
    finally:
        await db.close()


def _damage_frame(path: Path, frame: int) -> None:
    wal = Path(f"{path}-wal")
    data = bytearray(wal.read_bytes())
    page_size = struct.unpack(">I", data[8:12])[0]
    offset = 32 + frame * (24 + page_size) + 24 + page_size // 2
    data[offset : offset + 8] = b"garbage!"
    wal.write_bytes(bytes(data))


def _damage_header(path: Path) -> None:
    wal = Path(f"{path}-wal")
    wal.write_bytes(b"\x13" * 32 + wal.read_bytes()[32:])


async def test_a_sound_wal_is_replayed_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = await _crashed_with_a_wal(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert await _open_and_count(path) == JOBS
    assert "write-ahead log" not in caplog.text


async def test_a_damaged_frame_is_reported_with_the_commits_it_loses(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = await _crashed_with_a_wal(tmp_path)
    _damage_frame(path, frame=4)
    with caplog.at_level(logging.WARNING):
        kept = await _open_and_count(path)
    assert kept < JOBS  # SQLite did drop acknowledged jobs ...
    assert "write-ahead log is damaged" in caplog.text  # ... and we said so
    assert "committed transaction(s) are discarded" in caplog.text


async def test_a_damaged_header_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = await _crashed_with_a_wal(tmp_path)
    _damage_header(path)
    with caplog.at_level(logging.WARNING):
        assert await _open_and_count(path) < JOBS
    assert "damaged header and is discarded" in caplog.text
