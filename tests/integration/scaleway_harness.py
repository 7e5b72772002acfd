"""Instance and network operations against an in-process sandbox, one step at a time.

Import ``harness_fixture`` and ``sandbox_fixture`` into a test module to use the fixtures
``harness`` and ``sandbox`` (``open_harness`` runs other operations); ``session_fixture``
gives the fixture ``session``, an MCP client on the sandbox, for end-to-end tests.

The job store runs on a manual clock: a ``Wait`` costs no real time, while the sandbox
(speed 1000) moves its resources along in real time; each step sees their current state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from jobs.clock import ManualClock
from jobs.database import Database, create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.models import JSON, Job
from jobs.store import JobStore
from mcp_front.config import Settings
from mcp_front.runtime import Runtime, open_runtime
from mcp_front.server import build_server
from sandbox.server import SandboxServer
from workers.operations import instance, network
from workers.polling import PollSettings
from workers.registry import OperationRegistry
from workers.retry import RetryPolicy
from workers.runner import JobRunner, RunnerSettings
from workers.scaleway.client import ScalewayClient, ScalewayConfig
from workers.services import Services
from workers.steps import Operation

FAKE_KEY = "SCWXXXXXXXXXXXXXXXXX"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
ZONE = "fr-par-1"
REGION = "fr-par"
SERVERS_ROUTE = "POST /instance/v1/zones/{zone}/servers"
MISSING = "11111111-2222-3333-4444-555555555555"  # a well-formed id nothing has
FAST_RETRY = RetryPolicy(attempts=6, initial_s=0.01, max_s=0.05, jitter_s=0.01)


def fast_client(api_url: str, **changes: Any) -> ScalewayClient:
    """A client for the sandbox with millisecond retries and no real rate limit."""
    settings: dict[str, Any] = {
        "access_key": FAKE_KEY,
        "secret_key": ZERO_UUID,
        "project_id": ZERO_UUID,
        "region": REGION,
        "zone": ZONE,
        "api_url": api_url,
        "retry": FAST_RETRY,
        "rate_per_s": 1000.0,
        "burst": 100,
        "rate_limit_pause_s": 0.01,
    }
    config = ScalewayConfig(**{**settings, **changes})
    return ScalewayClient(config)


class SimulatedCrash(BaseException):
    """The process died: nothing below the step gets to handle it."""


class CrashingStore(JobStore):
    """A store whose next checkpoint commit can be made to 'crash the process'."""

    crash_next_checkpoint = False

    async def checkpoint(self, *args: Any, **kwargs: Any) -> None:
        if self.crash_next_checkpoint:
            self.crash_next_checkpoint = False
            raise SimulatedCrash
        await super().checkpoint(*args, **kwargs)


@dataclass
class Harness:
    """A sandbox, a client on it, and a job store driven step by step."""

    sandbox: SandboxServer
    client: ScalewayClient
    services: Services
    store: CrashingStore
    clock: ManualClock
    runner: JobRunner

    async def submit(self, operation: str, params: JSON) -> str:
        """Enqueue a job and return its id."""
        job, _ = await self.store.enqueue(operation, params)
        return job.id

    async def step_once(self) -> int:
        """Move the clock to the next due job and run one step of every due job."""
        due = await self.store.next_due_at()
        if due is not None and due > self.clock.now():
            self.clock.advance(due - self.clock.now())
        claimed = await self.store.claim("harness", limit=10, lease_s=30)
        async with anyio.create_task_group() as tg:
            for job in claimed:
                tg.start_soon(self.runner.run, job)
        await anyio.sleep(0.002)  # real time, for the sandbox's lifecycles
        return len(claimed)

    async def run(self, *job_ids: str, max_steps: int = 800) -> list[Job]:
        """Step until every job is finished; their final rows."""
        for _ in range(max_steps):
            jobs = [await self.store.get(i) for i in job_ids]
            if all(j.state.is_terminal for j in jobs):
                return jobs
            await self.step_once()
        raise AssertionError(f"jobs not finished after {max_steps} steps: {jobs}")

    async def run_one(self, operation: str, params: JSON) -> Job:
        """Submit one job and run it to its end."""
        (job,) = await self.run(await self.submit(operation, params))
        return job

    def server_count(self) -> int:
        """Servers that exist in the sandbox now."""
        return len(self.sandbox.state.all("server"))


Session = tuple[Client, Runtime]


@asynccontextmanager
async def mcp_session(settings: Settings, api_url: str) -> AsyncIterator[Session]:
    """A real in-process MCP client on a runtime whose results say they come from the sandbox.

    Polls are scaled down 100x (servers from 20 ms) to match a fast sandbox.
    """
    settings = replace(settings, sandbox=True)
    client = fast_client(api_url)
    services = Services(
        secrets_dir=settings.secrets_dir, scaleway=client, polling=PollSettings().scaled(0.01)
    )
    async with open_runtime(settings, services=services) as runtime:
        async with Client(build_server(runtime)) as session:
            yield session, runtime


def body(result: CallToolResult) -> dict[str, Any]:
    """The envelope of a tool result."""
    assert result.structured_content is not None
    return result.structured_content


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    """Call a tool and return its envelope."""
    return body(await client.call_tool(tool, args))


async def job_count(runtime: Runtime) -> int:
    """How many jobs the runtime's store holds (up to 500)."""
    return len((await runtime.store.list_jobs(limit=500)).jobs)


async def assert_refused_before_any_change(
    session: Session, sandbox: SandboxServer, tool: str, args: dict[str, Any], words: list[str]
) -> None:
    """Calling ``tool`` fails with a message naming ``words``; no POST was sent, no job made."""
    client, runtime = session
    result = await client.call_tool(tool, args)
    assert result.is_error
    message = body(result)["message"]
    assert all(word in message for word in words), message
    assert sandbox.state.calls(method="POST") == 0
    assert (await runtime.store.list_jobs(limit=5)).jobs == []


@pytest.fixture(name="sandbox")
def sandbox_fixture() -> Iterator[SandboxServer]:
    """A fresh sandbox at speed 1000 (a 5 s server start takes 5 ms)."""
    with SandboxServer(speed=1000, seed=0, with_s3=False) as server:
        yield server


@asynccontextmanager
async def open_harness(
    sandbox: SandboxServer,
    tmp_path: Path,
    operations: list[Operation],
    store_class: type[CrashingStore] = CrashingStore,
) -> AsyncIterator[Harness]:
    """``operations`` over the sandbox with a manual-clock job store of ``store_class``.

    The schedules are the real ones, on the manual job clock; the sandbox moves in real
    (fast) time.
    """
    db: Database = create_database(sqlite_url(tmp_path / "jobs.db"))
    await upgrade_database(db)
    clock = ManualClock()
    store = store_class(db, clock=clock)
    client = fast_client(sandbox.api_url)
    services = Services(secrets_dir=tmp_path / "secrets", scaleway=client)
    runner = JobRunner(
        store,
        OperationRegistry(operations),
        owner="harness",
        services=services,
        settings=RunnerSettings(lease_s=30, retry_base_s=0.5, retry_cap_s=2),
    )
    try:
        yield Harness(sandbox, client, services, store, clock, runner)
    finally:
        await services.aclose()
        await db.close()


@pytest.fixture(name="session")
async def session_fixture(
    sandbox: SandboxServer, make_settings: Callable[..., Settings]
) -> AsyncIterator[Session]:
    """An MCP client and its runtime on the sandbox, with a 15 s wait budget."""
    settings = make_settings(SCW_API_URL=sandbox.api_url, SCW_MCP_WAIT_BUDGET_S="15")
    async with mcp_session(settings, sandbox.api_url) as opened:
        yield opened


@pytest.fixture(name="harness")
async def harness_fixture(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[Harness]:
    """Instance and network operations over the sandbox with a manual-clock job store."""
    async with open_harness(sandbox, tmp_path, [*instance.OPERATIONS, *network.OPERATIONS]) as h:
        yield h
