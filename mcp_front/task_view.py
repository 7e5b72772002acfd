"""How a job looks as an MCP task, on each protocol generation: pure functions of the row.

2025-11-25 (core tasks): ``ttl`` and ``pollInterval``; a job that failed is ``failed``.
2026-07-28 (extension ``io.modelcontextprotocol/tasks``): ``ttlMs`` and ``pollIntervalMs``; a
tool-level failure is ``completed`` with ``isError`` (``failed`` is for protocol errors), and
``tasks/get`` inlines the final result.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from mcp.types import CallToolResult

from jobs.models import JSON, Job
from jobs.states import JobState
from mcp_front.job_view import iso

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
RELATED_TASK = "io.modelcontextprotocol/related-task"

DEFAULT_TTL_S = 24 * 3600.0
MIN_TTL_S = 3600.0
MAX_TTL_S = 7 * 24 * 3600.0
# While API calls run (queued, running) a client should look again in a few seconds.
ACTIVE_POLL_MS = 2000
MIN_POLL_MS = 500
# A waiting job is checked at its run_after; a client asked to come a moment later finds the
# check's outcome instead of the check in progress.
CHECK_MARGIN_MS = 1000
_STATUS_MESSAGE_MAX = 300


class Era(StrEnum):
    """The protocol generation a task is shown to."""

    CORE_2025 = "2025-11-25"
    EXTENSION_2026 = "2026-07-28"


class TaskStatus(StrEnum):
    """Task statuses common to both generations."""

    WORKING = "working"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


def task_status(job: Job, era: Era) -> TaskStatus:
    """queued/running/waiting -> working; succeeded -> completed; failed per era."""
    if job.state is JobState.SUCCEEDED:
        return TaskStatus.COMPLETED
    if job.state is JobState.CANCELLED:
        return TaskStatus.CANCELLED
    if job.state is JobState.FAILED:
        # A failed job is a tool result with isError: "completed" on the 2026 wire.
        return TaskStatus.FAILED if era is Era.CORE_2025 else TaskStatus.COMPLETED
    return TaskStatus.WORKING


def task_ttl_s(requested_ms: int | None, deadline_s: float) -> float:
    """The task view's lifetime: the request's (default 24 h) kept in 1 h..7 d, and never
    shorter than the operation's own deadline."""
    wanted = DEFAULT_TTL_S if requested_ms is None else requested_ms / 1000
    return max(min(max(wanted, MIN_TTL_S), MAX_TTL_S), deadline_s)


def poll_interval_ms(job: Job, now: float) -> int:
    """When to look again: the job's own next check while it waits, a few seconds otherwise."""
    if job.state is JobState.WAITING:
        return max(MIN_POLL_MS, round((job.run_after_at - now) * 1000) + CHECK_MARGIN_MS)
    return ACTIVE_POLL_MS


def status_message(job: Job) -> str:
    """A short line about the task: progress, the error, or what a cancel left behind."""
    if job.state is JobState.CANCELLED:
        text = "cancelled"
        if job.result:
            text += "; what exists: " + json.dumps(job.result, separators=(",", ":"), default=str)
    elif job.state is JobState.FAILED:
        text = f"{job.operation} failed: {job.error}"
    elif job.state is JobState.SUCCEEDED:
        text = f"{job.operation} succeeded"
    else:
        text = job.progress.message or job.progress.phase or job.state.value
    return text[:_STATUS_MESSAGE_MAX]


def task_fields(job: Job, now: float, ttl_s: float, era: Era) -> JSON:
    """The ``Task`` object of a job in ``era``'s field names."""
    ttl_ms = round(ttl_s * 1000)
    fields: JSON = {
        "taskId": job.id,
        "status": task_status(job, era).value,
        "statusMessage": status_message(job),
        "createdAt": iso(job.created_at),
        "lastUpdatedAt": iso(job.updated_at),
    }
    poll = None if job.state.is_terminal else poll_interval_ms(job, now)
    if era is Era.CORE_2025:
        fields["ttl"] = ttl_ms
        if poll is not None:
            fields["pollInterval"] = poll
    else:
        fields["ttlMs"] = ttl_ms
        if poll is not None:
            fields["pollIntervalMs"] = poll
    return fields


def detailed_task(job: Job, now: float, ttl_s: float, outcome: CallToolResult | None) -> JSON:
    """A 2026 ``DetailedTask``: the task, with the final ``CallToolResult`` once it ended."""
    fields = task_fields(job, now, ttl_s, Era.EXTENSION_2026)
    if outcome is not None and fields["status"] == TaskStatus.COMPLETED:
        fields["result"] = call_result_json(outcome)
    return fields


def call_result_json(result: CallToolResult) -> dict[str, Any]:
    """A ``CallToolResult`` in its wire form (content, structuredContent, isError)."""
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)
