"""The task side of the job store: find a caller's task, wait for it, cancel it, list them.

One truth: a task is a job row and its id is the job id. Nothing here calls Scaleway. A task
is visible only to the principal that created it (a bearer token's digest over HTTP, nobody
over stdio) and only until its lifetime has passed; the job itself stays for the job tools.
Failures are ``MCPError`` -32602 with a message that says what was wrong.
"""

from __future__ import annotations

import uuid

from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from jobs.cursors import decode_cursor
from jobs.errors import JobNotFound
from jobs.models import Job, JobPage
from mcp_front.job_wait import cancel_and_settle, wait_for_job
from mcp_front.runtime import Runtime, RuntimeSource
from mcp_front.task_view import task_ttl_s

TASK_PAGE_SIZE = 50
# tasks/result re-reads the row at least this often (other processes' writes wake no one).
_RESULT_POLL_S = 30.0


def _invalid(message: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=message)


def check_task_id(task_id: str) -> str:
    """The task id in its canonical form; -32602 if it cannot be one of ours."""
    try:
        return str(uuid.UUID(task_id))
    except (ValueError, AttributeError, TypeError):
        raise _invalid(
            f"Failed to retrieve task: {str(task_id)[:80]!r} is not a task id "
            "(a UUID returned by a tools/call that created a task)"
        ) from None


class TaskBook:
    """Tasks over the runtime's job store, as seen by one principal at a time."""

    def __init__(self, source: RuntimeSource) -> None:
        self.source = source

    async def runtime(self) -> Runtime:
        """The open runtime (waits for it at start-up)."""
        return await self.source.get()

    def ttl_s(self, job: Job) -> float:
        """The lifetime of the job's task view (default, or what its creator asked)."""
        if job.task_ttl_s is not None:
            return job.task_ttl_s
        return task_ttl_s(None, self.deadline_s())

    def deadline_s(self) -> float:
        """The longest deadline an operation may run to (the task never expires before)."""
        settings = self.source.settings
        return max(settings.cluster_deadline_s, settings.database_deadline_s)

    async def find(self, task_id: str, principal: str | None) -> Job:
        """The caller's live task; -32602 when unknown, someone else's, or expired."""
        task_id = check_task_id(task_id)
        runtime = await self.runtime()
        try:
            job = await runtime.store.get(task_id)
        except JobNotFound:
            job = None
        if job is None or job.principal != principal:
            raise _invalid(f"Failed to retrieve task: no task {task_id} is known to this caller")
        if self.expired(job, runtime.store.clock.now()):
            raise _invalid(
                f"Failed to retrieve task: task {task_id} has expired; its job stays "
                "visible through get_job_status and list_jobs"
            )
        return job

    def expired(self, job: Job, now: float) -> bool:
        """Whether the task view has outlived its lifetime (measured from creation)."""
        return now > job.created_at + self.ttl_s(job)

    async def until_done(self, job: Job) -> Job:
        """Block until the job ends; returns its final row."""
        runtime = await self.runtime()
        while not job.state.is_terminal:
            job = await wait_for_job(runtime, None, job, _RESULT_POLL_S)
        return job

    async def cancel(self, job: Job) -> Job:
        """Cancel the job behind a task and let a worker word what exists."""
        return await cancel_and_settle(await self.runtime(), None, job.id)

    async def page(self, principal: str | None, cursor: str | None) -> JobPage:
        """One page of the caller's live tasks, newest first; -32602 for a foreign cursor."""
        if cursor:
            try:
                decode_cursor(cursor)
            except ValueError:
                raise _invalid("Invalid cursor: not one returned by tasks/list") from None
        runtime = await self.runtime()
        page = await runtime.store.list_jobs(
            limit=TASK_PAGE_SIZE, cursor=cursor, of_principal=True, principal=principal
        )
        now = runtime.store.clock.now()
        live = [job for job in page.jobs if not self.expired(job, now)]
        return JobPage(jobs=live, next_cursor=page.next_cursor)
