"""The newer kinds (load balancers, DNS zones and records, serverless namespaces, containers,
database backups and users) survive a sandbox restart on the same state file, lifecycle
timing included."""

from __future__ import annotations

from pathlib import Path

from sandbox.lifecycle import ManualClock
from tests.sandbox.test_persistence import running

LB = "/lb/v1/zones/fr-par-1/lbs"
ZONES = "/domain/v2beta1/dns-zones"
CONTAINERS = "/containers/v1beta1/regions/fr-par"
RDB = "/rdb/v1/regions/fr-par"


def test_new_kinds_outlive_a_restart(tmp_path: Path) -> None:
    clock, path = ManualClock(), tmp_path / "sandbox.db"
    with running(path, clock) as http:
        lb = http.post(LB, json={"name": "front", "type": "LB-S"}).json()
        assert http.post(ZONES, json={"domain": "example.com"}).status_code == 200
        clock.advance(60)
        record = {"name": "www", "type": "A", "data": "51.15.0.1", "ttl": 300}
        changed = http.patch(
            f"{ZONES}/example.com/records",
            json={"changes": [{"add": {"records": [record]}}], "disallow_new_zone_creation": True},
        )
        assert changed.status_code == 200, changed.text
        backend = http.post(
            f"{LB}/{lb['id']}/backends",
            json={"forward_port": 80, "health_check": {"port": 80}, "server_ip": ["10.0.0.1"]},
        )
        assert backend.status_code == 200, backend.text
        ns = http.post(f"{CONTAINERS}/namespaces", json={"name": "web"}).json()
        db = http.post(
            f"{RDB}/instances",
            json={
                "engine": "PostgreSQL-15",
                "user_name": "admin",
                "password": "Sandb0x!pass",
                "node_type": "db-dev-s",
            },
        ).json()
        clock.advance(200)
        user = {"name": "app", "password": "Sandb0x!pass"}
        assert http.post(f"{RDB}/instances/{db['id']}/users", json=user).status_code == 200

    with running(path, clock) as http:
        again = http.get(f"{LB}/{lb['id']}").json()
        assert again["status"] == "ready" and again["backend_count"] == 1
        assert again["ip"][0]["lb_id"] == lb["id"]
        records = http.get(f"{ZONES}/example.com/records").json()["records"]
        assert [(r["name"], r["data"]) for r in records] == [("www", "51.15.0.1")]
        assert http.get(f"{CONTAINERS}/namespaces/{ns['id']}").json()["status"] == "ready"
        users = http.get(f"{RDB}/instances/{db['id']}/users").json()["users"]
        assert sorted(u["name"] for u in users) == ["admin", "app"]
