"""Jobs as MCP tasks on the wire, for both protocol generations, over the SDK's seams.

2026-07-28: the extension ``io.modelcontextprotocol/tasks`` (``TasksExtension``): a job tool
called by a request that declares the extension answers ``resultType: "task"``; ``tasks/get``
inlines the final result; ``tasks/update`` and ``tasks/cancel`` acknowledge.
2025-11-25: core tasks (``CoreTasksMiddleware``): the ``tasks`` capability in the initialize
result, ``tools/call`` with ``task`` answered by a create-task result (rewritten on the wire,
where the SDK would validate a ``CallToolResult``), ``tasks/result`` that blocks,
``tasks/list``, ``tasks/cancel`` and ``notifications/tasks/status`` when a task ends.
Every other request keeps today's inline-or-job-id answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver import require_client_extension
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    GetTaskRequestParams,
    PaginatedRequestParams,
    TaskStatusNotification,
    TaskStatusNotificationParams,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from jobs.models import JSON, Job
from mcp_front.job_wait import job_outcome, submission_scope
from mcp_front.principal import principal_of
from mcp_front.task_view import (
    RELATED_TASK,
    TASKS_EXTENSION,
    Era,
    call_result_json,
    detailed_task,
    task_fields,
    task_ttl_s,
)
from mcp_front.tasks import TaskBook

logger = logging.getLogger(__name__)
CORE_TASKS_VERSION = "2025-11-25"
CORE_TASKS_CAPABILITY: JSON = {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}

Ctx = ServerRequestContext[Any, Any]
JobTool = Callable[[str], bool]


class UpdateTaskParams(GetTaskRequestParams):
    """``tasks/update``: answers to a task's pending input requests."""

    input_responses: dict[str, Any] | None = None


def _era(ctx: Ctx) -> Era:
    return Era.EXTENSION_2026 if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS else Era.CORE_2025


def _principal(ctx: Ctx) -> str | None:
    return principal_of(getattr(ctx.request, "headers", None))


def _declares_extension(ctx: Ctx) -> bool:
    capabilities = ctx.session.client_capabilities
    return bool(
        capabilities and capabilities.extensions and TASKS_EXTENSION in capabilities.extensions
    )


class _TaskMethods:
    """The ``tasks/*`` handlers, each answering in the caller's generation."""

    def __init__(self, book: TaskBook) -> None:
        self.book = book

    async def _find(self, ctx: Ctx, task_id: str) -> Job:
        if _era(ctx) is Era.EXTENSION_2026:
            require_client_extension(ctx, TASKS_EXTENSION)
        return await self.book.find(task_id, _principal(ctx))

    async def view(self, ctx: Ctx, job: Job) -> JSON:
        """The task as the caller's generation shows it (2026: with the result inlined)."""
        runtime = await self.book.runtime()
        now = runtime.store.clock.now()
        if _era(ctx) is Era.CORE_2025:
            return task_fields(job, now, self.book.ttl_s(job), Era.CORE_2025)
        outcome = job_outcome(runtime, job) if job.state.is_terminal else None
        return detailed_task(job, now, self.book.ttl_s(job), outcome)

    async def get(self, ctx: Ctx, params: GetTaskRequestParams) -> HandlerResult:
        return await self.view(ctx, await self._find(ctx, params.task_id))

    async def result(self, ctx: Ctx, params: GetTaskRequestParams) -> HandlerResult:
        job = await self.book.until_done(await self._find(ctx, params.task_id))
        answer = call_result_json(job_outcome(await self.book.runtime(), job))
        answer["_meta"] = {RELATED_TASK: {"taskId": job.id}}
        return answer

    async def cancel(self, ctx: Ctx, params: GetTaskRequestParams) -> HandlerResult:
        job = await self._find(ctx, params.task_id)
        if job.state.is_terminal:
            if _era(ctx) is Era.EXTENSION_2026:
                return {}  # eventually consistent: the ack is all the 2026 wire asks
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"Cannot cancel task {job.id}: it already ended ({job.state.value})",
            )
        job = await self.book.cancel(job)
        return {} if _era(ctx) is Era.EXTENSION_2026 else await self.view(ctx, job)

    async def update(self, ctx: Ctx, params: UpdateTaskParams) -> HandlerResult:
        # Our jobs never wait for input: every response is for a key not outstanding.
        await self._find(ctx, params.task_id)
        return {}

    async def list(self, ctx: Ctx, params: PaginatedRequestParams | None) -> HandlerResult:
        page = await self.book.page(_principal(ctx), params.cursor if params else None)
        tasks = [await self.view(ctx, job) for job in page.jobs]
        return (
            {"tasks": tasks, "nextCursor": page.next_cursor}
            if page.next_cursor
            else {"tasks": tasks}
        )


class TasksExtension(Extension):
    """``io.modelcontextprotocol/tasks``, plus the ``tasks/*`` methods of both generations."""

    identifier = TASKS_EXTENSION

    def __init__(self, book: TaskBook, is_job_tool: JobTool) -> None:
        self.book = book
        self.is_job_tool = is_job_tool
        self.handlers = _TaskMethods(book)

    def methods(self) -> Sequence[MethodBinding]:
        """tasks/get, tasks/cancel, tasks/update (2026) and tasks/result, tasks/list (2025)."""
        h = self.handlers
        core = frozenset({CORE_TASKS_VERSION})
        return (
            MethodBinding("tasks/get", GetTaskRequestParams, h.get),
            MethodBinding("tasks/cancel", GetTaskRequestParams, h.cancel),
            MethodBinding(
                "tasks/update", UpdateTaskParams, h.update, frozenset(MODERN_PROTOCOL_VERSIONS)
            ),
            MethodBinding("tasks/result", GetTaskRequestParams, h.result, core),
            MethodBinding("tasks/list", PaginatedRequestParams, h.list, core),
        )

    async def intercept_tool_call(
        self, params: CallToolRequestParams, ctx: Ctx, call_next: CallNext
    ) -> HandlerResult:
        """A job tool called by a 2026 request declaring the extension answers with a task."""
        if _era(ctx) is not Era.EXTENSION_2026 or not _declares_extension(ctx):
            return await call_next(ctx)
        if not self.is_job_tool(params.name):
            return await call_next(ctx)
        with submission_scope(defer=True) as submission:
            answer = await call_next(ctx)
        if submission.job is None:  # refused before any job existed: the envelope says why
            return answer
        return {"resultType": "task", **await self.handlers.view(ctx, submission.job)}


class CoreTasksMiddleware:
    """The 2025-11-25 wire: capability, create-task results and status notifications."""

    def __init__(self, extension: TasksExtension) -> None:
        self.extension = extension
        self._watchers: set[asyncio.Task[None]] = set()

    async def __call__(self, ctx: Ctx, call_next: CallNext) -> HandlerResult:
        """Rewrite initialize and task-augmented tools/call; pass everything else through."""
        if ctx.method == "initialize":
            return self._advertise(await call_next(ctx))
        params = ctx.params or {}
        if ctx.method != "tools/call" or ctx.protocol_version != CORE_TASKS_VERSION:
            return await call_next(ctx)
        task = params.get("task")
        if not isinstance(task, dict) or not self.extension.is_job_tool(str(params.get("name"))):
            # A read tool answers inline, as the spec allows for tools without task support;
            # a malformed ``task`` meets the SDK's own validation (-32602).
            return await call_next(ctx)
        requested = task.get("ttl")
        with submission_scope(defer=True) as submission:
            submission.task_ttl_s = task_ttl_s(
                requested if isinstance(requested, int) else None, self.extension.book.deadline_s()
            )
            answer = await call_next(ctx)
        if submission.job is None:
            return answer
        self._watch(ctx, submission.job)
        return {"task": await self.extension.handlers.view(ctx, submission.job)}

    def _advertise(self, result: HandlerResult) -> HandlerResult:
        if isinstance(result, dict) and result.get("protocolVersion") == CORE_TASKS_VERSION:
            result.setdefault("capabilities", {})["tasks"] = CORE_TASKS_CAPABILITY
        return result

    def _watch(self, ctx: Ctx, job: Job) -> None:
        """Send ``notifications/tasks/status`` when the task ends, while the client is there."""
        watcher = asyncio.get_running_loop().create_task(self._notify_when_done(ctx, job))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)

    async def _notify_when_done(self, ctx: Ctx, job: Job) -> None:
        try:
            job = await self.extension.book.until_done(job)
            fields = await self.extension.handlers.view(ctx, job)
            params = TaskStatusNotificationParams.model_validate(fields)
            await ctx.session.send_notification(TaskStatusNotification(params=params))  # type: ignore[arg-type]
        except Exception as exc:  # the client went away, or the server is stopping
            logger.debug("no status notification for task %s: %r", job.id, exc)


def task_seams(book: TaskBook, is_job_tool: JobTool) -> tuple[TasksExtension, CoreTasksMiddleware]:
    """The extension and the middleware to hand the MCPServer."""
    extension = TasksExtension(book, is_job_tool)
    return extension, CoreTasksMiddleware(extension)
