"""Downloading an object to a local file: ranged parts streamed into a temporary file next to
the destination, then an atomic rename. Resumable: the checkpoint's ``download`` records the
object's ETag, the temporary file and the parts written; a resumed job keeps them when the
object is unchanged. Every GET carries If-Match, so a replaced object is never mixed in.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from jobs.models import JSON, Progress
from workers.storage.buckets import ObjectHead, head_object
from workers.storage.client import ObjectStorage
from workers.storage.errors import ObjectChanged, StorageUnavailable, local_writes
from workers.storage.names import human_size, part_count, part_range
from workers.storage.paths import check_destination
from workers.storage.transfer import Journal, ThrottledSaver, run_parts, write_at

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    """Which object to fetch into which local file."""

    bucket: str
    key: str
    region: str
    path: Path
    overwrite: bool = False
    temp_tag: str = "download"


async def download_file(
    storage: ObjectStorage,
    request: DownloadRequest,
    journal: Journal,
    *,
    deadline: float | None = None,
) -> JSON | None:
    """Download (or continue downloading) the object; the result, or None at the deadline."""
    recorded: JSON | None = journal.checkpoint.get("download")
    if not _renamed_before_crash(recorded, request.path):
        check_destination(request.path, overwrite=request.overwrite)
    head = await head_object(storage, request.bucket, request.key, request.region)
    if recorded and _renamed_before_crash(recorded, request.path):
        if recorded["etag"] == head.etag:  # a crash came after the rename, before the commit
            await journal.save(download=None)
            return _result(request, head)
        check_destination(request.path, overwrite=request.overwrite)
    state = _usable_state(recorded, head)
    if state is None:
        discard_temp(journal)
        part_size = storage.settings.part_size
        temp = request.path.parent / f".{request.path.name}.{request.temp_tag}.part"
        state = {
            "etag": head.etag,
            "size": head.size,
            "part_size": part_size,
            "temp": str(temp),
            "parts": [],
        }
        try:
            with local_writes(temp), temp.open("wb") as f:
                f.truncate(head.size)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        await journal.save(download=state)
    try:
        finished = await _fetch_parts(storage, request, journal, state, deadline)
    except ObjectChanged:
        discard_temp(journal)
        await journal.save(download=None)
        raise
    if not finished:
        return None
    temp = Path(state["temp"])
    check_destination(request.path, overwrite=request.overwrite)
    with local_writes(temp):
        await anyio.to_thread.run_sync(_fsync, temp)
    os.replace(temp, request.path)
    await journal.save(
        Progress("completed", f"downloaded {human_size(head.size)}", 1.0), download=None
    )
    return _result(request, head)


def _result(request: DownloadRequest, head: ObjectHead) -> JSON:
    return {
        "bucket": request.bucket,
        "key": request.key,
        "path": str(request.path),
        "size": head.size,
        "size_human": human_size(head.size),
        "etag": head.etag,
        "content_type": head.content_type,
    }


def _renamed_before_crash(state: JSON | None, path: Path) -> bool:
    """Whether a recorded download's temporary file already became ``path``."""
    if not state or Path(state["temp"]).exists() or not path.is_file():
        return False
    return bool(path.stat().st_size == state["size"])


def _usable_state(state: JSON | None, head: ObjectHead) -> JSON | None:
    if not state or state.get("etag") != head.etag or state.get("size") != head.size:
        return None
    temp = Path(state["temp"])
    if not temp.is_file() or temp.stat().st_size != head.size:
        return None
    return state


async def _fetch_parts(
    storage: ObjectStorage,
    request: DownloadRequest,
    journal: Journal,
    state: JSON,
    deadline: float | None,
) -> bool:
    size, part_size, etag = state["size"], state["part_size"], state["etag"]
    done: set[int] = set(state["parts"])
    saver = ThrottledSaver(
        journal, "downloading", size, lambda: {"download": {**state, "parts": sorted(done)}}
    )
    saver.done_bytes = sum(part_range(n, size, part_size)[1] for n in done)
    if size == 0:
        return True
    fd = os.open(state["temp"], os.O_WRONLY)
    try:

        async def fetch(number: int) -> None:
            offset, length = part_range(number, size, part_size)
            await storage.call(
                lambda c: _stream_range(c, request, etag, offset, length, fd, saver),
                region=request.region,
                bucket=request.bucket,
                key=request.key,
            )
            done.add(number)

        todo = [n for n in range(1, part_count(size, part_size) + 1) if n not in done]
        finished = await run_parts(
            todo, fetch, concurrency=storage.settings.concurrency, deadline=deadline
        )
    finally:
        os.close(fd)
    await saver.flush()
    return finished


async def _stream_range(
    client: Any,
    request: DownloadRequest,
    etag: str,
    offset: int,
    length: int,
    fd: int,
    saver: ThrottledSaver,
) -> None:
    """GET one byte range and write it at its offset, a chunk at a time."""
    response = await client.get_object(
        Bucket=request.bucket,
        Key=request.key,
        Range=f"bytes={offset}-{offset + length - 1}",
        IfMatch=etag,
    )
    written = 0
    pending: list[bytes] = []
    buffered = 0
    body = response["Body"]
    async with body:
        # The socket hands out small pieces; gather them so each thread hop writes ~1 MiB.
        async for chunk in body.iter_chunks(CHUNK):
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= CHUNK:
                with local_writes(request.path):
                    await write_at(fd, b"".join(pending), offset + written)
                written += buffered
                pending, buffered = [], 0
        if pending:
            with local_writes(request.path):
                await write_at(fd, b"".join(pending), offset + written)
            written += buffered
    if written != length:
        raise StorageUnavailable(
            f"s3://{request.bucket}/{request.key}: the connection ended after {written} of "
            f"{length} bytes at offset {offset}"
        )
    # Counted only once the range is whole: a retried range must not count twice.
    await saver.add(length)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard_temp(journal: Journal) -> None:
    """Remove the temporary file a recorded download left, if any."""
    state = journal.checkpoint.get("download")
    if state and state.get("temp"):
        with contextlib.suppress(FileNotFoundError):
            Path(state["temp"]).unlink()
