"""RDB backups, users and logical databases through the official SDK."""

from __future__ import annotations

import pytest
import scaleway
from scaleway.rdb.v1 import RdbV1API
from scaleway_core.api import ScalewayException

from sandbox.lifecycle import ManualClock
from tests.sandbox.test_rdb import create


def _ready(api: RdbV1API, clock: ManualClock) -> str:
    db = create(api, name="orders", user_name="owner")
    clock.advance(45 + 152)
    assert api.get_instance(instance_id=db.id).status == "ready"
    return db.id


def test_backup_goes_creating_then_ready_and_is_listed(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = RdbV1API(mclient)
    iid = _ready(api, clock)
    backup = api.create_database_backup(instance_id=iid, database_name="rdb", name="nightly")
    assert backup.status == "creating" and backup.instance_name == "orders"
    clock.advance(20)
    ready = api.get_database_backup(database_backup_id=backup.id)
    assert ready.status == "ready" and ready.size
    listed = api.list_database_backups(instance_id=iid)
    assert [b.id for b in listed.database_backups] == [backup.id] and listed.total_count == 1


def test_backup_of_an_unknown_database_or_a_busy_instance_is_refused(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = RdbV1API(mclient)
    busy = create(api)
    with pytest.raises(ScalewayException) as exc:
        api.create_database_backup(instance_id=busy.id, database_name="rdb", name="b")
    assert exc.value.status_code == 409
    iid = _ready(api, clock)
    with pytest.raises(ScalewayException) as exc:
        api.create_database_backup(instance_id=iid, database_name="nope", name="b")
    assert exc.value.status_code == 404


def test_users_start_with_the_first_user_and_names_are_unique(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = RdbV1API(mclient)
    iid = _ready(api, clock)
    user = api.create_user(
        instance_id=iid, name="reporting", password="Rep0rt!ng-pw", is_admin=False
    )
    assert (user.name, user.is_admin) == ("reporting", False)
    names = [(u.name, u.is_admin) for u in api.list_users(instance_id=iid).users]
    assert names == [("owner", True), ("reporting", False)]
    with pytest.raises(ScalewayException) as exc:
        api.create_user(instance_id=iid, name="reporting", password="Rep0rt!ng-pw", is_admin=False)
    assert exc.value.status_code == 409
    with pytest.raises(ScalewayException) as exc:
        api.create_user(instance_id=iid, name="weak", password="weak", is_admin=False)
    assert exc.value.status_code == 400


def test_logical_databases_start_with_rdb(mclient: scaleway.Client, clock: ManualClock) -> None:
    api = RdbV1API(mclient)
    iid = _ready(api, clock)
    created = api.create_database(instance_id=iid, name="shop")
    assert created.name == "shop" and created.managed
    listed = api.list_databases(instance_id=iid)
    assert [d.name for d in listed.databases] == ["rdb", "shop"]
    with pytest.raises(ScalewayException) as exc:
        api.create_database(instance_id=iid, name="shop")
    assert exc.value.status_code == 409
