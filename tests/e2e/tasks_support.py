"""Clients of the two task wires for end-to-end tests.

``TasksClientExtension``: the 2026-07-28 extension for ``mcp.Client``; its claim of
``resultType: "task"`` polls ``tasks/get`` until the task ends and records what it saw.
``RawStdioClient``: a small JSON-RPC client over a ``serve`` subprocess's stdio, for the
2025-11-25 wire (the SDK's client cannot read a create-task result).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream
from mcp.client import ClaimContext, ClientExtension, ResultClaim
from mcp.types import CallToolResult, GetTaskRequest, GetTaskRequestParams, Result
from pydantic import ConfigDict, TypeAdapter

from jobs.models import Job
from tests.e2e.long_jobs_support import until
from tests.e2e.stdio_support import REPO_ROOT, serve_command, stored_jobs

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
ANY_RESULT = TypeAdapter(dict[str, Any])


class CreatedTask(Result):
    """A 2026 create-task result: ``resultType: "task"`` and the task's fields."""

    model_config = ConfigDict(extra="allow")
    result_type: Literal["task"] = "task"
    task_id: str
    status: str


@dataclass
class TasksClientExtension(ClientExtension):
    """Declares the tasks extension and follows each task to its end through tasks/get."""

    identifier = TASKS_EXTENSION
    created: list[dict[str, Any]] = field(default_factory=list)
    polls: list[dict[str, Any]] = field(default_factory=list)

    def claims(self) -> list[ResultClaim[Any]]:
        """The claim of ``resultType: "task"`` on tools/call."""
        return [ResultClaim(result_type="task", model=CreatedTask, resolve=self._follow)]

    async def _follow(self, created: CreatedTask, ctx: ClaimContext) -> CallToolResult:
        self.created.append(created.model_dump(by_alias=True))
        while True:
            task = await get_task(ctx.session, created.task_id)
            self.polls.append(task)
            if task["status"] != "working":
                return CallToolResult.model_validate(task.get("result") or {"content": []})
            await anyio.sleep(min(task.get("pollIntervalMs", 1000), 1000) / 1000)


async def get_task(session: Any, task_id: str) -> dict[str, Any]:
    """tasks/get through an SDK client session."""
    request = GetTaskRequest(params=GetTaskRequestParams(task_id=task_id))
    return await session.send_request(request, ANY_RESULT)


class RawStdioClient:
    """JSON-RPC over the stdio of a ``serve`` subprocess, one request at a time or several."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self._next_id = 0
        self._waiting: dict[int, anyio.Event] = {}
        self._answers: dict[int, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []

    async def read_forever(self) -> None:
        """Route answers to their requests and keep notifications (run in a task group)."""
        assert self.process.stdout is not None
        buffer = ""
        async for chunk in TextReceiveStream(self.process.stdout):
            buffer += chunk
            while "\n" in buffer:
                line, buffer = buffer.split("\n", 1)
                if line.strip():
                    self._route(json.loads(line))

    def _route(self, message: dict[str, Any]) -> None:
        if "id" in message and message["id"] in self._waiting:
            self._answers[message["id"]] = message
            self._waiting.pop(message["id"]).set()
        elif "method" in message:
            self.notifications.append(message)

    async def send(self, message: dict[str, Any]) -> None:
        """Write one JSON-RPC message."""
        assert self.process.stdin is not None
        await self.process.stdin.send((json.dumps(message) + "\n").encode())

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a request and return the whole answer (``result`` or ``error``)."""
        self._next_id += 1
        ident = self._next_id
        self._waiting[ident] = event = anyio.Event()
        await self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params or {}})
        with anyio.fail_after(120):
            await event.wait()
        return self._answers.pop(ident)

    async def initialize(self, version: str = "2025-11-25", tasks: bool = True) -> dict[str, Any]:
        """The handshake; returns the initialize result."""
        capabilities: dict[str, Any] = {"tasks": {"list": {}, "cancel": {}}} if tasks else {}
        answer = await self.request(
            "initialize",
            {
                "protocolVersion": version,
                "capabilities": capabilities,
                "clientInfo": {"name": "raw-test-client", "version": "0"},
            },
        )
        await self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer["result"]


async def open_raw_serve(env: dict[str, str], *extra_args: str) -> Process:
    """Start ``serve`` (plus ``extra_args``) with pipes for a raw client."""
    return await anyio.open_process(
        [*serve_command(), *extra_args], env=env, cwd=str(REPO_ROOT), stderr=None
    )


async def until_cluster_exists(data_dir: Path, task_id: str, timeout_s: float = 60) -> Job:
    """Wait until the job behind ``task_id`` has created its cluster; its row then."""

    async def created() -> bool:
        [job] = await stored_jobs(data_dir, [task_id])
        return "cluster_id" in job.checkpoint

    await until(created, timeout_s=timeout_s)
    [job] = await stored_jobs(data_dir, [task_id])
    return job
