"""The assembled runtime, on each job-store backend: a job goes from enqueue to done."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import pytest

from jobs.states import JobState
from mcp_front.config import Settings
from mcp_front.runtime import Runtime, open_runtime

pytestmark = pytest.mark.anyio


@pytest.fixture
async def runtime(
    make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[Runtime]:
    """The shared runtime fixture's runtime, on ``database_url``."""
    settings = make_settings(
        SCW_MCP_EXTRA_OPERATIONS="tests.support.counting_ops", SCW_MCP_DATABASE_URL=database_url
    )
    async with open_runtime(settings) as rt:
        yield rt


async def test_runtime_runs_a_polling_job_to_success_with_each_side_effect_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    log = tmp_path / "effects.log"
    job, created = await runtime.store.enqueue(
        "test.count",
        runtime.registry.validate("test.count", {"log_path": str(log), "polls": 3}),
    )
    assert created

    with anyio.fail_after(10):  # a safety net, not a timing assertion
        while not (current := await runtime.store.get(job.id)).state.is_terminal:
            await runtime.store.signals.wait_job_changed(job.id, 1)

    assert current.state is JobState.SUCCEEDED
    assert current.result == {"polls": 3, "job": job.id}
    assert log.read_text().splitlines() == [
        f"{job.id} create",
        f"{job.id} poll 1 after 0",
        f"{job.id} poll 2 after 1",
        f"{job.id} poll 3 after 2",
    ]
    kinds = [e.kind for e in await runtime.store.events(job.id, limit=100)]
    assert kinds.count("waiting") == 3
    assert kinds[-1] == "succeeded"


async def test_runtime_fails_a_permanent_failure_at_once(runtime: Runtime, tmp_path: Path) -> None:
    params = {"log_path": str(tmp_path / "x.log"), "permanent_failure": True}
    job, _ = await runtime.store.enqueue("test.count", params)

    with anyio.fail_after(10):
        while not (current := await runtime.store.get(job.id)).state.is_terminal:
            await runtime.store.signals.wait_job_changed(job.id, 1)

    assert current.state is JobState.FAILED
    assert current.error == "the test asked for a permanent failure"
    assert current.attempts == 0
