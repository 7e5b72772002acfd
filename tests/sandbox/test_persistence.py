"""A sandbox with a state file: a second sandbox on the same file finds the same cloud."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest

from sandbox.lifecycle import ManualClock
from sandbox.server import SandboxServer
from sandbox.state import Record
from sandbox.store import FORMAT_VERSION, StateFileError
from tests.sandbox.conftest import ZERO

SERVERS = "/instance/v1/zones/fr-par-1/servers"
CLUSTERS = "/k8s/v1/regions/fr-par/clusters"
NETWORKS = "/vpc/v2/regions/fr-par/private-networks"
DATABASES = "/rdb/v1/regions/fr-par/instances"
NAMESPACES = "/registry/v1/regions/fr-par/namespaces"
POOL = {"name": "default", "node_type": "DEV1-M", "size": 1}


@contextmanager
def running(path: Path, clock: ManualClock) -> Iterator[httpx.Client]:
    """A sandbox at real speed on ``clock``, keeping its state in ``path``."""
    with SandboxServer(speed=1, with_s3=False, clock=clock, state_path=path) as sb:
        with httpx.Client(base_url=sb.api_url, headers={"X-Auth-Token": ZERO}) as http:
            yield http


def _record(sb: SandboxServer, kind: str, data: dict[str, object]) -> Record:
    """A record of any kind, pending for 60 s then ready, tagged ``job:1``."""
    return Record(
        kind=kind,
        id=sb.state.new_id(),
        location="fr-par-1",
        project_id=ZERO,
        name="front",
        tags=["job:1"],
        created_at=sb.state.now(),
        timeline=sb.state.plan([("pending", 60.0), ("ready", None)]),
        data=data,
    )


def _create_one_of_each(http: httpx.Client) -> dict[str, str]:
    server = http.post(SERVERS, json={"commercial_type": "DEV1-S", "image": "ubuntu_jammy"})
    network = http.post(NETWORKS, json={"name": "net", "project_id": ZERO})
    cluster = http.post(
        CLUSTERS,
        json={"name": "kube", "version": "1.35.3", "cni": "cilium", "pools": [POOL]},
    )
    database = http.post(
        DATABASES,
        json={
            "name": "db",
            "engine": "PostgreSQL-15",
            "user_name": "admin",
            "password": "Sandb0x!pass",
            "node_type": "db-dev-s",
        },
    )
    namespace = http.post(NAMESPACES, json={"name": "images", "project_id": ZERO})
    for answer in (server, network, cluster, database, namespace):
        assert answer.status_code in (200, 201), answer.text
    return {
        "server": server.json()["server"]["id"],
        "network": network.json()["id"],
        "cluster": cluster.json()["id"],
        "database": database.json()["id"],
        "namespace": namespace.json()["id"],
    }


def test_a_restarted_sandbox_finds_every_resource_with_its_timing(tmp_path: Path) -> None:
    clock, path = ManualClock(), tmp_path / "cloud.db"
    with running(path, clock) as http:
        ids = _create_one_of_each(http)
        clock.advance(30)
        assert http.get(f"{CLUSTERS}/{ids['cluster']}").json()["status"] == "creating"
    clock.advance(30)  # the gap while nothing runs
    with running(path, clock) as http:
        assert http.get(f"{SERVERS}/{ids['server']}").json()["server"]["state"] == "stopped"
        assert http.get(f"{NETWORKS}/{ids['network']}").json()["name"] == "net"
        assert http.get(f"{NAMESPACES}/{ids['namespace']}").json()["status"] == "ready"
        # 60 s into a 90 s creation, and past a 45 s provisioning: each where its clock says.
        assert http.get(f"{CLUSTERS}/{ids['cluster']}").json()["status"] == "creating"
        assert http.get(f"{DATABASES}/{ids['database']}").json()["status"] == "initializing"
        clock.advance(31)
        assert http.get(f"{CLUSTERS}/{ids['cluster']}").json()["status"] == "ready"
        clock.advance(200)
        assert http.get(f"{DATABASES}/{ids['database']}").json()["status"] == "ready"
        listed = http.get(CLUSTERS).json()
        assert [c["id"] for c in listed["clusters"]] == [ids["cluster"]]
        pools = http.get(f"{CLUSTERS}/{ids['cluster']}/pools").json()["pools"]
        assert [p["name"] for p in pools] == ["default"]


def test_a_deletion_finishing_while_stopped_is_gone_after_restart(tmp_path: Path) -> None:
    clock, path = ManualClock(), tmp_path / "cloud.db"
    with running(path, clock) as http:
        ids = _create_one_of_each(http)
        clock.advance(300)
        deleted = http.delete(
            f"{CLUSTERS}/{ids['cluster']}", params={"with_additional_resources": "true"}
        )
        assert deleted.json()["status"] == "deleting"
        assert http.delete(f"{NETWORKS}/{ids['network']}").status_code == 204
    clock.advance(600)
    with running(path, clock) as http:
        assert http.get(f"{CLUSTERS}/{ids['cluster']}").status_code == 404
        assert http.get(f"{NETWORKS}/{ids['network']}").status_code == 404
        assert http.get(f"{CLUSTERS}/{ids['cluster']}/pools").status_code == 404
        assert http.get(NETWORKS).json()["total_count"] == 0  # its own network went with it
        assert http.get(f"{SERVERS}/{ids['server']}").status_code == 200


def test_any_kind_of_record_persists_without_code_for_it(tmp_path: Path) -> None:
    clock, path = ManualClock(), tmp_path / "cloud.db"
    with SandboxServer(speed=1, with_s3=False, clock=clock, state_path=path) as sb:
        record = sb.state.add(
            _record(sb, "load_balancer", {"ip": {"address": "51.15.0.2"}, "backends": [1, 2]})
        )
    clock.advance(61)
    with SandboxServer(speed=1, with_s3=False, clock=clock, state_path=path) as sb:
        again = sb.state.get("load_balancer", record.id)
        assert again is not None and again.data == record.data and again.tags == ["job:1"]
        assert sb.state.status(again) == "ready"
        assert sb.state.created("load_balancer") == 1
    # The state holds sandbox passwords: the file and its journals are the owner's only.
    for file in tmp_path.glob("cloud.db*"):
        assert file.stat().st_mode & 0o777 == 0o600, file


def test_reset_empties_the_state_file(tmp_path: Path) -> None:
    clock, path = ManualClock(), tmp_path / "cloud.db"
    with running(path, clock) as http:
        _create_one_of_each(http)
        assert http.post("/_sandbox/reset").status_code == 204
    with running(path, clock) as http:
        assert http.get(CLUSTERS).json()["total_count"] == 0
        assert http.get("/_sandbox/counters").json()["live"] == {}


def test_a_state_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cloud.db"
    SandboxServer(with_s3=False, state_path=path).stop()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'format'", (FORMAT_VERSION + "9",))
    with pytest.raises(StateFileError, match="--reset"):
        SandboxServer(with_s3=False, state_path=path)


def test_commit_then_drop_creates_the_resource_but_loses_the_answer(tmp_path: Path) -> None:
    clock, path = ManualClock(), tmp_path / "cloud.db"
    with running(path, clock) as http:
        rule = {"route": "POST /instance/v1/zones/{zone}/servers", "kind": "commit_then_drop"}
        assert http.post("/_sandbox/faults", json=rule).status_code == 201
        body = {"commercial_type": "DEV1-S", "image": "ubuntu_jammy", "tags": ["job:42"]}
        with pytest.raises(httpx.TransportError):
            http.post(SERVERS, json=body)
        found = http.get(SERVERS, params={"tags": "job:42"}).json()["servers"]
        assert len(found) == 1
    with running(path, clock) as http:  # it was saved before the connection was cut
        assert [s["id"] for s in http.get(SERVERS).json()["servers"]] == [found[0]["id"]]


def test_a_record_that_is_not_json_is_skipped_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock, path = ManualClock(), tmp_path / "cloud.db"
    with SandboxServer(speed=1, with_s3=False, clock=clock, state_path=path) as sb:
        sb.state.add(_record(sb, "odd", {"members": {"a", "b"}}))  # a set: not JSON
        with httpx.Client(base_url=sb.api_url, headers={"X-Auth-Token": ZERO}) as http:
            assert http.post(NETWORKS, json={"name": "still-served"}).status_code == 200
    assert "odd" in caplog.text and "not JSON" in caplog.text
    with running(path, clock) as http:
        assert [n["name"] for n in http.get(NETWORKS).json()["private_networks"]] == [
            "still-served"
        ]


def test_load_balancers_and_dns_zones_persist_too(tmp_path: Path) -> None:
    clock, path = ManualClock(), tmp_path / "cloud.db"
    lbs, zones = "/lb/v1/zones/fr-par-1/lbs", "/domain/v2beta1/dns-zones"
    with running(path, clock) as http:
        lb = http.post(lbs, json={"name": "front", "type": "LB-S", "project_id": ZERO})
        zone = http.post(
            zones, json={"domain": "example.com", "subdomain": "app", "project_id": ZERO}
        )
        assert lb.status_code == 200 and zone.status_code == 200, (lb.text, zone.text)
    clock.advance(600)
    with running(path, clock) as http:
        again = http.get(f"{lbs}/{lb.json()['id']}").json()
        assert again["name"] == "front" and again["status"] == "ready"
        listed = http.get(zones).json()["dns_zones"]
        assert [(z["domain"], z["subdomain"]) for z in listed] == [("example.com", "app")]


def test_two_sandboxes_on_one_file_see_each_others_changes(tmp_path: Path) -> None:
    clock, path = ManualClock(), tmp_path / "cloud.db"
    with running(path, clock) as first, running(path, clock) as second:
        made = first.post(NETWORKS, json={"name": "shared"}).json()
        assert [n["name"] for n in second.get(NETWORKS).json()["private_networks"]] == ["shared"]
        renamed = second.patch(f"{NETWORKS}/{made['id']}", json={"name": "renamed"})
        assert renamed.status_code == 200, renamed.text
        assert first.get(f"{NETWORKS}/{made['id']}").json()["name"] == "renamed"
        cluster = second.post(
            CLUSTERS, json={"name": "kube", "version": "1.35.3", "cni": "cilium", "pools": [POOL]}
        ).json()
        clock.advance(91)
        assert first.get(f"{CLUSTERS}/{cluster['id']}").json()["status"] == "ready"
        assert first.delete(f"{NETWORKS}/{made['id']}").status_code == 204
        assert second.get(f"{NETWORKS}/{made['id']}").status_code == 404
