"""Cluster, database and namespace operations against the sandbox, one step at a time.

A process "dies" right after the create call answered and before its id was committed: the
resumed job finds its tagged resource and never makes a second one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from jobs.states import JobState
from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    CrashingStore,
    Harness,
    SimulatedCrash,
    open_harness,
    sandbox_fixture,
)
from workers.operations import database, k8s, registry
from workers.secret_files import write_secret

pytestmark = pytest.mark.anyio
REGION = "fr-par"


class CrashAfterCreate(CrashingStore):
    """Dies at the first checkpoint commit that would record ``key`` (a created id)."""

    key = ""

    async def checkpoint(self, job_id: str, owner: str, checkpoint: Any, **kw: Any) -> None:
        if self.key and self.key in checkpoint:
            self.key = ""
            raise SimulatedCrash
        await super().checkpoint(job_id, owner, checkpoint, **kw)


@pytest.fixture
async def harness(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[Harness]:
    operations = [*k8s.OPERATIONS, *database.OPERATIONS, *registry.OPERATIONS]
    async with open_harness(sandbox, tmp_path, operations, CrashAfterCreate) as h:
        yield h


async def _crash_then_finish(h: Harness, operation: str, params: Any, key: str) -> Any:
    job_id = await h.submit(operation, params)
    assert isinstance(h.store, CrashAfterCreate)
    h.store.key = key
    for _ in range(5):  # the first process works until it dies mid-commit
        (job,) = await h.store.claim("harness", limit=1, lease_s=30)
        try:
            await h.runner.run(job)
        except (SimulatedCrash, BaseExceptionGroup):
            break
    assert key not in (await h.store.get(job_id)).checkpoint
    h.clock.advance(31)  # the dead process's lease expires; another worker resumes
    (final,) = await h.run(job_id)
    assert final.state is JobState.SUCCEEDED, final.error
    return final


async def test_crash_after_cluster_create_makes_exactly_one_cluster(harness: Harness) -> None:
    h = harness
    params = {"region": REGION, "name": "prod", "version": "1.35.3", "node_type": "DEV1-M"}
    final = await _crash_then_finish(h, "k8s.create_cluster", params, "cluster_id")
    assert h.sandbox.state.created("cluster") == 1
    assert h.sandbox.state.counters["POST /k8s/v1/regions/{region}/clusters"] == 1
    assert h.sandbox.state.created("private_network") == 1
    assert final.result["pool"]["nodes"] == {"total": 1, "ready": 1}


async def test_crash_after_network_create_makes_exactly_one_network(harness: Harness) -> None:
    h = harness
    params = {"region": REGION, "name": "prod", "version": "1.35.3", "node_type": "DEV1-M"}
    await _crash_then_finish(h, "k8s.create_cluster", params, "private_network_id")
    assert h.sandbox.state.created("private_network") == 1
    assert h.sandbox.state.created("cluster") == 1


async def test_crash_after_database_create_makes_exactly_one_instance(
    harness: Harness, tmp_path: Path
) -> None:
    h = harness
    secret = write_secret(tmp_path / "secrets" / "pw.txt", "Canary-Pw-7731!")
    params = {
        "region": REGION,
        "name": "orders",
        "engine": "PostgreSQL-16",
        "node_type": "db-dev-s",
        "user_name": "admin",
        "password_file": str(secret),
        "password_generated": False,
    }
    final = await _crash_then_finish(h, "rdb.create_database", params, "instance_id")
    assert final.result["status"] == "ready"
    assert h.sandbox.state.created("rdb_instance") == 1
    assert not secret.exists()  # a given password leaves the disk once the instance exists


async def test_crash_after_namespace_create_makes_exactly_one_namespace(harness: Harness) -> None:
    h = harness
    params = {"region": REGION, "name": "team-web"}
    final = await _crash_then_finish(h, "registry.create_namespace", params, "namespace_id")
    assert final.result["name"] == "team-web"
    assert h.sandbox.state.created("registry_namespace") == 1


async def test_pool_forced_into_error_fails_the_job(harness: Harness) -> None:
    h = harness
    params = {"region": REGION, "name": "prod", "version": "1.35.3", "node_type": "DEV1-M"}
    job_id = await h.submit("k8s.create_cluster", params)
    for _ in range(50):
        await h.step_once()
        if "cluster" in (await h.store.get(job_id)).checkpoint:
            break
    (pool,) = h.sandbox.state.all("pool")
    h.sandbox.state.force_status("pool", pool.id, "warning")
    (final,) = await h.run(job_id)
    assert final.state is JobState.FAILED
    assert "'warning'" in (final.error or "") and "delete_cluster" in (final.error or "")
