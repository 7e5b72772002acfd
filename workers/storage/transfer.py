"""The part engine shared by uploads and downloads: bounded parallel parts, a step deadline,
throttled checkpoints with byte progress, and positional file I/O off the event loop."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

import anyio

from jobs.models import JSON, Progress
from workers.errors import PermanentError
from workers.storage.names import human_size

# Checkpoints and progress events at most this often: each one is a committed transaction.
SAVE_INTERVAL_S = 1.0


class Journal(Protocol):
    """Where a transfer keeps its checkpoint (a StepContext is one)."""

    checkpoint: JSON

    async def save(self, progress: Progress | None = None, **updates: object) -> None:
        """Merge ``updates`` into the checkpoint and commit it."""

    async def report(self, progress: Progress) -> None:
        """Record progress without changing the checkpoint."""


def byte_progress(phase: str, done: int, total: int) -> Progress:
    """``uploading: 12.0 MiB of 200.0 MiB (6%)`` with the fraction."""
    fraction = done / total if total else 1.0
    return Progress(
        phase=phase,
        message=f"{human_size(done)} of {human_size(total)} ({fraction:.0%})",
        fraction=round(fraction, 4),
    )


class ThrottledSaver:
    """Commits the transfer state and byte progress at most every SAVE_INTERVAL_S."""

    def __init__(
        self,
        journal: Journal,
        phase: str,
        total: int,
        state: Callable[[], JSON],
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._journal = journal
        self._phase = phase
        self._total = total
        self._state = state
        self._now = now
        self._last = now()
        self._lock = anyio.Lock()
        self.done_bytes = 0

    async def add(self, nbytes: int) -> None:
        """Count ``nbytes`` more; save when the interval has passed."""
        self.done_bytes += nbytes
        if self._now() - self._last >= SAVE_INTERVAL_S and not self._lock.locked():
            await self.flush()

    async def flush(self) -> None:
        """Save the current state and progress now."""
        async with self._lock:
            self._last = self._now()
            progress = byte_progress(self._phase, self.done_bytes, self._total)
            await self._journal.save(progress, **self._state())


async def run_parts(
    numbers: Iterable[int],
    transfer: Callable[[int], Awaitable[None]],
    *,
    concurrency: int,
    deadline: float | None,
    now: Callable[[], float] = time.monotonic,
) -> bool:
    """Run ``transfer(n)`` for each part with ``concurrency`` workers.

    Workers take no new part once ``deadline`` (monotonic) has passed, so a step ends and
    the job can be cancelled or handed over. True when every part ran.
    """
    pending = iter(sorted(numbers))

    async def worker() -> None:
        for number in pending:
            await transfer(number)
            if deadline is not None and now() >= deadline:
                return

    try:
        async with anyio.create_task_group() as tg:
            for _ in range(max(1, concurrency)):
                tg.start_soon(worker)
    except BaseExceptionGroup as group:
        raise first_error(group) from None
    # Workers stop at the deadline; whatever the iterator still holds has not run.
    return next(pending, None) is None


class FileSlice(io.RawIOBase):
    """A read-only, seekable view of ``length`` bytes at ``offset`` of an open file.

    Handed to the S3 client as a part body so the part streams from disk in small reads
    (aiohttp reads file bodies in a worker thread) instead of being held in memory whole.
    """

    def __init__(self, fd: int, offset: int, length: int) -> None:
        super().__init__()
        self._fd, self._offset, self._length = fd, offset, length
        self._pos = 0

    def __len__(self) -> int:
        return self._length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._length - self._pos)
        if want <= 0:
            return 0
        data = os.pread(self._fd, want, self._offset + self._pos)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, min(self._length, base + pos))
        return self._pos

    def tell(self) -> int:
        return self._pos


async def write_at(fd: int, data: bytes, offset: int) -> None:
    """Write all of ``data`` at ``offset`` of an open file, in a worker thread."""
    view = memoryview(data)
    while view:
        written = await anyio.to_thread.run_sync(os.pwrite, fd, view, offset)
        view = view[written:]
        offset += written


def first_error(group: BaseExceptionGroup) -> BaseException:
    """The error that matters in a task group's failure: a permanent one before the others."""
    leaves: list[BaseException] = []

    def collect(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                collect(inner)
        else:
            leaves.append(exc)

    collect(group)
    cancelled = anyio.get_cancelled_exc_class()
    real = [e for e in leaves if not isinstance(e, cancelled)] or leaves
    permanent = [e for e in real if isinstance(e, PermanentError)]
    return (permanent or real)[0]
