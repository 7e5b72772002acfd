"""Monitoring operations against the sandbox, one step at a time: Cockpit's alert rules and
contact points, and watches that record each status change of a server, a cluster or a
database until their condition holds, their time is up or the resource goes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jobs.states import JobState
from sandbox.api.cockpit_rules import RULES
from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    MISSING,
    REGION,
    ZONE,
    Harness,
    open_harness,
    sandbox_fixture,
)
from workers.operations import instance, monitoring, watch
from workers.scaleway.watched import GONE, WatchKind, statuses

pytestmark = pytest.mark.anyio
CONTACT_POINTS = "POST /cockpit/v1/regions/{region}/alert-manager/contact-points"


@pytest.fixture
async def harness(sandbox: SandboxServer, tmp_path: Path) -> AsyncIterator[Harness]:
    operations = [*instance.OPERATIONS, *monitoring.OPERATIONS, *watch.OPERATIONS]
    async with open_harness(sandbox, tmp_path, operations) as h:
        yield h


async def _server(h: Harness, *, start: bool) -> str:
    params = {
        "zone": ZONE,
        "name": "web-1",
        "commercial_type": "DEV1-S",
        "image": "ubuntu_noble",
        "start": start,
    }
    job = await h.run_one("instance.create_server", params)
    assert job.state is JobState.SUCCEEDED, job.error
    return str((job.result or {})["id"])


def _watch(kind: str, resource_id: str, place: str, **changes: object) -> dict[str, object]:
    params: dict[str, object] = {
        "kind": kind,
        "resource_id": resource_id,
        "place": place,
        "interval_s": 5,
        "max_duration_s": 3600,
    }
    return {**params, **changes}


async def _messages(h: Harness, job_id: str) -> list[str]:
    events = await h.store.events(job_id, limit=100)
    return [e.message for e in events if e.kind == "progress"]


async def test_enabling_rules_turns_the_alert_manager_on_first(harness: Harness) -> None:
    params = {"region": REGION, "rule_ids": [RULES[0].id, RULES[3].id]}
    job = await harness.run_one("monitoring.enable_alert_rules", params)
    assert job.state is JobState.SUCCEEDED, job.error
    result = job.result or {}
    assert result["alert_manager_enabled_now"] is True
    assert result["alert_manager"]["alert_manager_enabled"] is True
    assert result["newly_enabled_rule_ids"] == [RULES[0].id, RULES[3].id]
    assert {r["rule_id"]: r["rule_status"] for r in result["rules"]} == {
        RULES[0].id: "enabled",
        RULES[3].id: "enabled",
    }

    again = await harness.run_one("monitoring.enable_alert_rules", {"region": REGION})
    result = again.result or {}
    assert result["alert_manager_enabled_now"] is False
    assert sorted(result["newly_enabled_rule_ids"]) == sorted(r.id for r in RULES[1:3] + RULES[4:])
    assert {r["rule_status"] for r in result["rules"]} == {"enabled"}


async def test_a_contact_point_whose_answer_was_lost_is_created_once(harness: Harness) -> None:
    harness.sandbox.state.faults.add(CONTACT_POINTS, "commit_then_drop", times=1)
    params = {"region": REGION, "email": "ops@example.com"}
    job = await harness.run_one("monitoring.create_contact_point", params)
    assert job.state is JobState.SUCCEEDED, job.error
    assert (job.result or {})["contact_point"]["email"] == "ops@example.com"
    assert harness.sandbox.state.counters[CONTACT_POINTS] == 1
    points = await harness.client.call(
        harness.client.cockpit.list_contact_points_all, region=REGION
    )
    assert [p.email.to for p in points] == ["ops@example.com"]

    deleted = await harness.run_one("monitoring.delete_contact_point", params)
    assert deleted.state is JobState.SUCCEEDED
    again = await harness.run_one("monitoring.delete_contact_point", params)
    assert again.state is JobState.SUCCEEDED  # already gone: nothing left to do


async def test_a_watch_records_a_server_going_from_stopped_to_running_then_ends(
    harness: Harness,
) -> None:
    h = harness
    server_id = await _server(h, start=False)
    watch_id = await h.submit(
        "monitoring.watch_resource", _watch("server", server_id, ZONE, until="running")
    )
    await h.step_once()
    first = await h.store.get(watch_id)
    assert first.state is JobState.WAITING
    assert first.checkpoint["status"] == "stopped"
    assert first.run_after_at - h.clock.now() == pytest.approx(5.0)
    # A poll that sees no change records nothing new.
    await h.step_once()
    assert await _messages(h, watch_id) == ["server web-1 is stopped"]

    start_id = await h.submit("instance.start_server", {"zone": ZONE, "server_id": server_id})
    final, started = await h.run(watch_id, start_id)
    assert started.state is JobState.SUCCEEDED, started.error
    assert final.state is JobState.SUCCEEDED, final.error
    result = final.result or {}
    assert result["outcome"] == "reached" and result["status"] == "running"
    seen = [c["to"] for c in result["changes"]]
    assert seen[0] == "stopped" and seen[-1] == "running"
    assert result["changes"][1]["from"] == "stopped"
    messages = await _messages(h, watch_id)
    assert messages[0] == "server web-1 is stopped"
    assert messages[-1].endswith("-> running") and len(messages) == len(seen)


async def test_a_cluster_leaving_ready_ends_the_watch_with_an_alert(harness: Harness) -> None:
    h = harness
    cluster = await h.client.call(
        h.client.k8s.create_cluster,
        region=REGION,
        type_="kapsule",
        name="prod",
        version="1.35.3",
        cni="cilium",
        description="",
        pools=[],
        private_network_id=None,
    )
    h.sandbox.state.force_status("cluster", cluster.id, "ready")
    watch_id = await h.submit(
        "monitoring.watch_resource", _watch("cluster", cluster.id, REGION, alert_if_leaves="ready")
    )
    await h.step_once()
    assert (await h.store.get(watch_id)).state is JobState.WAITING
    h.sandbox.state.force_status("cluster", cluster.id, "updating")
    (final,) = await h.run(watch_id)
    assert final.state is JobState.SUCCEEDED
    result = final.result or {}
    assert result["outcome"] == "alert" and "left ready" in result["message"]
    events = await h.store.events(watch_id, limit=100)
    alerts = [e.message for e in events if e.kind == "progress" and "alert" in e.message]
    assert alerts == ["alert: cluster prod left ready: ready -> updating"]


async def test_a_watch_ends_at_its_maximum_duration(harness: Harness) -> None:
    h = harness
    server_id = await _server(h, start=False)
    params = _watch("server", server_id, ZONE, max_duration_s=60, interval_s=20)
    (plain,) = await h.run(await h.submit("monitoring.watch_resource", params))
    assert plain.state is JobState.SUCCEEDED
    assert (plain.result or {})["outcome"] == "expired"
    assert (plain.result or {})["polls"] == 4  # at 0, 20, 40 and 60 s of the job's clock

    waiting = {**params, "until": "running"}
    (never,) = await h.run(await h.submit("monitoring.watch_resource", waiting))
    assert never.state is JobState.FAILED
    assert "still stopped after 60s, never running" in (never.error or "")


async def test_a_watched_resource_that_goes_ends_the_watch(harness: Harness) -> None:
    h = harness
    server_id = await _server(h, start=False)
    watch_id = await h.submit("monitoring.watch_resource", _watch("server", server_id, ZONE))
    await h.step_once()
    delete_id = await h.submit("instance.delete_server", {"zone": ZONE, "server_id": server_id})
    final, _ = await h.run(watch_id, delete_id)
    assert final.state is JobState.SUCCEEDED
    assert (final.result or {})["outcome"] == "gone"
    assert (final.result or {})["changes"][-1]["to"] == "gone"


async def test_a_database_watch_survives_failing_polls(harness: Harness) -> None:
    h = harness
    database = await h.client.call(
        h.client.rdb.create_instance,
        region=REGION,
        engine="PostgreSQL-15",
        user_name="admin",
        password="Sandb0x!pass",
        node_type="db-dev-s",
        is_ha_cluster=False,
        disable_backup=True,
        backup_same_region=False,
        volume_type="sbs_5k",
        volume_size=10_000_000_000,
        name="orders",
    )
    h.sandbox.state.force_status("rdb_instance", database.id, "ready")
    h.sandbox.state.faults.add(
        "GET /rdb/v1/regions/{region}/instances/{instance_id}", "503", times=8
    )
    job_id = await h.submit(
        "monitoring.watch_resource", _watch("database", database.id, REGION, until="ready")
    )
    (final,) = await h.run(job_id)
    assert final.state is JobState.SUCCEEDED, final.error
    assert (final.result or {})["outcome"] == "reached"
    assert final.attempts == 0  # the failed polls were waited out, not counted as failures


async def test_between_polls_the_progress_names_the_status_and_the_last_change(
    harness: Harness,
) -> None:
    h = harness
    server_id = await _server(h, start=False)
    watch_id = await h.submit("monitoring.watch_resource", _watch("server", server_id, ZONE))
    await h.step_once()
    (started,) = await h.run(
        await h.submit("instance.start_server", {"zone": ZONE, "server_id": server_id})
    )
    assert started.state is JobState.SUCCEEDED
    for _ in range(5):
        await h.step_once()
    job = await h.store.get(watch_id)
    assert job.state is JobState.WAITING and job.checkpoint["status"] == "running"
    assert job.progress.message.startswith("server web-1 is running (was ")
    assert f"{job.checkpoint['changes_total']} change(s) seen since" in job.progress.message


@pytest.mark.parametrize(
    ("kind", "place", "a_status", "route"),
    [
        ("server", ZONE, "stopped in place", "/instance/v1/zones/{zone}/servers/"),
        ("cluster", REGION, "pool_required", "/k8s/v1/regions/{region}/clusters/"),
        ("pool", REGION, "scaling", "/k8s/v1/regions/{region}/pools/"),
        ("database", REGION, "disk_full", "/rdb/v1/regions/{region}/instances/"),
        ("load_balancer", ZONE, "migrating", "/lb/v1/zones/{zone}/lbs/"),
    ],
)
async def test_every_kind_reads_its_resource_and_knows_its_statuses(
    harness: Harness, kind: str, place: str, a_status: str, route: str
) -> None:
    assert a_status in statuses(WatchKind(kind)) and GONE in statuses(WatchKind(kind))
    (job,) = await harness.run(
        await harness.submit("monitoring.watch_resource", _watch(kind, MISSING, place))
    )
    assert job.state is JobState.SUCCEEDED, job.error
    assert (job.result or {})["outcome"] == "gone"
    assert harness.sandbox.state.calls(method="GET", path_prefix=route) >= 1


async def test_a_watch_for_ready_fails_at_once_when_the_database_is_in_error(
    harness: Harness,
) -> None:
    h = harness
    database = await h.client.call(
        h.client.rdb.create_instance,
        region=REGION,
        engine="PostgreSQL-15",
        user_name="admin",
        password="Sandb0x!pass",
        node_type="db-dev-s",
        is_ha_cluster=False,
        disable_backup=True,
        backup_same_region=False,
        volume_type="sbs_5k",
        volume_size=10_000_000_000,
        name="orders",
    )
    h.sandbox.state.force_status("rdb_instance", database.id, "error")
    params = _watch("database", database.id, REGION, until="ready")
    (job,) = await h.run(await h.submit("monitoring.watch_resource", params))
    assert job.state is JobState.FAILED
    assert "database orders is 'error'" in (job.error or "")
    assert "will not become ready without help" in (job.error or "")
    assert (await h.store.get(job.id)).checkpoint["polls"] == 1  # no waiting out the hour
