"""Job tools: follow, list and cancel the durable jobs behind every mutation."""

from __future__ import annotations

import uuid
from datetime import datetime

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, field_validator

from jobs.cursors import decode_cursor
from jobs.states import JobState
from mcp_front import envelope
from mcp_front.errors import ToolInputError
from mcp_front.job_view import job_detail, job_summary
from mcp_front.job_wait import cancel_and_settle, find_job, wait_for_job
from mcp_front.principal import caller
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolInput, ToolSpec


def _job_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ValueError(
            "must be a job id (a UUID such as the one a mutating tool returned)"
        ) from None


class JobIdInput(ToolInput):
    job_id: str = Field(description="The job id a mutating tool returned.")

    @field_validator("job_id")
    @classmethod
    def _check_job_id(cls, value: str) -> str:
        return _job_id(value)


class GetJobStatusInput(JobIdInput):
    wait_s: float = Field(
        0,
        ge=0,
        le=50,
        description="Wait up to this many seconds for the job to finish before answering.",
    )
    events: int = Field(3, ge=0, le=100, description="How many of the latest events to include.")
    include_params: bool = Field(False, description="Also show the job's stored parameters.")


class ListJobsInput(ToolInput):
    state: list[JobState] | None = Field(None, description="Only jobs in these states.")
    operation: str | None = Field(None, description="Only this operation, e.g. k8s.create_cluster.")
    created_after: datetime | None = Field(None, description="ISO-8601 time; newer jobs only.")
    created_before: datetime | None = Field(None, description="ISO-8601 time; older jobs only.")
    parent_id: str | None = Field(None, description="Only the children of this batch job.")
    limit: int = Field(20, ge=1, le=100, description="Page size.")
    cursor: str | None = Field(None, description="next_cursor of the previous page.")

    @field_validator("state", mode="before")
    @classmethod
    def _one_state(cls, value: object) -> object:
        # Models often send one state as a plain string: read it as a list of one.
        return [value] if isinstance(value, str) else value

    @field_validator("parent_id")
    @classmethod
    def _check_parent_id(cls, value: str | None) -> str | None:
        return None if value is None else _job_id(value)


async def get_job_status(args: GetJobStatusInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """State, progress, attempts, last error, result and latest events of one job."""
    job = await find_job(runtime, args.job_id)
    if args.wait_s and not job.state.is_terminal:
        job = await wait_for_job(runtime, ctx, job, args.wait_s)
    events = await runtime.store.events(job.id, limit=args.events) if args.events else None
    return envelope.success(
        job_detail(job, runtime.store.clock.now(), events, params=args.include_params),
        source=runtime.source,
    )


async def list_jobs(args: ListJobsInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Jobs newest first, filtered and paginated."""
    if args.cursor:
        try:
            decode_cursor(args.cursor)
        except ValueError as exc:
            raise ToolInputError("cursor", str(exc)) from None
    page = await runtime.store.list_jobs(
        states=args.state or (),
        operation=args.operation,
        parent_id=args.parent_id,
        created_after=args.created_after.timestamp() if args.created_after else None,
        created_before=args.created_before.timestamp() if args.created_before else None,
        limit=args.limit,
        cursor=args.cursor,
        of_principal=caller() is not None,
        principal=caller(),
    )
    now = runtime.store.clock.now()
    return envelope.success(
        {
            "jobs": [job_summary(job, now) for job in page.jobs],
            "count": len(page.jobs),
            "next_cursor": page.next_cursor,
        },
        source=runtime.source,
    )


async def cancel_job(args: JobIdInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Cancel a queued or waiting job now, a running one at its next step."""
    await find_job(runtime, args.job_id)
    job = await cancel_and_settle(runtime, ctx, args.job_id)
    view = job_detail(job, runtime.store.clock.now(), params=False)
    if job.state is JobState.CANCELLED:
        view["hint"] = "cancelled; 'result' names anything the job had already created"
    else:
        view["hint"] = "cancel requested; the job stops at its next step boundary"
    return envelope.success(view, source=runtime.source)


TOOLS = [
    ToolSpec(
        name="get_job_status",
        title="Job status",
        description=(
            "A job's state, progress, attempts, error, result and latest events; wait_s waits "
            "for its end."
        ),
        input_model=GetJobStatusInput,
        handler=get_job_status,
        group=ToolGroup.JOBS,
        read_only=True,
        open_world=False,
    ),
    ToolSpec(
        name="list_jobs",
        title="List jobs",
        description="Jobs newest first; filter by state, operation, creation time. Paginated.",
        input_model=ListJobsInput,
        handler=list_jobs,
        group=ToolGroup.JOBS,
        read_only=True,
        open_world=False,
    ),
    ToolSpec(
        name="cancel_job",
        title="Cancel job",
        description=(
            "Cancel a job: queued or waiting jobs stop at once, running ones at their next step. "
            "The result names anything already created."
        ),
        input_model=JobIdInput,
        handler=cancel_job,
        group=ToolGroup.JOBS,
        read_only=False,
        destructive=False,
        idempotent=True,
        open_world=False,
        enqueues=False,
    ),
]
