"""Human-readable ``jobs list|show|cancel`` over the same store the server uses."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from jobs.database import check_url, create_database
from jobs.migrate import upgrade_database
from jobs.models import JSON, Job
from jobs.states import JobState
from jobs.store import JobStore
from mcp_front.config import ConfigError, Settings
from mcp_front.job_view import job_detail, job_summary


async def run(settings: Settings, args: argparse.Namespace, out: Callable[[str], None]) -> None:
    """Run one ``jobs`` action and write its report with ``out``."""
    states = _states(args.state or ()) if args.jobs_command == "list" else []
    job_id = _check_id(args.job_id) if args.jobs_command in ("show", "cancel") else ""
    missing = _missing_file(settings)
    if missing is not None:
        # Never create a job file here: a wrong path or a missing --sandbox would look empty.
        hint = "" if settings.sandbox else "; for the jobs of `serve --sandbox`, add --sandbox"
        where = f"no job database at {missing} yet{hint}"
        if args.jobs_command == "list":
            out(f"(no jobs: {where})")
            return
        raise ConfigError(f"no job with id {job_id}: {where}")
    db = create_database(settings.database_url)
    try:
        await upgrade_database(db)
        store = JobStore(db)
        now = store.clock.now()
        if args.jobs_command == "list":
            page = await store.list_jobs(states=states, operation=args.operation, limit=args.limit)
            width = max([len("OPERATION"), *(len(job.operation) for job in page.jobs)])
            out(f"{'ID':36}  {'STATE':9}  {'OPERATION':{width}}  {'CREATED':20}  ELAPSED")
            for job in page.jobs:
                row = job_summary(job, now)
                out(
                    f"{row['id']:36}  {row['state']:9}  {row['operation']:{width}}  "
                    f"{row['created_at']:20}  {row['elapsed_s']:.0f}s"
                )
            if not page.jobs:
                out("(no jobs)")
        elif args.jobs_command == "show":
            job = await store.get(job_id)
            events = await store.events(job.id, limit=20)
            out(json.dumps(job_detail(job, now, events), indent=2, default=str))
        elif args.jobs_command == "cancel":
            job = await store.get(job_id)
            left = None
            if job.started_at is not None and job.state in (JobState.QUEUED, JobState.WAITING):
                left = await _what_exists(settings, store, job)
            job = await store.request_cancel(job_id, result=left)
            if job.state is JobState.CANCELLED:
                out(f"{job.id}: cancelled; what exists: {json.dumps(job.result, default=str)}")
            else:
                out(
                    f"{job.id}: cancel requested (state {job.state.value}); its worker stops it "
                    "at its next step and reports what exists (jobs show)"
                )
    finally:
        await db.close()


async def _what_exists(settings: Settings, store: JobStore, job: Job) -> JSON | None:
    """What a parked job created, looked up as its resumed step would (by its tag)."""
    from mcp_front.runtime import build_registry, build_services
    from workers.runner import JobRunner

    services = build_services(settings)
    try:
        runner = JobRunner(
            store,
            build_registry(settings),
            owner="jobs-cli",
            services=services,
            secrets=settings.secret_values(),
        )
        return await runner.what_exists(job)
    finally:
        await services.aclose()


def _states(names: Iterable[str]) -> list[JobState]:
    states = []
    for name in names:
        try:
            states.append(JobState(name))
        except ValueError:
            allowed = ", ".join(s.value for s in JobState)
            raise ConfigError(f"--state {name!r} is not a state; use one of: {allowed}") from None
    return states


def _missing_file(settings: Settings) -> str | None:
    """The SQLite job file the settings name, if it does not exist."""
    url = check_url(settings.database_url)  # a bad URL: DatabaseError, one clear line
    if url.get_backend_name() != "sqlite":
        return None
    name = url.database
    if not name or name == ":memory:" or Path(name).exists():
        return None
    return name


def _check_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ConfigError(f"{value!r} is not a job id (a UUID)") from None
