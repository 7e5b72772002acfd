"""Kubernetes (Kapsule) tools: list and read clusters directly, kubeconfigs to 0600 files,
create and delete clusters and scale pools through jobs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, model_validator

from jobs.models import JSON
from mcp_front import envelope
from mcp_front.errors import ToolInputError
from mcp_front.file_roots import FileRoots
from mcp_front.inputs import (
    NamedInput,
    PageInput,
    RegionInput,
    every_region_field,
    known_zone,
    optional_uuid_of,
    region_of,
    uuid_of,
)
from mcp_front.job_wait import submit_and_wait
from mcp_front.price_note import with_price
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolSpec, scaleway
from mcp_front.tools.across import listing_page
from mcp_front.tools.paging import Listing
from workers.cache import CacheKind
from workers.operations.k8s import (
    CREATE_CLUSTER,
    DELETE_CLUSTER,
    CreateClusterParams,
    DeleteClusterParams,
)
from workers.operations.k8s_pools import UPDATE_POOL, UpdatePoolParams
from workers.pricing.estimate import ItemKind, PlanItem
from workers.scaleway import k8s as k8s_api
from workers.scaleway.instance import check_commercial_type
from workers.scaleway.k8s import (
    cluster_nodes,
    cluster_summary,
    cluster_with_pools,
    fetch_kubeconfig,
    get_pool,
    kubeconfig_facts,
    resolve_version,
)
from workers.scaleway.k8s import (
    get_cluster as read_cluster,
)
from workers.scaleway.network import get_private_network
from workers.secret_files import safe_file_name, write_secret

Cni = Literal["cilium", "calico", "kilo", "none", "cilium_native"]
ClusterStatus = Literal["creating", "ready", "deleting", "updating", "locked", "pool_required"]


class ClusterInput(RegionInput):
    cluster_id: Annotated[str, uuid_of("a cluster")] = Field(
        description="Cluster id (UUID); list_clusters shows them."
    )


class ListClustersInput(PageInput):
    region: str | None = every_region_field()
    name: str | None = Field(None, description="Only clusters whose name contains this.")
    status: ClusterStatus | None = Field(None, description="Only clusters in this status.")


class CreateClusterInput(NamedInput):
    node_type: str = Field(description="Node type of the default pool, e.g. DEV1-M, PRO2-S.")
    version: str | None = Field(None, description="Kubernetes version (default: the newest).")
    cni: Cni = Field("cilium", description="Container network plugin.")
    pool_size: int = Field(1, ge=1, le=150, description="Nodes in the default pool.")
    autoscaling: bool = Field(False, description="Let the pool scale between min and max.")
    min_size: int | None = Field(None, ge=0, le=150, description="Autoscaling minimum.")
    max_size: int | None = Field(None, ge=1, le=150, description="Autoscaling maximum.")
    zone: str | None = Field(None, description="Zone of the pool (default: <region>-1).")
    private_network_id: Annotated[str | None, optional_uuid_of("a private network")] = Field(
        None, description="Private network to use (default: one created for the cluster)."
    )
    description: str = Field("", max_length=255, description="Free text.")

    @model_validator(mode="after")
    def _sizes(self) -> CreateClusterInput:
        low = self.min_size if self.min_size is not None else self.pool_size
        high = self.max_size if self.max_size is not None else self.pool_size
        if not low <= self.pool_size <= high:
            raise ValueError("need min_size <= pool_size <= max_size")
        if not self.autoscaling and (low, high) != (self.pool_size, self.pool_size):
            raise ValueError("min_size and max_size need autoscaling=true")
        return self


class KubeconfigInput(ClusterInput):
    path: str | None = Field(
        None, description="File to write (default: under the server's secrets directory)."
    )
    include_content: bool = Field(
        False, description="Also return the kubeconfig text (it holds a credential)."
    )
    overwrite: bool = Field(False, description="Replace the file at path if there is one.")


class DeleteClusterInput(ClusterInput):
    with_additional_resources: bool = Field(
        False,
        description="Also delete its volumes, load balancers and its private network if empty.",
    )


class UpdatePoolInput(RegionInput):
    pool_id: Annotated[str, uuid_of("a pool")] = Field(
        description="Pool id (UUID); get_cluster lists a cluster's pools."
    )
    size: int | None = Field(None, ge=0, le=150, description="Nodes wanted.")
    autoscaling: bool | None = Field(None, description="Let the pool scale between min and max.")
    min_size: int | None = Field(None, ge=0, le=150, description="Autoscaling minimum.")
    max_size: int | None = Field(None, ge=1, le=150, description="Autoscaling maximum.")


CLUSTERS = Listing(CacheKind.CLUSTERS, "clusters", k8s_api.list_clusters, cluster_summary)


async def list_clusters(args: ListClustersInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Clusters of a region, summarised and paginated (cached briefly)."""
    return await listing_page(
        CLUSTERS, runtime, args, "region", args.region, name=args.name, status=args.status
    )


async def get_cluster(args: ClusterInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """A cluster with its API URL and its pools' node counts."""
    region = region_of(runtime, args.region)
    detail = await cluster_with_pools(scaleway(runtime), region, args.cluster_id)
    return envelope.success(detail, source=runtime.source)


async def create_cluster(
    args: CreateClusterInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Create a cluster with its default pool (a job) once version, CNI and type are checked."""
    region = region_of(runtime, args.region)
    zone = known_zone(args.zone or f"{region}-1")
    if not zone.startswith(f"{region}-"):
        raise ToolInputError("zone", f"{zone} is not in region {region}")
    client, cache = scaleway(runtime), runtime.services.read_cache
    version = await resolve_version(client, cache, region, args.version, args.cni)
    node_type = await check_commercial_type(client, cache, zone, args.node_type, field="node_type")
    if args.private_network_id:
        await get_private_network(client, region, args.private_network_id)
    params = CreateClusterParams(
        region=region,
        zone=zone,
        name=args.name,
        version=version,
        cni=args.cni,
        node_type=node_type,
        pool_size=args.pool_size,
        autoscaling=args.autoscaling,
        min_size=args.min_size,
        max_size=args.max_size,
        private_network_id=args.private_network_id,
        tags=args.tags,
        description=args.description,
    )
    result = await submit_and_wait(runtime, ctx, CREATE_CLUSTER, params)
    pool = PlanItem(ItemKind.K8S_POOL, zone, node_type, count=args.pool_size)
    return await with_price(runtime, result, [pool])


async def get_cluster_kubeconfig(
    args: KubeconfigInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Write the kubeconfig to a 0600 file; return its path, server URL and context."""
    region = region_of(runtime, args.region)
    roots = FileRoots.of(runtime.settings)
    chosen = roots.writable("path", args.path, overwrite=args.overwrite) if args.path else None
    text = await fetch_kubeconfig(scaleway(runtime), region, args.cluster_id)
    facts = kubeconfig_facts(text)
    name = safe_file_name("kubeconfig", str(facts["context"] or ""), args.cluster_id[:8])
    target = chosen or runtime.settings.secrets_dir / f"{name}.yaml"
    try:
        path = write_secret(target, text)
    except OSError as exc:
        raise ToolInputError("path", f"cannot write {target}: {exc.strerror or exc}") from None
    data: dict[str, Any] = {
        "cluster_id": args.cluster_id,
        "path": str(path),
        "mode": "0600",
        "server": facts["server"],
        "context": facts["context"],
        "usage": f"KUBECONFIG={path} kubectl get nodes",
    }
    if args.include_content:
        data["content"] = text
    return envelope.success(data, source=runtime.source)


async def delete_cluster(
    args: DeleteClusterInput, runtime: Runtime, ctx: Context
) -> CallToolResult:
    """Delete a cluster (a job) and wait until it is gone."""
    params = DeleteClusterParams(
        region=region_of(runtime, args.region),
        cluster_id=args.cluster_id,
        with_additional_resources=args.with_additional_resources,
    )
    return await submit_and_wait(runtime, ctx, DELETE_CLUSTER, params)


async def update_pool(args: UpdatePoolInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Scale a pool (a job); sizes outside min/max are refused before any job."""
    region, pool, _, _ = await _pool_change(args, runtime)
    params = UpdatePoolParams(
        region=region,
        pool_id=pool.id,
        size=args.size,
        autoscaling=args.autoscaling,
        min_size=args.min_size,
        max_size=args.max_size,
    )
    return await submit_and_wait(runtime, ctx, UPDATE_POOL, params)


async def describe_pool_change(args: UpdatePoolInput, runtime: Runtime) -> str:
    """What ``update_pool`` changes: the pool's node count (fewer nodes drain workloads)."""
    _, pool, _, size = await _pool_change(args, runtime)
    what = f"Scale pool {pool.name} (cluster {pool.cluster_id}) from {pool.size} to {size} nodes"
    if size < pool.size:
        return f"{what}: {pool.size - size} node(s) and the pods on them go away."
    return f"{what}."


async def _pool_change(args: UpdatePoolInput, runtime: Runtime) -> tuple[str, Any, JSON, int]:
    """Region, pool, changes and resulting size of a valid ``update_pool`` call."""
    region = region_of(runtime, args.region)
    pool = await get_pool(scaleway(runtime), region, args.pool_id)
    changes = args.model_dump(exclude={"region", "pool_id"}, exclude_none=True)
    if not changes:
        raise ToolInputError("size", "give size, autoscaling, min_size or max_size")
    low = args.min_size if args.min_size is not None else pool.min_size
    high = args.max_size if args.max_size is not None else pool.max_size
    size = args.size if args.size is not None else pool.size
    autoscaling = args.autoscaling if args.autoscaling is not None else pool.autoscaling
    if low > high:
        raise ToolInputError("min_size", f"min_size {low} is above max_size {high}")
    if autoscaling and not low <= size <= high:
        raise ToolInputError("size", f"size {size} is outside min_size {low}..max_size {high}")
    return region, pool, changes, size


async def describe_cluster_deletion(args: DeleteClusterInput, runtime: Runtime) -> str:
    """What ``delete_cluster`` takes away: the cluster, its nodes, its network if asked."""
    region = region_of(runtime, args.region)
    client = scaleway(runtime)
    cluster = await read_cluster(client, region, args.cluster_id)
    nodes = len(await cluster_nodes(client, region, args.cluster_id))
    what = f"Delete cluster {cluster.name} ({nodes} node{'s' * (nodes != 1)}, {region})"
    network = cluster.private_network_id
    if network:
        name = (await get_private_network(client, region, network)).name
        if args.with_additional_resources:
            return f"{what}, its volumes, load balancers and its private network {name} if empty."
        return f"{what}; its private network {name} stays."
    return f"{what}."


TOOLS = [
    ToolSpec(
        name="list_clusters",
        title="List Kubernetes clusters",
        description=(
            "Kapsule clusters of a region: id, name, status, version, CNI, network, tags. "
            "Filters: name, status. Paginated."
        ),
        input_model=ListClustersInput,
        handler=list_clusters,
        group=ToolGroup.K8S,
        read_only=True,
    ),
    ToolSpec(
        name="get_cluster",
        title="Get Kubernetes cluster",
        description="One cluster: status, API URL, upgrades, pools with node counts.",
        input_model=ClusterInput,
        handler=get_cluster,
        group=ToolGroup.K8S,
        read_only=True,
    ),
    ToolSpec(
        name="create_cluster",
        title="Create Kubernetes cluster",
        description=(
            "Create a Kapsule cluster with a default pool (job, minutes); its private network "
            "is created if omitted. Waits until the cluster and its nodes are ready."
        ),
        input_model=CreateClusterInput,
        handler=create_cluster,
        group=ToolGroup.K8S,
        read_only=False,
    ),
    ToolSpec(
        name="get_cluster_kubeconfig",
        title="Get cluster kubeconfig",
        description=(
            "Write a cluster's kubeconfig to a 0600 file; returns its path, server URL and "
            "context. The content (a credential) only with include_content=true."
        ),
        input_model=KubeconfigInput,
        handler=get_cluster_kubeconfig,
        group=ToolGroup.K8S,
        read_only=True,
        writes_local_files=True,
    ),
    ToolSpec(
        name="delete_cluster",
        title="Delete Kubernetes cluster",
        description=(
            "Delete a cluster (job) and wait until it is gone; with_additional_resources also "
            "deletes its volumes, load balancers and empty private network."
        ),
        input_model=DeleteClusterInput,
        handler=delete_cluster,
        group=ToolGroup.K8S,
        describe=describe_cluster_deletion,
        read_only=False,
        destructive=True,
        idempotent=True,
    ),
    ToolSpec(
        name="update_pool",
        title="Scale Kubernetes pool",
        description=(
            "Change a pool's size or autoscaling (min/max) and wait until its nodes are ready "
            "(job)."
        ),
        input_model=UpdatePoolInput,
        handler=update_pool,
        group=ToolGroup.K8S,
        describe=describe_pool_change,
        read_only=False,
        destructive=True,
        idempotent=True,
    ),
]
