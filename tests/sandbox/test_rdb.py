"""Managed Database v1 through the official SDK: lifecycle, endpoint, update, delete, offers."""

from __future__ import annotations

import httpx
import pytest
import scaleway
from scaleway.rdb.v1 import RdbV1API
from scaleway_core.api import ScalewayException

from sandbox.lifecycle import ManualClock


def create(api: RdbV1API, **kw: object):
    args = {
        "engine": "PostgreSQL-15",
        "user_name": "admin",
        "password": "Sandb0x!pass",
        "node_type": "db-dev-s",
        "is_ha_cluster": False,
        "disable_backup": True,
        "volume_size": 0,
        "backup_same_region": False,
        **kw,
    }
    return api.create_instance(**args)  # type: ignore[arg-type]


def test_instance_provisioning_initializing_ready(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = RdbV1API(mclient)
    db = create(api, name="orders", tags=["job:db"])
    assert (db.status, db.endpoint, db.endpoints, db.settings) == ("provisioning", None, [], [])
    assert db.volume.size == 5_000_000_000 and db.volume.type_ == "lssd"
    clock.advance(45)
    initializing = api.get_instance(instance_id=db.id)
    assert initializing.status == "initializing" and initializing.endpoint is None
    assert initializing.settings  # settings fill in during initializing
    clock.advance(152)
    ready = api.get_instance(instance_id=db.id)
    assert ready.status == "ready"
    assert ready.endpoint is not None and ready.endpoint.port > 0 and ready.endpoint.ip
    assert ready.endpoints[0].id == ready.endpoint.id
    updated = api.update_instance(instance_id=db.id, tags=["job:db", "x"])
    assert updated.status == "configuring" and updated.tags == ["job:db", "x"]
    clock.advance(15)
    assert api.get_instance(instance_id=db.id).status == "ready"


def test_update_while_provisioning_is_transient_state(
    mhttp: httpx.Client, mclient: scaleway.Client
) -> None:
    db = create(RdbV1API(mclient))
    r = mhttp.patch(f"/rdb/v1/regions/fr-par/instances/{db.id}", json={"name": "n"})
    assert r.status_code == 409
    assert r.json()["type"] == "transient_state" and r.json()["current_state"] == "provisioning"


def test_delete_answers_deleting_then_404(
    mclient: scaleway.Client, mhttp: httpx.Client, clock: ManualClock
) -> None:
    api = RdbV1API(mclient)
    db = create(api)
    clock.advance(197)
    deleting = api.delete_instance(instance_id=db.id)
    assert deleting.status == "deleting" and deleting.endpoint is not None
    clock.advance(15)
    gone = mhttp.get(f"/rdb/v1/regions/fr-par/instances/{db.id}")
    assert gone.status_code == 404
    assert gone.json() == {
        "message": "resource is not found",
        "resource": "instance",
        "resource_id": db.id,
        "type": "not_found",
    }


def test_sdk_wait_for_instance(client: scaleway.Client) -> None:
    api = RdbV1API(client)
    db = create(api)
    assert api.wait_for_instance(instance_id=db.id).status == "ready"


def test_list_filters_tags_name_project(client: scaleway.Client) -> None:
    api = RdbV1API(client)
    a = create(api, name="alpha-db", tags=["job:1"])
    create(api, name="beta-db", tags=["job:2"], engine="MySQL-8")
    assert [i.id for i in api.list_instances(tags=["job:1"]).instances] == [a.id]
    assert [i.id for i in api.list_instances(name="alpha").instances] == [a.id]
    everything = api.list_instances()
    assert everything.total_count == 2
    other = api.list_instances(project_id="11111111-1111-1111-1111-111111111111")
    assert other.total_count == 0


def test_engines_and_node_types(client: scaleway.Client) -> None:
    api = RdbV1API(client)
    engines = {e.name: [v.name for v in e.versions] for e in api.list_database_engines().engines}
    assert engines["PostgreSQL"][0] == "PostgreSQL-17"  # seen on the real API in 2026
    assert "PostgreSQL-15" in engines["PostgreSQL"] and engines["MySQL"] == ["MySQL-8"]
    node_types = [t.name for t in api.list_node_types(include_disabled_types=False).node_types]
    assert "db-dev-s" in node_types


def test_bad_instance_input(client: scaleway.Client) -> None:
    with pytest.raises(ScalewayException) as bad:
        create(RdbV1API(client), password="short", engine="Oracle-1")
    details = bad.value.response.json()["details"]
    assert {d["argument_name"] for d in details} == {"password", "engine"}
    assert all(d["reason"] == "constraint" for d in details)


def test_fail_tag_puts_instance_in_error(mclient: scaleway.Client, clock: ManualClock) -> None:
    api = RdbV1API(mclient)
    db = create(api, tags=["sandbox:fail=error"])
    clock.advance(300)
    failed = api.get_instance(instance_id=db.id)
    assert failed.status == "error" and failed.endpoint is None
