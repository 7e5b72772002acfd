"""Instance operations against the sandbox: create, power, delete, crash safety, errors."""

from __future__ import annotations

import pytest

from jobs.states import JobState
from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    SERVERS_ROUTE,
    ZONE,
    Harness,
    SimulatedCrash,
    harness_fixture,
    sandbox_fixture,
)
from workers.scaleway.instance import resolve_image

pytestmark = pytest.mark.anyio


async def _image(h: Harness, commercial_type: str = "DEV1-S") -> str:
    return await resolve_image(
        h.client, h.services.read_cache, ZONE, "ubuntu_noble", commercial_type
    )


def _create_params(name: str = "web-1", **changes: object) -> dict[str, object]:
    params: dict[str, object] = {
        "zone": ZONE,
        "name": name,
        "commercial_type": "DEV1-S",
        "image": "ubuntu_noble",
        "tags": ["team:web"],
    }
    params.update(changes)
    return params


async def _create(h: Harness, **changes: object) -> str:
    job = await h.run_one("instance.create_server", _create_params(**changes))
    assert job.state is JobState.SUCCEEDED, job.error
    assert job.result is not None
    return str(job.result["id"])


async def test_create_server_runs_tagged_with_its_job_and_reports_ips(harness: Harness) -> None:
    job = await harness.run_one("instance.create_server", _create_params(volume_size_gb=20))

    assert job.state is JobState.SUCCEEDED, job.error
    result = job.result or {}
    assert result["state"] == "running"
    assert result["ips"]["public"], result
    assert "team:web" in result["tags"] and f"job:{job.id}" in result["tags"]
    record = harness.sandbox.state.get("server", result["id"])
    assert record is not None and harness.sandbox.state.status(record) == "running"
    # Polling, not a busy loop: a handful of GETs for a 5 s start.
    gets = harness.sandbox.state.counters.get("GET /instance/v1/zones/{zone}/servers/{server_id}")
    assert gets is not None and gets < 15


async def test_create_without_start_leaves_the_server_stopped(harness: Harness) -> None:
    job = await harness.run_one("instance.create_server", _create_params(start=False))
    assert job.state is JobState.SUCCEEDED, job.error
    assert (job.result or {})["state"] == "stopped"


async def test_crash_between_create_call_and_commit_makes_exactly_one_server(
    harness: Harness,
) -> None:
    job_id = await harness.submit("instance.create_server", _create_params())
    # Claimed by the runner that will crash (as its process would have).
    (job,) = await harness.store.claim(harness.runner.owner, limit=1, lease_s=30)
    harness.store.crash_next_checkpoint = True  # dies right after POST /servers returned
    with pytest.raises((SimulatedCrash, BaseExceptionGroup)):
        await harness.runner.run(job)
    assert harness.sandbox.state.created("server") == 1
    assert "server_id" not in (await harness.store.get(job_id)).checkpoint

    harness.clock.advance(31)  # the dead process's lease expires; another worker resumes
    (final,) = await harness.run(job_id)

    assert final.state is JobState.SUCCEEDED, final.error
    assert harness.sandbox.state.created("server") == 1
    assert harness.sandbox.state.counters[SERVERS_ROUTE] == 1
    assert (final.result or {})["state"] == "running"


async def test_progress_shows_last_observed_state_and_elapsed_time(harness: Harness) -> None:
    harness.sandbox.state.speed = 1.0  # a real 5 s start: the job must wait at least once
    job_id = await harness.submit("instance.create_server", _create_params())
    await harness.step_once()
    job = await harness.store.get(job_id)
    assert job.state is JobState.WAITING
    assert job.progress.phase == "starting"
    assert "starting" in job.progress.message and "elapsed" in job.progress.message
    assert job.run_after_at - harness.clock.now() == pytest.approx(2.0)  # servers poll from 2 s


async def test_stop_then_start_are_idempotent(harness: Harness) -> None:
    server_id = await _create(harness)
    ref = {"zone": ZONE, "server_id": server_id}
    actions = "POST /instance/v1/zones/{zone}/servers/{server_id}/action"

    stopped = await harness.run_one("instance.stop_server", ref)
    assert stopped.state is JobState.SUCCEEDED, stopped.error
    assert (stopped.result or {})["state"] == "stopped"
    assert (stopped.result or {})["already"] is False
    sent = harness.sandbox.state.counters[actions]

    again = await harness.run_one("instance.stop_server", ref)
    assert again.state is JobState.SUCCEEDED
    assert (again.result or {})["already"] is True
    assert harness.sandbox.state.counters[actions] == sent  # no second poweroff

    started = await harness.run_one("instance.start_server", ref)
    assert (started.result or {})["state"] == "running"


async def test_delete_running_server_removes_it_with_volumes_and_ips(harness: Harness) -> None:
    server_id = await _create(harness)
    state = harness.sandbox.state
    assert len(state.all("volume")) == 1 and len(state.all("ip")) == 1

    job = await harness.run_one("instance.delete_server", {"zone": ZONE, "server_id": server_id})

    assert job.state is JobState.SUCCEEDED, job.error
    assert harness.server_count() == 0
    assert state.all("volume") == [] and state.all("ip") == []
    result = job.result or {}
    assert result["deleted"] == server_id and len(result["deleted_volumes"]) == 1


async def test_delete_can_keep_volumes_and_ips(harness: Harness) -> None:
    server_id = await _create(harness, start=False)
    job = await harness.run_one(
        "instance.delete_server",
        {"zone": ZONE, "server_id": server_id, "delete_volumes": False, "delete_ips": False},
    )
    assert job.state is JobState.SUCCEEDED, job.error
    state = harness.sandbox.state
    assert harness.server_count() == 0
    assert len(state.all("volume")) == 1 and len(state.all("ip")) == 1


async def test_delete_missing_server_fails_naming_it(harness: Harness) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    job = await harness.run_one("instance.delete_server", {"zone": ZONE, "server_id": missing})
    assert job.state is JobState.FAILED
    assert missing in (job.error or "") and "not found" in (job.error or "")


async def test_delete_protected_server_fails_without_touching_it(harness: Harness) -> None:
    server_id = await _create(harness)
    record = harness.sandbox.state.get("server", server_id)
    assert record is not None
    record.data["protected"] = True
    job = await harness.run_one("instance.delete_server", {"zone": ZONE, "server_id": server_id})
    assert job.state is JobState.FAILED
    assert "protected" in (job.error or "")
    assert harness.sandbox.state.status(record) == "running"


async def test_quota_exceeded_fails_with_the_quota(harness: Harness) -> None:
    harness.sandbox.state.quotas["server"] = 1
    await _create(harness, start=False)
    job = await harness.run_one("instance.create_server", _create_params("web-2"))
    assert job.state is JobState.FAILED
    assert "quota" in (job.error or "") and "instances_servers_per_zone" in (job.error or "")
    assert harness.server_count() == 1


async def test_api_400_details_name_the_field(harness: Harness) -> None:
    x86_image = await _image(harness)
    job = await harness.run_one(
        "instance.create_server", _create_params(commercial_type="COPARM1-2C-8G", image=x86_image)
    )
    assert job.state is JobState.FAILED
    assert "image" in (job.error or "") and "arch" in (job.error or "")
    assert harness.sandbox.state.counters[SERVERS_ROUTE] == 1  # a 400 is not retried


async def test_a_commercial_type_the_api_refuses_fails_the_job_naming_the_field(
    harness: Harness,
) -> None:
    # The tool checks the type (listing the zone's) before any job; the operation does not
    # look it up again, so what still gets through fails with the API's own answer.
    job = await harness.run_one("instance.create_server", _create_params(commercial_type="XL9"))
    assert job.state is JobState.FAILED
    assert "commercial_type" in (job.error or "") and "XL9" in (job.error or "")
    assert harness.sandbox.state.created("server") == 0
    assert harness.sandbox.state.counters[SERVERS_ROUTE] == 1  # a 400 is not retried


async def test_jobs_succeed_through_injected_429_and_503(
    harness: Harness, sandbox: SandboxServer
) -> None:
    sandbox.state.faults.add("*", "429", rate=0.1)
    sandbox.state.faults.add("*", "503", rate=0.1)
    creates = [
        await harness.submit("instance.create_server", _create_params(f"web-{i}")) for i in range(4)
    ]
    jobs = await harness.run(*creates)
    assert all(j.state is JobState.SUCCEEDED for j in jobs), [j.error for j in jobs]
    assert sandbox.state.created("server") == 4
    deletes = [
        await harness.submit(
            "instance.delete_server", {"zone": ZONE, "server_id": (j.result or {})["id"]}
        )
        for j in jobs
    ]
    jobs = await harness.run(*deletes)
    assert all(j.state is JobState.SUCCEEDED for j in jobs), [j.error for j in jobs]
    assert harness.server_count() == 0
    assert sum(rule["fired"] for rule in sandbox.state.faults.rules()) > 5


async def test_cancelled_create_names_the_server_it_made(harness: Harness) -> None:
    harness.sandbox.state.speed = 1.0  # slow enough to cancel while it starts
    job_id = await harness.submit("instance.create_server", _create_params())
    await harness.step_once()
    await harness.store.request_cancel(job_id)
    (job,) = await harness.run(job_id)
    assert job.state is JobState.CANCELLED
    # A waiting job is cancelled by the store itself: its result carries the checkpoint.
    assert (job.result or {})["checkpoint"]["server_id"] == job.checkpoint["server_id"]
    assert harness.server_count() == 1  # reported, not silently left behind


async def test_list_filter_by_stopped_in_place_state(harness: Harness) -> None:
    server_id = await _create(harness)
    client = harness.client
    await client.call(
        client.instance.server_action, zone=ZONE, server_id=server_id, action="stop_in_place"
    )
    harness.sandbox.state.force_status("server", server_id, "stopped in place")
    found = await client.call(client.instance.list_servers, zone=ZONE, state="stopped in place")
    assert [s.id for s in found.servers] == [server_id]
