"""Fault injection (seeded, per route), counters and the admin endpoints."""

from __future__ import annotations

import time

import httpx
import pytest
import requests
import scaleway
from scaleway.k8s.v1 import K8SV1API
from scaleway.vpc.v2 import VpcV2API

from sandbox.server import SandboxServer

PN_LIST = "GET /vpc/v2/regions/{region}/private-networks"
PN_PATH = "/vpc/v2/regions/fr-par/private-networks"


def test_429_like_the_real_api(sb: SandboxServer, http: httpx.Client) -> None:
    sb.state.faults.add(PN_LIST, "429")
    r = http.get(PN_PATH)
    assert r.status_code == 429 and r.content == b""
    assert r.headers["x-envoy-ratelimited"] == "true" and "retry-after" not in r.headers
    assert r.headers["x-scaleway-sandbox"] == "true"
    # the SDK cannot even parse it: callers must treat the status, not the body
    with pytest.raises(requests.exceptions.JSONDecodeError):
        VpcV2API(
            scaleway.Client(
                access_key="SCWXXXXXXXXXXXXXXXXX",
                secret_key="00000000-0000-0000-0000-000000000000",
                default_region="fr-par",
                api_url=sb.api_url,
            )
        ).list_private_networks()


def test_429_with_retry_after_500_and_503(sb: SandboxServer, http: httpx.Client) -> None:
    sb.state.faults.add(PN_LIST, "429_retry_after", times=1, retry_after_s=3)
    sb.state.faults.add(PN_LIST, "500", times=1)
    sb.state.faults.add(PN_LIST, "503", times=1)
    first, second, third, fourth = (http.get(PN_PATH) for _ in range(4))
    assert first.status_code == 429 and first.headers["retry-after"] == "3"
    assert second.status_code == 500 and second.json()["type"] == "internal_error"
    assert third.status_code == 503 and third.headers["content-type"].startswith("text/plain")
    assert fourth.status_code == 200


def test_latency_and_dropped_connection(sb: SandboxServer, client: scaleway.Client) -> None:
    sb.state.faults.add("GET /vpc/v2/", "latency", latency_s=0.2, times=1)
    start = time.monotonic()
    VpcV2API(client).list_private_networks()
    assert time.monotonic() - start >= 0.2
    sb.state.faults.add("POST /vpc/v2/regions/{region}/private-networks", "drop", times=1)
    with pytest.raises(requests.exceptions.RequestException):
        VpcV2API(client).create_private_network(default_route_propagation_enabled=False)
    assert sb.state.created("private_network") == 0  # dropped before the handler ran
    VpcV2API(client).create_private_network(default_route_propagation_enabled=False)
    assert sb.state.created("private_network") == 1


def _pattern(sb: SandboxServer, http: httpx.Client, n: int = 40) -> list[int]:
    sb.state.faults.clear()
    sb.state.faults.add("*", "503", rate=0.3)
    return [http.get(PN_PATH).status_code for _ in range(n)]


def test_faults_are_deterministic_for_a_seed(sb: SandboxServer, http: httpx.Client) -> None:
    first = _pattern(sb, http)
    second = _pattern(sb, http)
    assert first == second
    assert 3 <= first.count(503) <= 25
    with SandboxServer(speed=1000, seed=8, with_s3=False) as other:
        with httpx.Client(
            base_url=other.api_url, headers={"X-Auth-Token": "00000000-0000-0000-0000-000000000000"}
        ) as c:
            assert _pattern(other, c) != first


def test_counters_count_routes_and_creations(sb: SandboxServer, client: scaleway.Client) -> None:
    api = K8SV1API(client)
    from .test_k8s import create, pool_config

    cluster = create(api, [pool_config()])
    api.wait_for_cluster(cluster_id=cluster.id)
    polls = sb.state.counters["GET /k8s/v1/regions/{region}/clusters/{cluster_id}"]
    assert polls >= 1
    assert sb.state.counters["POST /k8s/v1/regions/{region}/clusters"] == 1
    assert sb.state.calls("GET", "/k8s/") == polls
    assert sb.state.calls(path_prefix="/k8s/v1/regions/{region}/clusters") == polls + 1
    assert sb.state.created("cluster") == 1 and sb.state.created("pool") == 1
    assert sb.state.created("private_network") == 1


def test_admin_endpoints_steer_a_remote_sandbox(sb: SandboxServer, http: httpx.Client) -> None:
    admin = httpx.Client(base_url=f"{sb.api_url}/_sandbox")  # no token needed
    added = admin.post("/faults", json={"route": PN_LIST, "kind": "429", "times": 1})
    assert added.status_code == 201 and added.json()["kind"] == "429"
    assert http.get(PN_PATH).status_code == 429
    assert http.get(PN_PATH).status_code == 200
    assert admin.get("/faults").json()["faults"][0]["fired"] == 1
    assert admin.delete("/faults").status_code == 204
    assert admin.get("/faults").json() == {"faults": []}
    http.post(PN_PATH, json={"name": "counted"})
    counters = admin.get("/counters").json()
    assert counters["calls"][PN_LIST] == 2
    assert counters["created"] == {"private_network": 1, "vpc": 1}
    assert counters["live"]["private_network"] == 1
    assert admin.get("/info").json()["speed"] == 1000
    bad = admin.post("/faults", json={"route": "*", "kind": "boom"})
    assert bad.status_code == 400
    assert admin.post("/reset").status_code == 204
    assert admin.get("/counters").json()["calls"] == {}
    assert http.get(PN_PATH).json()["total_count"] == 0


CREATES = [
    (
        "POST /instance/v1/zones/{zone}/servers",
        "/instance/v1/zones/fr-par-1/servers",
        {"commercial_type": "DEV1-S", "image": "ubuntu_jammy"},
        "server",
    ),
    (
        "POST /vpc/v2/regions/{region}/private-networks",
        PN_PATH,
        {"name": "net"},
        "private_network",
    ),
    (
        "POST /k8s/v1/regions/{region}/clusters",
        "/k8s/v1/regions/fr-par/clusters",
        {"name": "kube", "version": "1.35.3", "cni": "cilium", "pools": []},
        "cluster",
    ),
    (
        "POST /rdb/v1/regions/{region}/instances",
        "/rdb/v1/regions/fr-par/instances",
        {
            "name": "db",
            "engine": "PostgreSQL-15",
            "user_name": "admin",
            "password": "Sandb0x!pass",
            "node_type": "db-dev-s",
        },
        "rdb_instance",
    ),
]


@pytest.mark.parametrize(("route", "path", "body", "kind"), CREATES)
def test_commit_then_drop_creates_what_the_caller_never_hears_of(
    sb: SandboxServer, http: httpx.Client, route: str, path: str, body: dict, kind: str
) -> None:
    added = httpx.post(
        f"{sb.api_url}/_sandbox/faults",
        json={"route": route, "kind": "commit_then_drop", "times": 1},
    )
    assert added.status_code == 201, added.text
    with pytest.raises(httpx.TransportError):
        http.post(path, json={**body, "tags": ["job:7"]})
    (created,) = sb.state.all(kind)
    assert created.tags == ["job:7"]
    # The next create is answered normally (the rule fired its one time).
    assert http.post(path, json={**body, "name": "again"}).status_code in (200, 201)
    assert len(sb.state.all(kind)) == 2
