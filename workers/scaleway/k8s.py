"""Kapsule over the adapter: versions, tag look-ups, the default pool, summaries.

Statuses are compared as the API spells them: the SDK hands back unknown values (``error``)
as plain strings, known ones as enums; ``status_text`` reads both.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from jobs.models import JSON
from workers.cache import CacheKind, ListCache
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import Conflict, InvalidRequest, NotFound
from workers.scaleway.presence import get_or_explain, tagged

if TYPE_CHECKING:
    from scaleway.k8s.v1 import (
        Cluster,
        CreateClusterRequestPoolConfig,
        ListClustersResponse,
        Node,
        Pool,
    )

CLUSTER_WAIT = frozenset({"creating", "updating"})
POOL_WAIT = frozenset({"scaling", "upgrading"})
READY = "ready"


def status_text(value: Any) -> str:
    """An SDK status (enum or raw string) as the API spells it."""
    return str(value.value if isinstance(value, Enum) else value or "unknown")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in name.split("."))


async def k8s_versions(client: ScalewayClient, cache: ListCache, region: str) -> dict[str, Any]:
    """Kubernetes versions offered in a region, newest first, by name (cached)."""

    async def load() -> dict[str, Any]:
        response = await client.call_idempotent(client.k8s.list_versions, region=region)
        ordered = sorted(response.versions, key=lambda v: _version_key(v.name), reverse=True)
        return {v.name: v for v in ordered}

    return await cache.get_or_load(CacheKind.K8S_VERSIONS, region, load)


async def resolve_version(
    client: ScalewayClient, cache: ListCache, region: str, version: str | None, cni: str
) -> str:
    """The version to create (the newest when None), checked to offer ``cni``."""
    versions = await k8s_versions(client, cache, region)
    if not versions:
        raise InvalidRequest(f"no Kubernetes version is offered in {region}")
    name = version or next(iter(versions))
    found = versions.get(name)
    if found is None:
        raise InvalidRequest(
            f"Kubernetes version {name!r} is not offered in {region}; use one of: "
            + ", ".join(versions),
            details=[{"argument_name": "version", "reason": "constraint"}],
        )
    cnis = [status_text(c) for c in (found.available_cnis or [])]
    if cnis and cni not in cnis:
        raise InvalidRequest(
            f"CNI {cni!r} is not available with Kubernetes {name}; use one of: " + ", ".join(cnis),
            details=[{"argument_name": "cni", "reason": "constraint"}],
        )
    return name


async def get_cluster(client: ScalewayClient, region: str, cluster_id: str) -> Cluster:
    """The cluster, or NotFound naming it and where to look."""
    cluster: Cluster = await get_or_explain(
        client,
        client.k8s.get_cluster,
        f"cluster {cluster_id} was not found in {region}; list_clusters shows the clusters",
        resource="cluster",
        resource_id=cluster_id,
        region=region,
        cluster_id=cluster_id,
    )
    return cluster


async def list_clusters(
    client: ScalewayClient,
    region: str,
    *,
    page: int,
    page_size: int,
    name: str | None = None,
    status: str | None = None,
) -> ListClustersResponse:
    """One page of the region's clusters, filtered by name part and status."""
    from scaleway.k8s.v1 import ClusterStatus

    return await client.call_idempotent(
        client.k8s.list_clusters,
        region=region,
        page=page,
        page_size=page_size,
        name=name,
        status=ClusterStatus(status) if status else None,
    )


async def create_cluster(
    client: ScalewayClient,
    region: str,
    *,
    name: str,
    version: str,
    cni: str,
    description: str,
    tags: list[str],
    pool: CreateClusterRequestPoolConfig,
    private_network_id: str,
    project_id: str | None,
) -> Cluster:
    """A new Kapsule cluster with one pool (one call, no retries: use ``client.create_once``)."""
    from scaleway.k8s.v1 import CNI

    return await client.call(
        client.k8s.create_cluster,
        type_="kapsule",
        description=description,
        version=version,
        cni=CNI(cni),
        region=region,
        project_id=project_id or client.project_id,
        name=name,
        tags=tags,
        pools=[pool],
        private_network_id=private_network_id,
    )


async def find_cluster_by_tag(
    client: ScalewayClient, region: str, tag: str, name: str
) -> Cluster | None:
    """The cluster named ``name`` carrying ``tag`` (a job's mark), if any.

    Kapsule lists cannot filter on tags; the name narrows the page to search.
    """
    response = await client.call_idempotent(
        client.k8s.list_clusters, region=region, name=name, page=1, page_size=100
    )
    cluster: Cluster | None = tagged(response.clusters, tag)
    return cluster


def default_pool(
    node_type: str,
    size: int,
    *,
    zone: str,
    autoscaling: bool = False,
    min_size: int | None = None,
    max_size: int | None = None,
    tags: list[str] | None = None,
) -> CreateClusterRequestPoolConfig:
    """The SDK config of a new cluster's ``default`` pool: containerd, autohealing, public IPs.

    Autoscaling bounds default to the pool's size.
    """
    from scaleway.k8s.v1 import CreateClusterRequestPoolConfig, PoolVolumeType, Runtime

    return CreateClusterRequestPoolConfig(
        name="default",
        node_type=node_type,
        autoscaling=autoscaling,
        size=size,
        min_size=min_size if min_size is not None else size,
        max_size=max_size if max_size is not None else size,
        container_runtime=Runtime.CONTAINERD,
        autohealing=True,
        tags=list(tags or []),
        kubelet_args={},
        zone=zone,
        root_volume_type=PoolVolumeType.DEFAULT_VOLUME_TYPE,
        public_ip_disabled=False,
        labels={},
        taints=[],
        startup_taints=[],
        user_data={},
    )


def node_counts(nodes: list[Any]) -> JSON:
    """How many nodes there are, and how many are ready."""
    statuses = [status_text(n.status) for n in nodes]
    return {"total": len(statuses), "ready": statuses.count(READY)}


def cluster_summary(cluster: Any) -> JSON:
    """One row of ``list_clusters``."""
    return {
        "id": cluster.id,
        "name": cluster.name,
        "status": status_text(cluster.status),
        "version": cluster.version,
        "cni": status_text(cluster.cni),
        "region": str(cluster.region),
        "private_network_id": cluster.private_network_id,
        "tags": list(cluster.tags or []),
    }


def node_type_name(node_type: str | None) -> str | None:
    """A pool's node type as users write it: the K8s API's ``dev1_m`` is ``DEV1-M``."""
    return node_type.upper().replace("_", "-") if node_type else node_type


def pool_summary(pool: Any) -> JSON:
    """A node pool: type, size and autoscaling bounds."""
    return {
        "id": pool.id,
        "name": pool.name,
        "status": status_text(pool.status),
        "node_type": node_type_name(pool.node_type),
        "size": pool.size,
        "autoscaling": pool.autoscaling,
        "min_size": pool.min_size,
        "max_size": pool.max_size,
        "zone": str(pool.zone),
    }


def cluster_detail(cluster: Any, pools: list[Any]) -> JSON:
    """What ``get_cluster`` shows: the summary, the API URL, upgrades and the pools."""
    return {
        **cluster_summary(cluster),
        "cluster_url": cluster.cluster_url,
        "dns_wildcard": cluster.dns_wildcard,
        "upgrade_available": cluster.upgrade_available,
        "created_at": str(cluster.created_at) if cluster.created_at else None,
        "pools": [pool_summary(p) for p in pools],
    }


def kubeconfig_facts(text: str) -> JSON:
    """The API server URL and context name of a kubeconfig (never its credentials)."""
    import yaml

    data = yaml.safe_load(text) or {}
    clusters = data.get("clusters") or [{}]
    server = ((clusters[0] or {}).get("cluster") or {}).get("server")
    return {"server": server, "context": data.get("current-context")}


async def fetch_kubeconfig(client: ScalewayClient, region: str, cluster_id: str) -> str:
    """The cluster's kubeconfig YAML (it holds a credential: never log it)."""
    import base64

    await get_cluster(client, region, cluster_id)  # a clear NotFound first
    scw_file = await client.call_idempotent(
        client.k8s._get_cluster_kube_config, region=region, cluster_id=cluster_id
    )
    return base64.b64decode(scw_file.content).decode()


async def cluster_pools(client: ScalewayClient, region: str, cluster_id: str) -> list[Pool]:
    """The node pools of a cluster."""
    return (
        await client.call_idempotent(client.k8s.list_pools, region=region, cluster_id=cluster_id)
    ).pools


async def cluster_nodes(client: ScalewayClient, region: str, cluster_id: str) -> list[Node]:
    """The nodes of a cluster, every pool's (one page of 100)."""
    response = await client.call_idempotent(
        client.k8s.list_nodes, region=region, cluster_id=cluster_id, page_size=100
    )
    return response.nodes


async def request_deletion(
    client: ScalewayClient, region: str, cluster_id: str, with_additional_resources: bool
) -> None:
    """Ask for a cluster's deletion; one already gone or already deleting is fine."""
    try:
        await client.call_idempotent(
            client.k8s.delete_cluster,
            region=region,
            cluster_id=cluster_id,
            with_additional_resources=with_additional_resources,
        )
    except NotFound:
        pass
    except Conflict as exc:
        if exc.current_state != "deleting":
            raise


async def cluster_with_pools(client: ScalewayClient, region: str, cluster_id: str) -> JSON:
    """``cluster_detail`` with each pool's node counts."""
    cluster = await get_cluster(client, region, cluster_id)
    pools = await cluster_pools(client, region, cluster_id)
    nodes = await cluster_nodes(client, region, cluster_id)
    detail = cluster_detail(cluster, pools)
    for pool in detail["pools"]:
        pool["nodes"] = node_counts([n for n in nodes if n.pool_id == pool["id"]])
    return detail


async def get_pool(client: ScalewayClient, region: str, pool_id: str) -> Pool:
    """The node pool, or NotFound naming it and where to look."""
    pool: Pool = await get_or_explain(
        client,
        client.k8s.get_pool,
        f"pool {pool_id} was not found in {region}; get_cluster lists a cluster's pools",
        resource="pool",
        resource_id=pool_id,
        region=region,
        pool_id=pool_id,
    )
    return pool


async def update_pool(
    client: ScalewayClient,
    region: str,
    pool_id: str,
    *,
    size: int | None = None,
    autoscaling: bool | None = None,
    min_size: int | None = None,
    max_size: int | None = None,
) -> Pool:
    """Change a pool's size or autoscaling bounds (None: leave as it is); the pool after."""
    return await client.call_idempotent(
        client.k8s.update_pool,
        region=region,
        pool_id=pool_id,
        size=size,
        autoscaling=autoscaling,
        min_size=min_size,
        max_size=max_size,
    )
