"""Auth, bad input, quotas and the catch-all: real-shaped answers, never a sandbox 500."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.routing import Route

from sandbox.app import create_app
from sandbox.server import SandboxServer
from sandbox.state import SandboxState

from .conftest import ZERO

CREATE_PATHS = (
    "/instance/v1/zones/fr-par-1/servers",
    "/instance/v1/zones/fr-par-1/ips",
    "/vpc/v2/regions/fr-par/private-networks",
    "/k8s/v1/regions/fr-par/clusters",
    "/rdb/v1/regions/fr-par/instances",
    "/registry/v1/regions/fr-par/namespaces",
)


def test_missing_token_is_denied_authentication(sb: SandboxServer) -> None:
    r = httpx.get(f"{sb.api_url}/k8s/v1/regions/fr-par/clusters")
    assert r.status_code == 401
    assert r.json()["type"] == "denied_authentication"
    assert r.json()["message"] == "authentication is denied" and r.json()["method"] == "api_key"
    assert r.headers["x-scaleway-sandbox"] == "true"


def test_malformed_token_is_denied(sb: SandboxServer) -> None:
    r = httpx.get(
        f"{sb.api_url}/rdb/v1/regions/fr-par/instances", headers={"X-Auth-Token": "not-a-uuid"}
    )
    assert r.status_code == 401 and r.json()["reason"] == "invalid_argument"


def test_accepted_keys_and_read_only_keys() -> None:
    good, reader = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
    with SandboxServer(
        speed=1000, with_s3=False, accepted_keys=[good, reader], read_only_keys=[reader]
    ) as sb:
        base = f"{sb.api_url}/vpc/v2/regions/fr-par/private-networks"
        unknown = httpx.get(base, headers={"X-Auth-Token": ZERO})
        assert unknown.status_code == 401 and unknown.json()["reason"] == "not_found"
        assert httpx.get(base, headers={"X-Auth-Token": good}).status_code == 200
        assert httpx.get(base, headers={"X-Auth-Token": reader}).status_code == 200
        denied = httpx.post(base, json={}, headers={"X-Auth-Token": reader})
        assert denied.status_code == 403
        assert denied.json() == {
            "type": "permissions_denied",
            "message": "insufficient permissions",
            "details": [{"action": "write", "resource": "vpc"}],
        }


@pytest.mark.parametrize("path", CREATE_PATHS)
def test_malformed_json_is_400(http: httpx.Client, path: str) -> None:
    r = http.post(path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["type"] == "invalid_arguments"
    assert r.json()["details"][0]["reason"] == "format"


@pytest.mark.parametrize("path", CREATE_PATHS)
def test_wrong_types_everywhere_never_500(http: httpx.Client, path: str) -> None:
    weird_values: list[object] = [None, 1, -1, 1.5, True, "x", [], ["x"], {}, {"a": 1}, [{}]]
    keys = [
        "name",
        "commercial_type",
        "image",
        "project",
        "project_id",
        "tags",
        "volumes",
        "public_ips",
        "version",
        "cni",
        "pools",
        "engine",
        "node_type",
        "user_name",
        "password",
        "volume_size",
        "subnets",
        "vpc_id",
        "description",
        "is_public",
        "private_network_id",
        "init_settings",
        "encryption",
        "server",
        "type",
    ]
    for value in weird_values:
        r = http.post(path, json={key: value for key in keys})
        assert r.status_code in (200, 201, 400, 404), (value, r.status_code, r.text)
    assert http.post(path, content=b"[1, 2]").status_code == 400


def test_unknown_zone_region_and_ids(http: httpx.Client) -> None:
    zone = http.get("/instance/v1/zones/mars-1/servers")
    assert zone.status_code == 400 and zone.json()["details"][0]["argument_name"] == "zone"
    region = http.get("/k8s/v1/regions/xx-yyy/clusters")
    assert region.status_code == 400 and region.json()["details"][0]["argument_name"] == "region"
    bad_id = http.get("/rdb/v1/regions/fr-par/instances/123")
    assert bad_id.status_code == 400 and bad_id.json()["details"][0]["reason"] == "format"
    unknown = http.get(f"/instance/v1/zones/fr-par-1/servers/{ZERO}")
    assert unknown.status_code == 404 and unknown.json()["resource"] == "instance_server"
    pool = http.get(f"/k8s/v1/regions/fr-par/pools/{ZERO}")
    assert pool.json()["resource"] == "pool"


def test_unknown_route_and_method(http: httpx.Client) -> None:
    route = http.get("/nothing/v1/here")
    assert route.status_code == 404 and route.json()["type"] == "not_found"
    method = http.put("/k8s/v1/regions/fr-par/clusters")
    assert method.status_code == 405 and method.headers["x-scaleway-sandbox"] == "true"


def test_quota_exceeded_is_403(sb: SandboxServer, http: httpx.Client) -> None:
    sb.state.quotas["server"] = 1
    try:
        body = {"commercial_type": "DEV1-S", "image": "ubuntu_jammy"}
        assert http.post("/instance/v1/zones/fr-par-1/servers", json=body).status_code == 201
        r = http.post("/instance/v1/zones/fr-par-1/servers", json=body)
        assert r.status_code == 403
        assert r.json()["type"] == "quotas_exceeded"
        assert r.json()["details"][0]["quota"] == 1 and r.json()["details"][0]["current"] == 1
        other = http.post(
            "/instance/v1/zones/fr-par-1/servers",
            json={**body, "project": "33333333-3333-3333-3333-333333333333"},
        )
        assert other.status_code == 201
    finally:
        sb.state.quotas["server"] = 100


@pytest.mark.anyio
async def test_catch_all_answers_json_500_with_sandbox_header() -> None:
    async def boom(request: object) -> None:
        raise RuntimeError("sandbox bug")

    app = create_app(SandboxState(), extra_routes=[Route("/boom", boom)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as c:
        r = await c.get("/boom", headers={"X-Auth-Token": ZERO})
    assert r.status_code == 500
    assert json.loads(r.content) == {"type": "internal_error", "message": "internal error"}
    assert r.headers["x-scaleway-sandbox"] == "true"
