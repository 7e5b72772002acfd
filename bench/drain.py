"""One drain process of ``bench.engine``: runs queued no-op jobs until the queue is empty.

    python -m bench.drain engine URL SLOTS
    python -m bench.drain huey PATH
    python -m bench.drain procrastinate CONNINFO CONCURRENCY

Each process imports and connects first, writes ``ready`` on stdout, then waits for a line on
stdin before it starts, so the parent times the drain itself, not the interpreter start.
"""

from __future__ import annotations

import asyncio
import sys

import anyio


def _ready_then_wait() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


async def _engine(url: str, slots: int) -> None:
    from bench.engine_ops import Noop
    from jobs.database import create_database
    from jobs.store import JobStore
    from workers.pool import PoolSettings, WorkerPool, default_owner
    from workers.registry import OperationRegistry
    from workers.runner import JobRunner

    db = create_database(url)
    store = JobStore(db)
    await store.next_due_at()  # connect before the start line
    runner = JobRunner(store, OperationRegistry([Noop()]), owner=default_owner())
    pool = WorkerPool(store, runner, PoolSettings(slots=slots, poll_interval_s=0.05))
    await anyio.to_thread.run_sync(_ready_then_wait)
    await pool.run_until_idle()
    await db.close()


def _huey(path: str) -> None:
    from bench.rivals import huey_app

    huey, _noop = huey_app(path)
    huey.storage.queue_size()  # connect before the start line
    _ready_then_wait()
    while (task := huey.dequeue()) is not None:
        huey.execute(task)


async def _procrastinate(conninfo: str, concurrency: int) -> None:
    from bench.rivals import procrastinate_app

    app = procrastinate_app(conninfo)
    async with app.open_async():
        await anyio.to_thread.run_sync(_ready_then_wait)
        await app.run_worker_async(
            concurrency=concurrency, wait=False, install_signal_handlers=False
        )


def main() -> None:
    kind, *args = sys.argv[1:]
    if kind == "engine":
        anyio.run(_engine, args[0], int(args[1]))
    elif kind == "huey":
        _huey(args[0])
    elif kind == "procrastinate":
        asyncio.run(_procrastinate(args[0], int(args[1])))
    else:
        raise SystemExit(f"unknown drain kind {kind!r}")


if __name__ == "__main__":
    main()
