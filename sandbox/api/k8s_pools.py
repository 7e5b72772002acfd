"""Kubernetes Kapsule v1 pools and nodes.

A pool is ``scaling`` until its nodes are up (157 s at speed 1, counted from when its cluster
is ready), then ``ready``. Node types come back normalised (``DEV1-M`` -> ``dev1_m``), the
runtime ``unknown_runtime`` as ``containerd`` and ``default_volume_type`` as ``l_ssd``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import catalog, errors
from sandbox.api.common import (
    Fields,
    iso,
    json_response,
    order,
    path_id,
    read_json,
    region_of,
    regional_page,
    stable_id,
    state_of,
)
from sandbox.lifecycle import DURATIONS_S, GONE, with_failure
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

PREFIX = "/k8s/v1/regions/{region}"
NODE_TYPES = {t.name.lower().replace("-", "_"): t for t in catalog.SERVER_TYPES}


def get_cluster_record(request: Request) -> Record:
    """The cluster named in the path, or 404 ``cluster``."""
    region = region_of(request)
    cluster_id = path_id(request, "cluster_id")
    cluster = state_of(request).get("cluster", cluster_id)
    if cluster is None or cluster.location != region:
        raise errors.not_found("cluster", cluster_id)
    return cluster


def pool_spec(fields: Fields, raw: Any, prefix: str, region: str) -> JSON:
    """Validate a pool definition (inside a cluster create or alone)."""
    if not isinstance(raw, dict):
        fields.fail(prefix.rstrip("."), "format", "must be an object")
        return {}
    sub = Fields(raw, prefix)
    node_type = (sub.str("node_type", required=True) or "").lower().replace("-", "_")
    if node_type and node_type not in NODE_TYPES:
        sub.fail("node_type", "constraint", f"unknown node type {raw.get('node_type')!r}")
    size = sub.int("size", 1, minimum=0, maximum=150, required=True)
    root_type = sub.str("root_volume_type") or "default_volume_type"
    if root_type == "default_volume_type":
        has_local = node_type in NODE_TYPES and NODE_TYPES[node_type].local_storage_gb
        root_type = "l_ssd" if has_local else "sbs_15k"
    zone = sub.str("zone") or f"{region}-1"
    if not zone.startswith(region):
        sub.fail("zone", "constraint", f"zone must be in region {region}")
    spec = {
        "name": sub.str("name") or f"pool-{node_type}",
        "node_type": node_type,
        "size": size,
        "min_size": sub.int("min_size", 0, minimum=0),
        "max_size": sub.int("max_size", size),
        "autoscaling": sub.bool("autoscaling", False),
        "autohealing": sub.bool("autohealing", False),
        "tags": sub.str_list("tags") or [],
        "zone": zone,
        "root_volume_type": root_type,
        "root_volume_size": sub.int("root_volume_size", 0, minimum=0) or 40 * catalog.GB,
        "public_ip_disabled": sub.bool("public_ip_disabled", False),
        "kubelet_args": sub.obj("kubelet_args") or {},
        "labels": sub.obj("labels") or {},
        "placement_group_id": sub.uuid("placement_group_id"),
    }
    fields.details.extend(sub.details)
    return spec


def add_pool(state: SandboxState, cluster: Record, spec: JSON, scaling_s: float) -> Record:
    """Store a pool of ``cluster`` that scales for ``scaling_s`` (at speed 1)."""
    now = state.now()
    phases = with_failure([("scaling", scaling_s), ("ready", None)], spec["tags"])
    return state.add(
        Record(
            kind="pool",
            id=state.new_id(),
            location=cluster.location,
            project_id=cluster.project_id,
            name=spec["name"],
            tags=spec["tags"],
            created_at=now,
            parent_id=cluster.id,
            timeline=state.plan(phases),
            data=dict(spec),
        )
    )


def cluster_pools(state: SandboxState, cluster: Record) -> list[Record]:
    """The live pools of a cluster."""
    return [p for p in state.all("pool") if p.parent_id == cluster.id]


def pool_json(state: SandboxState, pool: Record) -> JSON:
    """A ``Pool``."""
    d = pool.data
    cluster = state.get("cluster", pool.parent_id or "")
    return {
        "region": pool.location,
        "id": pool.id,
        "cluster_id": pool.parent_id,
        "created_at": iso(pool.created_at),
        "updated_at": iso(pool.updated_at),
        "name": pool.name,
        "status": state.status(pool),
        "version": cluster.data["version"] if cluster else catalog.K8S_VERSIONS[0],
        "node_type": d["node_type"],
        "autoscaling": d["autoscaling"],
        "size": d["size"],
        "min_size": d["min_size"],
        "max_size": d["max_size"],
        "container_runtime": "containerd",
        "autohealing": d["autohealing"],
        "tags": list(pool.tags),
        "placement_group_id": d["placement_group_id"],
        "kubelet_args": d["kubelet_args"],
        "upgrade_policy": {"max_unavailable": 1, "max_surge": 0},
        "zone": d["zone"],
        "root_volume_type": d["root_volume_type"],
        "root_volume_size": d["root_volume_size"],
        "public_ip_disabled": d["public_ip_disabled"],
        "security_group_id": stable_id("security-group", pool.project_id, d["zone"]),
        "labels": d["labels"],
        "taints": [],
        "startup_taints": [],
    }


def _pool(request: Request) -> Record:
    region = region_of(request)
    pool_id = path_id(request, "pool_id")
    pool = state_of(request).get("pool", pool_id)
    if pool is None or pool.location != region:
        raise errors.not_found("pool", pool_id)
    return pool


async def list_pools(request: Request) -> Response:
    """GET /clusters/{cluster_id}/pools."""
    state = state_of(request)
    cluster = get_cluster_record(request)
    params = request.query_params
    status = params.get("status")
    name = (params.get("name") or "").lower()
    items = [
        pool_json(state, p)
        for p in order(cluster_pools(state, cluster), params.get("order_by"))
        if name in p.name.lower() and (status in (None, "", "unknown") or state.status(p) == status)
    ]
    return json_response(regional_page(request, "pools", items))


async def create_pool(request: Request) -> Response:
    """POST /clusters/{cluster_id}/pools (200, ``scaling``)."""
    state = state_of(request)
    cluster = get_cluster_record(request)
    fields = Fields({})
    spec = pool_spec(fields, await read_json(request), "", cluster.location)
    fields.check()
    with state.lock:
        current = state.status(cluster)
        if current not in ("ready", "pool_required"):
            raise errors.transient_state("cluster", cluster.id, current)
        if any(p.name == spec["name"] for p in cluster_pools(state, cluster)):
            raise errors.already_exists("pool", cluster.id, f"pool {spec['name']} already exists")
        pool = add_pool(state, cluster, spec, DURATIONS_S["pool.scaling"])
        if current == "pool_required":
            cluster.timeline = [(state.now(), "ready")]
            cluster.updated_at = state.now()
    return json_response(pool_json(state, pool))


async def get_pool(request: Request) -> Response:
    """GET /pools/{pool_id}."""
    return json_response(pool_json(state_of(request), _pool(request)))


async def update_pool(request: Request) -> Response:
    """PATCH /pools/{pool_id}: size/min/max/autoscaling/tags (a size change scales)."""
    state = state_of(request)
    pool = _pool(request)
    fields = Fields(await read_json(request))
    size = fields.int("size", minimum=0, maximum=150)
    updates = {
        "min_size": fields.int("min_size", minimum=0),
        "max_size": fields.int("max_size"),
        "autoscaling": fields.bool("autoscaling"),
        "autohealing": fields.bool("autohealing"),
    }
    tags = fields.str_list("tags")
    fields.check()
    with state.lock:
        current = state.status(pool)
        if current != "ready":
            raise errors.transient_state("pool", pool.id, current)
        pool.data.update({k: v for k, v in updates.items() if v is not None})
        if tags is not None:
            pool.tags = tags
        if size is not None and size != pool.data["size"]:
            pool.data["size"] = size
            state.set_timeline(pool, [("scaling", DURATIONS_S["pool.scaling"]), ("ready", None)])
        pool.updated_at = state.now()
    return json_response(pool_json(state, pool))


async def delete_pool(request: Request) -> Response:
    """DELETE /pools/{pool_id}: 200 ``deleting``, then 404."""
    state = state_of(request)
    pool = _pool(request)
    with state.lock:
        if state.status(pool) == "deleting":
            raise errors.transient_state("pool", pool.id, "deleting")
        state.set_timeline(pool, [("deleting", DURATIONS_S["pool.deleting"]), (GONE, None)])
    return json_response(pool_json(state, pool))


def node_json(state: SandboxState, pool: Record, index: int) -> JSON:
    """A ``Node`` of a pool (creating while the pool scales)."""
    pool_status = state.status(pool)
    status = {"scaling": "creating", "deleting": "deleting", "ready": "ready"}.get(
        pool_status, "not_ready"
    )
    node_id = stable_id("node", pool.id, str(index))
    return {
        "id": node_id,
        "pool_id": pool.id,
        "cluster_id": pool.parent_id,
        "provider_id": f"scaleway://instance/{pool.data['zone']}/{node_id}",
        "region": pool.location,
        "name": f"scw-{pool.name}-{node_id[:8]}",
        "conditions": {},
        "status": status,
        "public_ip_v4": None if pool.data["public_ip_disabled"] else "51.15.0.1",
        "public_ip_v6": None,
        "error_message": None,
        "created_at": iso(pool.created_at),
        "updated_at": iso(pool.updated_at),
    }


async def list_nodes(request: Request) -> Response:
    """GET /clusters/{cluster_id}/nodes."""
    state = state_of(request)
    cluster = get_cluster_record(request)
    pool_id = request.query_params.get("pool_id")
    nodes = [
        node_json(state, pool, i)
        for pool in cluster_pools(state, cluster)
        if not pool_id or pool.id == pool_id
        for i in range(pool.data["size"])
    ]
    return json_response(regional_page(request, "nodes", nodes))


routes = [
    Route(f"{PREFIX}/clusters/{{cluster_id}}/pools", list_pools, methods=["GET"]),
    Route(f"{PREFIX}/clusters/{{cluster_id}}/pools", create_pool, methods=["POST"]),
    Route(f"{PREFIX}/clusters/{{cluster_id}}/nodes", list_nodes, methods=["GET"]),
    Route(f"{PREFIX}/pools/{{pool_id}}", get_pool, methods=["GET"]),
    Route(f"{PREFIX}/pools/{{pool_id}}", update_pool, methods=["PATCH"]),
    Route(f"{PREFIX}/pools/{{pool_id}}", delete_pool, methods=["DELETE"]),
]
