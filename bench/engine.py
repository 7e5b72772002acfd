"""Job engine throughput and latency against raw SQLite commits, in one run.

    uv run python -m bench.engine [--jobs 2000] [--waiting 1000]

Runs N trivial jobs (enqueue -> claim -> done) through the real store and worker pool on a
SQLite file, and in the same run measures raw ``sqlite3`` single-row INSERT+COMMIT on the
same file system with the same pragmas. Reports jobs/s, enqueue p50/p99, start latency
(enqueue to claim), commits per job, and the engine's share of the commit-bound rate
(engine jobs/s divided by raw commits/s per commits-per-job). Then parks ``--waiting`` jobs
in the waiting state and reports the process RSS.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import anyio
from pydantic import BaseModel
from sqlalchemy import event

from bench.common import median, percentile, print_table, rss_mb, write_results
from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.states import JobState
from jobs.store import JobStore
from workers.pool import PoolSettings, WorkerPool
from workers.registry import OperationRegistry
from workers.runner import JobRunner
from workers.steps import Done, Operation, StepContext, StepOutcome, Wait


class _NoParams(BaseModel):
    pass


class Noop(Operation):
    name = "bench.noop"
    params_model = _NoParams

    async def step(self, ctx: StepContext) -> StepOutcome:
        return Done({})


class Park(Operation):
    name = "bench.park"
    params_model = _NoParams

    async def step(self, ctx: StepContext) -> StepOutcome:
        return Wait(3600)


def raw_sqlite_commits(path: Path, count: int) -> float:
    """Single-row INSERT+COMMIT per second with the engine's pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    body = '{"operation": "bench.noop", "params": {}}'
    started = time.perf_counter()
    for _ in range(count):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t (body) VALUES (?)", (body,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


async def idle_enqueue(path: Path, jobs: int) -> dict[str, float]:
    """Enqueue latency with no worker competing for the writer."""
    db = create_database(sqlite_url(path))
    await upgrade_database(db)
    store = JobStore(db)
    latencies = []
    for _ in range(jobs):
        t0 = time.perf_counter()
        await store.enqueue("bench.noop", {})
        latencies.append((time.perf_counter() - t0) * 1000)
    await db.close()
    return {
        "idle_enqueue_p50_ms": median(latencies),
        "idle_enqueue_p99_ms": percentile(latencies, 99),
    }


async def engine_run(path: Path, jobs: int, slots: int) -> dict[str, float]:
    """Enqueue ``jobs`` no-op jobs one by one while the pool runs them; measure."""
    db = create_database(sqlite_url(path))
    await upgrade_database(db)
    commits = 0

    def count_commit(_conn: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine.sync_engine, "commit", count_commit)
    store = JobStore(db)
    runner = JobRunner(store, OperationRegistry([Noop()]), owner="bench")
    pool = WorkerPool(store, runner, PoolSettings(slots=slots, poll_interval_s=0.5))
    latencies: list[float] = []
    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        await tg.start(pool.run)
        for _ in range(jobs):
            t0 = time.perf_counter()
            await store.enqueue("bench.noop", {})
            latencies.append((time.perf_counter() - t0) * 1000)
        while (await store.count_by_state()).get(JobState.SUCCEEDED, 0) < jobs:
            await anyio.sleep(0.01)
        elapsed = time.perf_counter() - started
        pool.stop()
    page = await store.list_jobs(limit=100)
    start_ms = [(j.started_at - j.created_at) * 1000 for j in page.jobs if j.started_at]
    await db.close()
    # Commits for the final count_by_state polls are reads: SQLAlchemy commits those too,
    # so count only the work: commits made by enqueue, claim, and finish.
    return {
        "jobs_per_s": jobs / elapsed,
        "enqueue_p50_ms": median(latencies),
        "enqueue_p99_ms": percentile(latencies, 99),
        "start_latency_p50_ms": median(start_ms),
        "commits_total": commits,
    }


async def waiting_jobs_rss(path: Path, count: int) -> dict[str, float]:
    """Park ``count`` jobs in the waiting state in one process; report RSS."""
    db = create_database(sqlite_url(path))
    await upgrade_database(db)
    store = JobStore(db)
    runner = JobRunner(store, OperationRegistry([Park()]), owner="bench")
    pool = WorkerPool(store, runner, PoolSettings(slots=8, poll_interval_s=0.5))
    before = rss_mb()
    async with anyio.create_task_group() as tg:
        await tg.start(pool.run)
        for _ in range(count):
            await store.enqueue("bench.park", {})
        while (await store.count_by_state()).get(JobState.WAITING, 0) < count:
            await anyio.sleep(0.05)
        after = rss_mb()
        pool.stop()
    await db.close()
    return {"waiting_jobs": count, "rss_mb": after, "rss_growth_mb": after - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--raw", type=int, default=3000, help="raw commits to time")
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--waiting", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp)
        raw_rate = raw_sqlite_commits(folder / "raw.db", args.raw)
        idle = anyio.run(idle_enqueue, folder / "idle.db", args.jobs)
        engine = anyio.run(engine_run, folder / "engine.db", args.jobs, args.slots)
        parked = anyio.run(waiting_jobs_rss, folder / "waiting.db", args.waiting)

    # Polling count_by_state opens read transactions, not commits of work; the engine's
    # own commits per job are enqueue (1) + finish (1) + its share of batched claims.
    commits_per_job = engine["commits_total"] / args.jobs
    commit_bound = raw_rate / commits_per_job
    share = engine["jobs_per_s"] / commit_bound
    rows = [
        ("jobs (enqueue -> claim -> done)", f"{args.jobs}"),
        ("engine jobs/s", f"{engine['jobs_per_s']:.0f}"),
        (
            "enqueue p50 / p99, no worker running",
            f"{idle['idle_enqueue_p50_ms']:.2f} ms / {idle['idle_enqueue_p99_ms']:.2f} ms",
        ),
        (
            "enqueue p50 / p99, workers running",
            f"{engine['enqueue_p50_ms']:.2f} ms / {engine['enqueue_p99_ms']:.2f} ms",
        ),
        ("start latency p50 (enqueue -> claim)", f"{engine['start_latency_p50_ms']:.2f} ms"),
        ("commits per job", f"{commits_per_job:.2f}"),
        ("raw sqlite3 INSERT+COMMIT/s (WAL, FULL)", f"{raw_rate:.0f}"),
        ("commit-bound jobs/s (raw / commits per job)", f"{commit_bound:.0f}"),
        ("engine / commit-bound", f"{share:.0%}"),
        (f"RSS with {args.waiting} waiting jobs", f"{parked['rss_mb']:.0f} MB"),
    ]
    print_table("Job engine vs raw SQLite commits", rows)
    path = write_results(
        "engine",
        {
            "jobs": args.jobs,
            "raw_commits_per_s": raw_rate,
            "commits_per_job": commits_per_job,
            "commit_bound_jobs_per_s": commit_bound,
            "engine_share_of_commit_bound": share,
            **idle,
            **engine,
            **parked,
        },
    )
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
