"""The running product: settings, job database and store, operations, and the worker pool."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import anyio

from mcp_front.config import Settings

if TYPE_CHECKING:
    # Only annotations: a standalone worker never loads the MCP SDK.
    from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

    # The database stack, the operations and the adapters load when the runtime opens,
    # after the MCP handshake: start-up answers initialize and tools/list without them.
    from jobs.database import Database
    from jobs.store import JobStore
    from workers.polling import PollSettings
    from workers.pool import WorkerPool
    from workers.registry import OperationRegistry
    from workers.services import Services
    from workers.storage.client import ObjectStorage

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Runtime:
    """What tools reach: the store to enqueue and read, the registry to validate."""

    settings: Settings
    db: Database
    store: JobStore
    registry: OperationRegistry
    pool: WorkerPool
    services: Services

    async def get(self) -> Runtime:
        """This runtime (it is its own source; see StartingRuntime)."""
        return self

    @property
    def source(self) -> str | None:
        """Where results come from, when it is not the real cloud."""
        return (
            "sandbox (local imitation of Scaleway, not the cloud)"
            if self.settings.sandbox
            else None
        )


def build_services(settings: Settings) -> Services:
    """The adapters operations and read tools share, configured from the settings."""
    from workers.services import Services

    services = Services(
        secrets_dir=settings.secrets_dir,
        sandbox=settings.sandbox,
        polling=poll_settings(settings),
    )
    from workers.scaleway.client import ScalewayClient, ScalewayConfig

    creds = settings.credentials
    services.scaleway = ScalewayClient(
        ScalewayConfig(
            access_key=creds.access_key,
            secret_key=creds.secret_key,
            project_id=creds.project_id,
            organization_id=creds.organization_id,
            region=creds.region,
            zone=creds.zone,
            api_url=creds.api_url,
        )
    )
    services.storage = build_storage(settings)
    return services


def build_storage(settings: Settings) -> ObjectStorage:
    """The Object Storage adapter (aioboto3 itself is imported on first use)."""
    from workers.storage.client import ObjectStorage, StorageSettings

    creds = settings.credentials
    mib = 1024 * 1024
    return ObjectStorage(
        StorageSettings(
            access_key=creds.access_key,
            secret_key=creds.secret_key,
            region=creds.region,
            endpoint_url=creds.s3_endpoint_url,
            part_size=settings.s3_part_size_mb * mib,
            multipart_threshold=settings.s3_multipart_threshold_mb * mib,
            concurrency=settings.s3_concurrency,
        )
    )


def poll_settings(settings: Settings) -> PollSettings:
    """Poll schedules with the configured cluster/database deadlines, scaled."""
    from workers.polling import PollKind, PollSettings

    polling = PollSettings()
    for kind, deadline_s in (
        (PollKind.CLUSTER, settings.cluster_deadline_s),
        (PollKind.POOL, settings.cluster_deadline_s),
        (PollKind.DATABASE, settings.database_deadline_s),
    ):
        polling = polling.with_schedule(kind, replace(polling.for_kind(kind), timeout_s=deadline_s))
    return polling.scaled(settings.poll_scale)


def build_registry(settings: Settings) -> OperationRegistry:
    """Every product operation, plus the modules named in SCW_MCP_EXTRA_OPERATIONS."""
    from workers.operations import product_operations
    from workers.registry import OperationRegistry

    registry = OperationRegistry(product_operations())
    for module in settings.extra_operations:
        registry.load_module(module)
    return registry


def open_database(settings: Settings) -> Database:
    """The configured job database; of missing folders, only the data dir is created.

    DatabaseError for a URL that cannot work (see ``jobs.database.check_url``).
    """
    from jobs.database import check_url, create_database

    create_dir = False
    parsed = check_url(settings.database_url)
    if parsed.get_backend_name() == "sqlite":
        create_dir = Path(parsed.database or "").expanduser().parent == settings.data_dir
    return create_database(settings.database_url, create_dir=create_dir)


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    registry: OperationRegistry | None = None,
    services: Services | None = None,
    run_workers: bool = True,
) -> AsyncIterator[Runtime]:
    """Open the store (migrating it), start the worker pool, and stop both on exit."""
    from jobs import notify
    from jobs.migrate import upgrade_database
    from jobs.store import JobStore
    from workers.pool import PoolSettings, WorkerPool, default_owner
    from workers.runner import JobRunner, RunnerSettings

    db = open_database(settings)
    try:
        await upgrade_database(db)
        store = JobStore(db)
        registry = registry or build_registry(settings)
        services = services or build_services(settings)
        runner = JobRunner(
            store,
            registry,
            owner=default_owner(),
            services=services,
            settings=RunnerSettings(lease_s=settings.lease_s),
            secrets=settings.secret_values(),
        )
        pool = WorkerPool(
            store,
            runner,
            PoolSettings(
                slots=settings.worker_slots,
                poll_interval_s=settings.poll_interval_s,
                shutdown_grace_s=settings.shutdown_grace_s,
            ),
        )
        runtime = Runtime(settings, db, store, registry, pool, services)
        async with anyio.create_task_group() as listening:
            # Wake-ups from other processes (PostgreSQL); it outlives the pool's drain.
            await listening.start(notify.listen, db, store.signals)
            try:
                async with anyio.create_task_group() as tg:
                    if run_workers:
                        await tg.start(pool.run)
                    try:
                        yield runtime
                    finally:
                        pool.stop()
            finally:
                listening.cancel_scope.cancel()
    finally:
        if services is not None:
            await services.aclose()
        await db.close()


class RuntimeSource(Protocol):
    """Where tools get the runtime from: settings now, the runtime once it is open."""

    settings: Settings

    async def get(self) -> Runtime:
        """The open runtime."""
        ...


Prepare = Callable[[Settings], AbstractAsyncContextManager[Settings]]
# After the handshake's last answer, time for it to reach the client before opening blocks.
HANDSHAKE_GRACE_S = 0.1
# A stdio server no client has listed the tools of opens its runtime after this delay.
OPEN_AFTER_S = 2.0


class StartingRuntime:
    """Opens the runtime in the background, so the MCP handshake never waits for the database.

    Opening starts once the client has listed the tools (``handshake_done``), when a tool
    asks for the runtime, or ``open_after_s`` after ``run``, whichever comes first: the
    handshake needs none of it, and a process stays free of its imports until then.
    ``prepare`` (the sandbox) runs first and may change the settings. A tool called before
    the runtime is open waits for it; if opening fails, the tool gets the error and ``run``
    raises it, which stops the server.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        run_workers: bool = True,
        prepare: Prepare | None = None,
        open_after_s: float = OPEN_AFTER_S,
    ) -> None:
        self.settings = settings
        self.run_workers = run_workers
        self._prepare = prepare
        self._open_after_s = open_after_s
        self._wanted = anyio.Event()
        self._handshake = anyio.Event()
        self._ready = anyio.Event()
        self._stop = anyio.Event()
        self._runtime: Runtime | None = None
        self._error: BaseException | None = None

    def handshake_done(self) -> None:
        """The client has what it needs to start: open the runtime now."""
        self._handshake.set()

    async def get(self) -> Runtime:
        """The runtime, once open."""
        self._wanted.set()
        self._handshake.set()
        await self._ready.wait()
        if self._runtime is None:
            raise self._error or RuntimeError("the runtime is not open")
        return self._runtime

    async def run(self) -> None:
        """Open the runtime and keep it open until ``stop()``."""
        try:
            with anyio.move_on_after(self._open_after_s):
                await self._handshake.wait()
            if not self._wanted.is_set():
                with anyio.move_on_after(HANDSHAKE_GRACE_S):
                    await self._wanted.wait()
            logger.info("opening the job runtime")
            async with AsyncExitStack() as stack:
                if self._prepare is not None:
                    self.settings = await stack.enter_async_context(self._prepare(self.settings))
                runtime = await stack.enter_async_context(
                    open_runtime(self.settings, run_workers=self.run_workers)
                )
                self._runtime = runtime
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:
            self._error = exc
            raise
        finally:
            self._runtime = None
            self._ready.set()

    def stop(self) -> None:
        """Close the runtime (workers finish or release their jobs)."""
        self._stop.set()
        self._wanted.set()
        self._handshake.set()


class OpenAfterToolsList:
    """MCP server middleware: tells the starting runtime when tools/list has been answered."""

    def __init__(self, runtime: StartingRuntime) -> None:
        self._runtime = runtime

    async def __call__(self, ctx: ServerRequestContext, call_next: CallNext) -> HandlerResult:
        """Pass the message on; after a tools/list, the runtime may open."""
        result = await call_next(ctx)
        if ctx.method == "tools/list":
            self._runtime.handshake_done()
        return result
