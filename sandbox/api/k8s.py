"""Kubernetes Kapsule v1 (regional): versions, clusters and kubeconfig.

A cluster created with pools goes ``creating`` -> ``ready`` (90 s at speed 1) and its pools
``scaling`` -> ``ready`` 157 s later; without pools it settles in ``pool_required`` (5 s).
Create answers 200; delete needs ``with_additional_resources`` and answers 200 with the
cluster ``deleting``, then 404 (75 s). Without ``private_network_id`` a private network is
created for the cluster, as Kapsule does; ``with_additional_resources=true`` deletes it if empty.
"""

from __future__ import annotations

import base64

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import catalog, errors
from sandbox.api import k8s_pools
from sandbox.api.common import (
    Fields,
    iso,
    json_response,
    matches_common,
    order,
    project_from,
    query_bool,
    query_tags,
    read_json,
    region_of,
    regional_page,
    state_of,
)
from sandbox.api.k8s_pools import get_cluster_record
from sandbox.api.vpc import default_vpc
from sandbox.lifecycle import DURATIONS_S, GONE, with_failure
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

PREFIX = "/k8s/v1/regions/{region}"
CNIS = tuple(catalog.K8S_CNIS)
SETTLED = ("ready", "pool_required")


def cluster_json(state: SandboxState, cluster: Record) -> JSON:
    """A ``Cluster``."""
    cid, region = cluster.id, cluster.location
    return {
        "region": region,
        "id": cid,
        "organization_id": cluster.project_id,
        "project_id": cluster.project_id,
        "created_at": iso(cluster.created_at),
        "updated_at": iso(cluster.updated_at),
        "type": cluster.data["type"],
        "name": cluster.name,
        "description": cluster.data["description"],
        "status": state.status(cluster),
        "version": cluster.data["version"],
        "cni": cluster.data["cni"],
        "tags": list(cluster.tags),
        "cluster_url": f"https://{cid}.api.k8s.{region}.scw.cloud:6443",
        "dns_wildcard": f"*.{cid}.nodes.k8s.{region}.scw.cloud",
        "autoscaler_config": {
            "scale_down_disabled": False,
            "scale_down_delay_after_add": "10m",
            "estimator": "binpacking",
            "expander": "random",
            "ignore_daemonsets_utilization": False,
            "balance_similar_node_groups": False,
            "expendable_pods_priority_cutoff": -10,
            "scale_down_unneeded_time": "10m",
            "scale_down_utilization_threshold": 0.5,
            "max_graceful_termination_sec": 600,
            "skip_nodes_with_local_storage": True,
            "log_level": 2,
        },
        "auto_upgrade": {"enabled": False, "maintenance_window": {"start_hour": 0, "day": "any"}},
        "upgrade_available": cluster.data["version"] != catalog.K8S_VERSIONS[0],
        "feature_gates": list(cluster.data["feature_gates"]),
        "admission_plugins": list(cluster.data["admission_plugins"]),
        "open_id_connect_config": {
            "issuer_url": "",
            "client_id": "",
            "username_claim": "",
            "username_prefix": "",
            "groups_claim": [],
            "groups_prefix": "",
            "required_claim": [],
        },
        "apiserver_cert_sans": list(cluster.data["apiserver_cert_sans"]),
        "private_network_id": cluster.data["private_network_id"],
        "commitment_ends_at": iso(cluster.created_at),
        "acl_available": True,
        "iam_nodes_group_id": "",
        "pod_cidr": "100.64.0.0/15",
        "service_cidr": "10.32.0.0/20",
        "service_dns_ip": "10.32.0.10",
    }


async def list_versions(request: Request) -> Response:
    """GET /versions."""
    region = region_of(request)
    return json_response(
        {"versions": [catalog.k8s_version_json(v, region) for v in catalog.K8S_VERSIONS]}
    )


async def get_version(request: Request) -> Response:
    """GET /versions/{version_name}."""
    region = region_of(request)
    name = request.path_params["version_name"]
    if name not in catalog.K8S_VERSIONS:
        raise errors.not_found("version", name)
    return json_response(catalog.k8s_version_json(name, region))


async def create_cluster(request: Request) -> Response:
    """POST /clusters (200, ``creating``)."""
    state, region = state_of(request), region_of(request)
    fields = Fields(await read_json(request))
    project = project_from(fields, "project_id", "organization_id")
    name = fields.str("name") or f"k8s-{state.new_id()[:8]}"
    version = fields.str("version", required=True)
    if version and version not in catalog.K8S_VERSIONS:
        fields.fail("version", "constraint", f"version must be one of {list(catalog.K8S_VERSIONS)}")
    cni = fields.str("cni", required=True)
    if cni and cni not in CNIS:
        fields.fail("cni", "constraint", f"cni must be one of {list(CNIS)}")
    type_ = fields.str("type") or "kapsule"
    tags = fields.str_list("tags") or []
    pn_id = fields.uuid("private_network_id")
    pool_specs = [
        k8s_pools.pool_spec(fields, p, f"pools.{i}.", region)
        for i, p in enumerate(fields.list("pools") or [])
    ]
    data = {
        "type": type_,
        "description": fields.str("description", default=""),
        "version": version,
        "cni": cni,
        "feature_gates": fields.str_list("feature_gates") or [],
        "admission_plugins": fields.str_list("admission_plugins") or [],
        "apiserver_cert_sans": fields.str_list("apiserver_cert_sans") or [],
    }
    fields.check()
    if pn_id is not None:
        pn = state.get("private_network", pn_id)
        if pn is None or pn.location != region:
            raise errors.not_found("private_network", pn_id)
    state.check_quota("cluster", project, "k8s_clusters")
    d = DURATIONS_S
    with state.lock:
        if pn_id is None:
            pn_id = _auto_network(state, region, project, name)
        data["private_network_id"] = pn_id
        now = state.now()
        phases = (
            [("creating", d["cluster.creating"]), ("ready", None)]
            if pool_specs
            else [("creating", d["cluster.creating_without_pool"]), ("pool_required", None)]
        )
        cluster = state.add(
            Record(
                kind="cluster",
                id=state.new_id(),
                location=region,
                project_id=project,
                name=name,
                tags=tags,
                created_at=now,
                timeline=state.plan(with_failure(phases, tags)),
                data=data,
            )
        )
        for spec in pool_specs:
            ready_after = d["cluster.creating"] + d["pool.scaling"]
            k8s_pools.add_pool(state, cluster, spec, ready_after)
    return json_response(cluster_json(state, cluster))


def _auto_network(state: SandboxState, region: str, project: str, name: str) -> str:
    now = state.now()
    vpc = default_vpc(state, region, project)
    n = state.created("private_network")
    pn = state.add(
        Record(
            kind="private_network",
            id=state.new_id(),
            location=region,
            project_id=project,
            name=f"{name}-pn",
            tags=[],
            created_at=now,
            timeline=[(now, "available")],
            data={
                "vpc_id": vpc.id,
                "default_route_propagation_enabled": False,
                "subnets": [(state.new_id(), f"172.18.{(4 * n) % 256}.0/22")],
            },
        )
    )
    return pn.id


async def list_clusters(request: Request) -> Response:
    """GET /clusters (filters: name, project, status, type, version, private network, tags)."""
    state, region = state_of(request), region_of(request)
    params = request.query_params
    tags = query_tags(request, comma_separated=False)
    status = params.get("status")
    items = [
        cluster_json(state, c)
        for c in order(state.all("cluster"), params.get("order_by"))
        if c.location == region
        and matches_common(
            request, c, project_param="project_id", org_param="organization_id", tags=tags
        )
        and (status in (None, "", "unknown") or state.status(c) == status)
        and (not params.get("type") or c.data["type"] == params["type"])
        and (not params.get("version") or c.data["version"] == params["version"])
        and (
            not params.get("private_network_id")
            or c.data["private_network_id"] == params["private_network_id"]
        )
    ]
    return json_response(regional_page(request, "clusters", items))


async def get_cluster(request: Request) -> Response:
    """GET /clusters/{cluster_id}."""
    return json_response(cluster_json(state_of(request), get_cluster_record(request)))


async def update_cluster(request: Request) -> Response:
    """PATCH /clusters/{cluster_id}: name, description, tags (``updating`` for a while)."""
    state = state_of(request)
    cluster = get_cluster_record(request)
    fields = Fields(await read_json(request))
    name = fields.str("name")
    description = fields.str("description")
    tags = fields.str_list("tags")
    fields.check()
    with state.lock:
        current = state.status(cluster)
        if current not in SETTLED:
            raise errors.transient_state("cluster", cluster.id, current)
        if name:
            cluster.name = name
        if description is not None:
            cluster.data["description"] = description
        if tags is not None:
            cluster.tags = tags
        phases = [("updating", DURATIONS_S["cluster.updating"]), (current, None)]
        state.set_timeline(cluster, phases)
    return json_response(cluster_json(state, cluster))


async def delete_cluster(request: Request) -> Response:
    """DELETE /clusters/{cluster_id}?with_additional_resources=...: 200 ``deleting``."""
    state = state_of(request)
    cluster = get_cluster_record(request)
    flag = query_bool(request, "with_additional_resources", required=True)
    with state.lock:
        current = state.status(cluster)
        if current == "deleting":
            raise errors.transient_state("cluster", cluster.id, current)
        cluster.data["with_additional_resources"] = flag
        phases = [("deleting", DURATIONS_S["cluster.deleting"]), (GONE, None)]
        state.set_timeline(cluster, phases)
        for pool in k8s_pools.cluster_pools(state, cluster):
            state.set_timeline(pool, phases)
    return json_response(cluster_json(state, cluster))


def _on_cluster_gone(state: SandboxState, cluster: Record) -> None:
    for pool in state.all("pool"):
        if pool.parent_id == cluster.id:
            state.remove("pool", pool.id)
    pn_id = cluster.data["private_network_id"]
    in_use = any(n.data["private_network_id"] == pn_id for n in state.all("private_nic")) or any(
        c.data["private_network_id"] == pn_id for c in state.all("cluster")
    )
    if cluster.data.get("with_additional_resources") and not in_use:
        state.remove("private_network", pn_id)


KUBECONFIG = """apiVersion: v1
clusters:
- name: {name}
  cluster:
    certificate-authority-data: {ca}
    server: https://{id}.api.k8s.{region}.scw.cloud:6443
contexts:
- name: admin@{name}
  context:
    cluster: {name}
    user: {name}-admin
current-context: admin@{name}
kind: Config
preferences: {{}}
users:
- name: {name}-admin
  user:
    token: {token}
"""


async def get_kubeconfig(request: Request) -> Response:
    """GET /clusters/{cluster_id}/kubeconfig: base64 content (``?dl=1``: the file itself)."""
    cluster = get_cluster_record(request)
    params = request.query_params
    token = (
        "REDACTED_TOKEN"
        if query_bool(request, "redacted")
        else ("sandbox-" + cluster.id.replace("-", ""))
    )
    ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nSANDBOX\n-----END CERTIFICATE-----\n")
    text = KUBECONFIG.format(
        name=cluster.name, id=cluster.id, region=cluster.location, token=token, ca=ca.decode()
    )
    if params.get("dl") == "1":
        return Response(text.encode(), media_type="application/octet-stream")
    return json_response(
        {
            "name": "kubeconfig",
            "content_type": "application/octet-stream",
            "content": base64.b64encode(text.encode()).decode(),
        }
    )


def install(state: SandboxState) -> None:
    """Register the lifecycle hooks of this API."""
    state.on_gone["cluster"] = _on_cluster_gone


C = f"{PREFIX}/clusters"
routes = [
    Route(f"{PREFIX}/versions", list_versions, methods=["GET"]),
    Route(f"{PREFIX}/versions/{{version_name}}", get_version, methods=["GET"]),
    Route(C, create_cluster, methods=["POST"]),
    Route(C, list_clusters, methods=["GET"]),
    Route(f"{C}/{{cluster_id}}", get_cluster, methods=["GET"]),
    Route(f"{C}/{{cluster_id}}", update_cluster, methods=["PATCH"]),
    Route(f"{C}/{{cluster_id}}", delete_cluster, methods=["DELETE"]),
    Route(f"{C}/{{cluster_id}}/kubeconfig", get_kubeconfig, methods=["GET"]),
]
