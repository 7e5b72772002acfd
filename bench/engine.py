"""Job engine throughput and latency against raw commits and other queues, in one run.

    uv run --group bench python -m bench.engine [--backend sqlite|postgres] [--processes N]
        [--jobs 2000] [--waiting 1000] [--postgres-url URL]

Runs trivial jobs (enqueue -> claim -> done) through the real store and worker pool:
one process enqueueing while its pool runs them (latencies, commits per job), then a drain:
``--jobs`` jobs enqueued by 16 concurrent writers, run by ``--processes`` worker processes.
In the same run, the same drain through huey (SQLite) or procrastinate (PostgreSQL) when the
``bench`` group is installed, in alternating order, and on SQLite raw ``sqlite3``
INSERT+COMMITs with the same pragmas (the commit-bound rate). PostgreSQL comes from
``--postgres-url`` or ``SCW_MCP_BENCH_POSTGRES_URL`` (a maintenance database: each run makes
and drops its own). Then parks ``--waiting`` jobs and reports the process RSS.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import anyio
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench import rivals
from bench.common import median, percentile, print_table, rss_mb, write_results
from bench.engine_ops import Noop, Park
from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.states import JobState
from jobs.store import JobStore
from workers.pool import PoolSettings, WorkerPool
from workers.registry import OperationRegistry
from workers.runner import JobRunner

ENQUEUERS = 16


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


async def idle_enqueue(url: str, jobs: int) -> dict[str, float]:
    """Enqueue latency with no worker competing for the writer."""
    db = create_database(url)
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


async def engine_run(url: str, jobs: int, slots: int) -> dict[str, float]:
    """Enqueue ``jobs`` no-op jobs one by one while the pool runs them; measure."""
    db = create_database(url)
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


async def waiting_jobs_rss(url: str, count: int) -> dict[str, float]:
    """Park ``count`` jobs in the waiting state in one process; report RSS."""
    db = create_database(url)
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


async def enqueue_concurrently(url: str, jobs: int) -> float:
    """Enqueue ``jobs`` no-op jobs from ENQUEUERS concurrent tasks; jobs/s."""
    db = create_database(url)
    await upgrade_database(db)
    store = JobStore(db)
    left = jobs

    async def enqueuer() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await store.enqueue("bench.noop", {})

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(ENQUEUERS):
            tg.start_soon(enqueuer)
    elapsed = time.perf_counter() - started
    await db.close()
    return jobs / elapsed


async def count_succeeded(url: str) -> int:
    db = create_database(url)
    try:
        return (await JobStore(db).count_by_state()).get(JobState.SUCCEEDED, 0)
    finally:
        await db.close()


def timed_drain(commands: list[list[str]]) -> float:
    """Start the drain processes, wait until each is ready, start them together; seconds."""
    procs = [
        subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for cmd in commands
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        assert proc.wait(600) == 0
    return time.perf_counter() - started


def drain_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.drain", *args]


def engine_drain(url: str, jobs: int, processes: int, slots: int) -> dict[str, float]:
    """Our drain: enqueue (concurrently), then ``processes`` worker processes run them all."""
    enqueue_rate = anyio.run(enqueue_concurrently, url, jobs)
    seconds = timed_drain([drain_command("engine", url, str(slots)) for _ in range(processes)])
    done = anyio.run(count_succeeded, url)
    assert done == jobs, f"{done} of {jobs} jobs succeeded"
    return {"enqueue_per_s": enqueue_rate, "drain_per_s": jobs / seconds}


def huey_drain(path: str, jobs: int, processes: int) -> dict[str, float]:
    started = time.perf_counter()
    rivals.huey_enqueue(path, jobs)
    enqueue_rate = jobs / (time.perf_counter() - started)
    seconds = timed_drain([drain_command("huey", path) for _ in range(processes)])
    return {"enqueue_per_s": enqueue_rate, "drain_per_s": jobs / seconds}


def procrastinate_drain(url: str, jobs: int, processes: int, slots: int) -> dict[str, float]:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    anyio.run(rivals.procrastinate_prepare, conninfo, jobs)
    enqueue_rate = jobs / (time.perf_counter() - started)
    seconds = timed_drain(
        [drain_command("procrastinate", conninfo, str(slots)) for _ in range(processes)]
    )
    return {"enqueue_per_s": enqueue_rate, "drain_per_s": jobs / seconds}


class Databases:
    """Fresh job databases for each measurement: files in a temp dir, or PostgreSQL ones."""

    def __init__(self, backend: str, folder: Path, admin_url: str | None) -> None:
        self.backend, self.folder, self.admin_url = backend, folder, admin_url
        self.made: list[str] = []

    def new(self, name: str) -> str:
        if self.backend == "sqlite":
            return sqlite_url(self.folder / f"{name}-{uuid.uuid4().hex[:6]}.db")
        assert self.admin_url is not None
        database = f"bench_{name}_{uuid.uuid4().hex[:6]}"
        anyio.run(self._admin, f'CREATE DATABASE "{database}"')
        self.made.append(database)
        return make_url(self.admin_url).set(database=database).render_as_string(False)

    def drop_all(self) -> None:
        for database in self.made:
            anyio.run(self._admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    async def _admin(self, sql: str) -> None:
        import asyncpg

        assert self.admin_url is not None
        dsn = make_url(self.admin_url).set(drivername="postgresql")
        conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


def alternate(rounds: int, runs: dict[str, Callable[[], dict[str, float]]]) -> dict[str, dict]:
    """Run each measurement ``rounds`` times in alternating order; keep the best drain."""
    best: dict[str, dict[str, float]] = {}
    names = list(runs)
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else reversed(names):
            result = runs[name]()
            if name not in best or result["drain_per_s"] > best[name]["drain_per_s"]:
                best[name] = result
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--processes", type=int, default=1, help="worker processes to drain")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--raw", type=int, default=3000, help="raw commits to time")
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--waiting", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="drains of each, alternating")
    parser.add_argument("--postgres-url", default=os.environ.get("SCW_MCP_BENCH_POSTGRES_URL"))
    args = parser.parse_args()
    if args.backend == "postgres" and not args.postgres_url:
        parser.error("--backend postgres needs --postgres-url or SCW_MCP_BENCH_POSTGRES_URL")

    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        folder = Path(tmp)
        dbs = Databases(args.backend, folder, args.postgres_url)
        try:
            raw_rate = (
                raw_sqlite_commits(folder / "raw.db", args.raw)
                if args.backend == "sqlite"
                else None
            )
            idle = anyio.run(idle_enqueue, dbs.new("idle"), args.jobs)
            engine = anyio.run(engine_run, dbs.new("engine"), args.jobs, args.slots)
            runs: dict[str, Callable[[], dict[str, float]]] = {
                "engine": lambda: engine_drain(
                    dbs.new("drain"), args.jobs, args.processes, args.slots
                )
            }
            if args.backend == "sqlite" and rivals.installed("huey"):
                runs["huey"] = lambda: huey_drain(
                    str(folder / f"huey-{uuid.uuid4().hex[:6]}.db"), args.jobs, args.processes
                )
            if args.backend == "postgres" and rivals.installed("procrastinate"):
                runs["procrastinate"] = lambda: procrastinate_drain(
                    dbs.new("procrastinate"), args.jobs, args.processes, args.slots
                )
            drains = alternate(args.rounds, runs)
            parked = anyio.run(waiting_jobs_rss, dbs.new("waiting"), args.waiting)
        finally:
            dbs.drop_all()

    commits_per_job = engine["commits_total"] / args.jobs
    rows = [
        ("backend / drain processes", f"{args.backend} / {args.processes}"),
        ("jobs (enqueue -> claim -> done)", f"{args.jobs}"),
        ("one process, enqueue while running: jobs/s", f"{engine['jobs_per_s']:.0f}"),
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
    ]
    for name, result in drains.items():
        rows.append(
            (
                f"{name}: enqueue/s / drain jobs/s",
                f"{result['enqueue_per_s']:.0f} / {result['drain_per_s']:.0f}",
            )
        )
    for name, result in drains.items():
        if name != "engine":
            ratio = drains["engine"]["drain_per_s"] / result["drain_per_s"]
            rows.append((f"engine drain / {name} drain", f"{ratio:.2f}"))
    extra: dict[str, float] = {}
    if raw_rate is not None:
        commit_bound = raw_rate / commits_per_job
        share = drains["engine"]["drain_per_s"] / commit_bound
        extra = {"raw_commits_per_s": raw_rate, "commit_bound_jobs_per_s": commit_bound}
        rows += [
            ("raw sqlite3 INSERT+COMMIT/s (WAL, FULL)", f"{raw_rate:.0f}"),
            ("commit-bound jobs/s (raw / commits per job)", f"{commit_bound:.0f}"),
            ("engine drain / commit-bound", f"{share:.0%}"),
        ]
    rows.append((f"RSS with {args.waiting} waiting jobs", f"{parked['rss_mb']:.0f} MB"))
    print_table(f"Job engine ({args.backend}, {args.processes} processes)", rows)
    path = write_results(
        f"engine-{args.backend}-{args.processes}p",
        {
            "backend": args.backend,
            "processes": args.processes,
            "jobs": args.jobs,
            "commits_per_job": commits_per_job,
            **extra,
            **idle,
            **engine,
            **{f"{name}_{k}": v for name, r in drains.items() for k, v in r.items()},
            **parked,
        },
    )
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
