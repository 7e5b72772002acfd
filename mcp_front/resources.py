"""Jobs as MCP resources: ``job://{id}``, ``jobs://active``, updates when a job moves.

A client follows a job by reading its resource and subscribing to it: handshake-era clients
with ``resources/subscribe`` (served here), 2026-07-28 clients with ``subscriptions/listen``
(served by the SDK over the bus given to the server). While anyone listens, one watcher per
server compares the jobs it can see every ``WATCH_S`` and announces each change.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.session import ServerSession
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ResourceUpdated, ServerEvent
from mcp.types import (
    CallToolResult,
    EmptyResult,
    ResourceLink,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)

from jobs.errors import JobNotFound
from jobs.models import Job
from jobs.states import ACTIVE_STATES
from mcp_front.job_view import job_detail, job_summary
from mcp_front.job_wait import find_job
from mcp_front.principal import caller
from mcp_front.runtime import RuntimeSource

logger = logging.getLogger(__name__)
JOB_URI = "job://{job_id}"
ACTIVE_URI = "jobs://active"
MIME = "application/json"
WATCH_S = 0.25
_EVENTS = 10
_ACTIVE_LIMIT = 100


def job_uri(job_id: str) -> str:
    """The resource URI of a job."""
    return f"job://{job_id}"


class ListenedBus(InMemorySubscriptionBus):
    """The SDK's in-process bus, counting the ``subscriptions/listen`` streams open."""

    def __init__(self) -> None:
        super().__init__()
        self.listening = 0
        self._wake: anyio.Event | None = None  # made by the watcher: an Event needs a loop

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        """Register a listen stream (and wake the watcher)."""
        unsubscribe = super().subscribe(listener)
        self.listening += 1
        self.wake()
        done = False

        def release() -> None:
            nonlocal done
            if not done:
                done = True
                self.listening -= 1
                unsubscribe()

        return release

    def wake(self) -> None:
        """Wake the watcher: someone started listening or subscribed."""
        if self._wake is not None:
            self._wake.set()

    async def wait_wake(self) -> None:
        """Sleep until ``wake`` is called."""
        self._wake = anyio.Event()
        await self._wake.wait()


class JobResources:
    """The job resources of one server, its subscribers and the watcher that notifies them."""

    def __init__(self, source: RuntimeSource) -> None:
        self.source = source
        self.bus = ListenedBus()
        self._sessions: dict[str, list[ServerSession]] = {}
        self._seen: dict[str, tuple[Any, ...]] = {}
        self._active: frozenset[str] = frozenset()
        self._lock = anyio.Lock()

    def install(self, server: MCPServer) -> None:
        """Register the resources and the handshake-era subscribe/unsubscribe methods."""

        @server.resource(
            JOB_URI,
            name="job",
            title="Job",
            description="One job: state, progress, attempts, error, result, recent events.",
            mime_type=MIME,
        )
        async def read_job(job_id: str) -> str:
            return json.dumps(await self.job_view(job_id))

        @server.resource(
            ACTIVE_URI,
            name="active-jobs",
            title="Active jobs",
            description="Jobs queued, running or waiting, newest first.",
            mime_type=MIME,
        )
        async def read_active() -> str:
            return json.dumps(await self.active_view())

        # MCPServer 2.3 has no public seam for these two spec methods: use its low-level server.
        lowlevel = server._lowlevel_server
        lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, self._subscribe)
        lowlevel.add_request_handler(
            "resources/unsubscribe", UnsubscribeRequestParams, self._unsubscribe
        )

    async def job_view(self, job_id: str) -> dict[str, Any]:
        """The detail of a job with its recent events (ResourceNotFoundError if unknown)."""
        runtime = await self.source.get()
        try:
            job = await find_job(runtime, job_id)
        except JobNotFound:
            raise ResourceNotFoundError(f"no job {job_id}; read {ACTIVE_URI}") from None
        events = await runtime.store.events(job_id, limit=_EVENTS)
        return job_detail(job, runtime.store.clock.now(), events)

    async def active_view(self) -> dict[str, Any]:
        """The active jobs, newest first."""
        runtime = await self.source.get()
        page = await runtime.store.list_jobs(
            states=ACTIVE_STATES,
            limit=_ACTIVE_LIMIT,
            of_principal=caller() is not None,
            principal=caller(),
        )
        now = runtime.store.clock.now()
        rows = [{**job_summary(j, now), "uri": job_uri(j.id)} for j in page.jobs]
        return {"jobs": rows, "count": len(rows)}

    @asynccontextmanager
    async def lifespan(self, server: MCPServer) -> AsyncIterator[dict[str, Any]]:
        """The server's lifespan: runs the watcher while the server runs."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch)
            try:
                yield {}
            finally:
                tg.cancel_scope.cancel()

    # -- subscriptions -------------------------------------------------------------------------

    async def _subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams
    ) -> EmptyResult:
        uri = str(params.uri)
        self._sessions.setdefault(uri, []).append(ctx.session)
        self.bus.wake()
        return EmptyResult()

    async def _unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams
    ) -> EmptyResult:
        uri = str(params.uri)
        peer = _peer(ctx.session)
        kept = [s for s in self._sessions.get(uri, []) if _peer(s) is not peer]
        if kept:
            self._sessions[uri] = kept
        else:
            self._sessions.pop(uri, None)
        return EmptyResult()

    # -- watching ------------------------------------------------------------------------------

    async def _watch(self) -> None:
        async with self._lock:  # one watcher per server, however many lifespans
            while True:
                if not self._sessions and not self.bus.listening:
                    await self.bus.wait_wake()
                try:
                    await self._announce_changes()
                except Exception:  # the watcher must outlive a failed read
                    logger.exception("job resource watcher: reading jobs failed")
                await anyio.sleep(WATCH_S)

    async def _announce_changes(self) -> None:
        runtime = await self.source.get()
        page = await runtime.store.list_jobs(
            states=ACTIVE_STATES,
            limit=_ACTIVE_LIMIT,
            of_principal=caller() is not None,
            principal=caller(),
        )
        jobs: dict[str, Job] = {j.id: j for j in page.jobs}
        # Subscribed jobs that left the active set: read them to announce their end.
        for uri in list(self._sessions):
            job_id = uri.removeprefix("job://")
            if uri.startswith("job://") and job_id not in jobs and job_id in self._seen:
                try:
                    jobs[job_id] = await runtime.store.get(job_id)
                except JobNotFound:
                    continue
        changed = [j.id for j in jobs.values() if self._seen.get(j.id) != _fingerprint(j)]
        for job_id in changed:
            self._seen[job_id] = _fingerprint(jobs[job_id])
            await self._publish(job_uri(job_id))
        active = frozenset(j.id for j in page.jobs)
        if changed or active != self._active:
            self._active = active
            await self._publish(ACTIVE_URI)
        for job_id in [k for k in self._seen if k not in jobs]:
            del self._seen[job_id]

    async def _publish(self, uri: str) -> None:
        await self.bus.publish(ResourceUpdated(uri=uri))
        sessions = self._sessions.get(uri, [])
        for session in list(sessions):
            try:
                await session.send_resource_updated(uri)
            except Exception:  # a session that went away stops hearing
                sessions.remove(session)


def link_job(result: CallToolResult) -> CallToolResult:
    """The result with a resource link to the job it reports, if any."""
    content = result.structured_content or {}
    job = content.get("job") or (content.get("details") or {}).get("job")
    if not isinstance(job, dict) or not isinstance(job.get("id"), str):
        return result
    link = ResourceLink(
        type="resource_link",
        uri=job_uri(job["id"]),
        name=f"job {job['id']}",
        title=f"Job {job.get('operation', '')}".strip(),
        mime_type=MIME,
    )
    return result.model_copy(update={"content": [*result.content, link]})


def _fingerprint(job: Job) -> tuple[Any, ...]:
    return (job.state, job.progress.phase, job.progress.message, job.updated_at)


def _peer(session: ServerSession) -> object:
    # A ServerSession is made per request; its connection is the client's identity.
    return getattr(session, "_connection", session)
