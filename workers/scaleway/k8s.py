"""Kapsule over the adapter: versions, tag look-ups, the cluster's network, summaries.

Statuses are compared as the API spells them: the SDK hands back unknown values (``error``)
as plain strings, known ones as enums; ``status_text`` reads both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from jobs.models import JSON
from workers.cache import ReadCache
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import InvalidRequest, NotFound

VERSIONS_KIND = "k8s_versions"
CLUSTER_WAIT = frozenset({"creating", "updating"})
POOL_WAIT = frozenset({"scaling", "upgrading"})
READY = "ready"


def status_text(value: Any) -> str:
    """An SDK status (enum or raw string) as the API spells it."""
    return str(value.value if isinstance(value, Enum) else value or "unknown")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in name.split("."))


async def k8s_versions(client: ScalewayClient, cache: ReadCache, region: str) -> dict[str, Any]:
    """Kubernetes versions offered in a region, newest first, by name (cached)."""

    async def load() -> dict[str, Any]:
        response = await client.read(client.k8s.list_versions, region=region)
        ordered = sorted(response.versions, key=lambda v: _version_key(v.name), reverse=True)
        return {v.name: v for v in ordered}

    return await cache.get_or_load(VERSIONS_KIND, region, load)  # type: ignore[no-any-return]


async def resolve_version(
    client: ScalewayClient, cache: ReadCache, region: str, version: str | None, cni: str
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


async def get_cluster(client: ScalewayClient, region: str, cluster_id: str) -> Any:
    """The cluster, or NotFound naming it and where to look."""
    try:
        return await client.read(client.k8s.get_cluster, region=region, cluster_id=cluster_id)
    except NotFound as exc:
        raise NotFound(
            f"cluster {cluster_id} was not found in {region}; list_clusters shows the clusters",
            status=404,
            resource="cluster",
            resource_id=cluster_id,
        ) from exc


async def find_cluster_by_tag(
    client: ScalewayClient, region: str, tag: str, name: str
) -> Any | None:
    """The cluster named ``name`` carrying ``tag`` (a job's mark), if any.

    Kapsule lists cannot filter on tags; the name narrows the page to search.
    """
    response = await client.read(
        client.k8s.list_clusters, region=region, name=name, page=1, page_size=100
    )
    return next((c for c in response.clusters if tag in (c.tags or [])), None)


async def find_network_by_tag(client: ScalewayClient, region: str, tag: str) -> Any | None:
    """The private network carrying ``tag`` (a job's mark), if any."""
    found = await client.read(client.vpc.list_private_networks, region=region, tags=[tag])
    return next((n for n in found.private_networks if tag in (n.tags or [])), None)


async def ensure_network(
    client: ScalewayClient,
    region: str,
    name: str,
    tag: str,
    project_id: str | None,
    lookup: Callable[[], Awaitable[Any | None]],
) -> Any:
    """The private network ``lookup`` finds, else one created, named ``name``, tagged ``tag``."""
    return await client.create_once(
        lookup,
        lambda: client.call(
            client.vpc.create_private_network,
            default_route_propagation_enabled=False,
            region=region,
            name=name,
            project_id=project_id or client.project_id,
            tags=[tag],
        ),
    )


async def private_network_exists(client: ScalewayClient, region: str, pn_id: str) -> bool:
    """Whether a private network still exists."""
    try:
        await client.read(client.vpc.get_private_network, region=region, private_network_id=pn_id)
    except NotFound:
        return False
    return True


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


def pool_summary(pool: Any) -> JSON:
    """A node pool: type, size and autoscaling bounds."""
    return {
        "id": pool.id,
        "name": pool.name,
        "status": status_text(pool.status),
        "node_type": pool.node_type,
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
    scw_file = await client.read(
        client.k8s._get_cluster_kube_config, region=region, cluster_id=cluster_id
    )
    return base64.b64decode(scw_file.content).decode()


async def cluster_with_pools(client: ScalewayClient, region: str, cluster_id: str) -> JSON:
    """``cluster_detail`` with each pool's node counts."""
    cluster = await get_cluster(client, region, cluster_id)
    pools = (await client.read(client.k8s.list_pools, region=region, cluster_id=cluster_id)).pools
    nodes = (
        await client.read(
            client.k8s.list_nodes, region=region, cluster_id=cluster_id, page_size=100
        )
    ).nodes
    detail = cluster_detail(cluster, pools)
    for pool in detail["pools"]:
        pool["nodes"] = node_counts([n for n in nodes if n.pool_id == pool["id"]])
    return detail
