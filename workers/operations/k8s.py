"""Kapsule operations: create a cluster with its pool and wait for its nodes; delete one.

``k8s.create_cluster`` runs as resumable steps over its checkpoint:

1. the private network: the one given, or one created for the cluster (tagged with the job);
2. the cluster with its default pool, tagged with the job id (looked up first on resume);
3. polls: cluster ``creating`` -> ``ready``, then pool ``scaling`` -> ``ready`` with every
   node ready, reporting the cluster's status and the pool's node counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from jobs.models import JSON, Progress
from workers.cache import CacheKind
from workers.errors import PermanentError
from workers.leftovers import Trace
from workers.operations.waiting import failed_status, first_try_lookup, wait_in_status
from workers.polling import PollKind
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import NotFound
from workers.scaleway.k8s import (
    CLUSTER_WAIT,
    POOL_WAIT,
    READY,
    cluster_nodes,
    cluster_pools,
    cluster_summary,
    create_cluster,
    default_pool,
    find_cluster_by_tag,
    get_cluster,
    node_counts,
    pool_summary,
    request_deletion,
    status_text,
)
from workers.scaleway.network import (
    delete_private_network,
    ensure_network,
    find_network_by_tag,
    private_network_exists,
)
from workers.scaleway.presence import job_tag

if TYPE_CHECKING:
    from scaleway.k8s.v1 import Cluster

from workers.steps import CREATE_REJOIN_S, AnyOperation, Done, Operation, StepContext, StepOutcome

# Node statuses that will not become ready by waiting: time to look at the pool.
NODE_TROUBLE = frozenset({"not_ready", "creation_error", "locked", "deleting", "deleted"})


class CreateClusterParams(BaseModel):
    """Parameters of ``k8s.create_cluster`` (version and node type already checked)."""

    region: str
    name: str
    version: str
    cni: str = "cilium"
    node_type: str
    pool_size: int = 1
    autoscaling: bool = False
    min_size: int | None = None
    max_size: int | None = None
    zone: str | None = None
    private_network_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    description: str = ""
    project_id: str | None = None


class DeleteClusterParams(BaseModel):
    """Parameters of ``k8s.delete_cluster``."""

    region: str
    cluster_id: str
    with_additional_resources: bool = False


def _cleanup_advice(cluster_id: str) -> str:
    return (
        f"the cluster {cluster_id} still exists: inspect it with get_cluster, remove it with "
        "delete_cluster (with_additional_resources=true also removes its private network), "
        "then try again"
    )


class CreateCluster(Operation[CreateClusterParams]):
    """Create a Kapsule cluster with one pool and wait until the cluster and its nodes are up."""

    name = "k8s.create_cluster"
    params_model = CreateClusterParams
    identity = ("region", "project_id", "name")
    rejoin_succeeded_s = CREATE_REJOIN_S
    touches = (CacheKind.CLUSTERS, CacheKind.PRIVATE_NETWORKS)
    traces = (
        Trace(
            "private_network_id",
            lambda ctx: find_network_by_tag(
                ctx.services.scaleway_client(),
                ctx.params.region,
                job_tag(ctx.job.id),
            ),
            marker="network_started",
        ),
        Trace(
            "cluster_id",
            lambda ctx: find_cluster_by_tag(
                ctx.services.scaleway_client(),
                ctx.params.region,
                job_tag(ctx.job.id),
                ctx.params.name,
            ),
            marker="cluster_started",
        ),
    )

    async def step(self, ctx: StepContext[CreateClusterParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        cp = ctx.checkpoint
        tag = job_tag(ctx.job.id)
        if "private_network_id" not in cp:
            if params.private_network_id:
                pn_id, created = params.private_network_id, False
            else:
                lookup = await first_try_lookup(
                    ctx, "network_started", lambda: find_network_by_tag(client, params.region, tag)
                )
                network = await ensure_network(
                    client, params.region, f"{params.name}-pn", [tag], params.project_id, lookup
                )
                pn_id, created = network.id, True
            what = "created for the cluster" if created else "given"
            await ctx.save(
                Progress("network", f"private network {pn_id} {what}", 0.05),
                private_network_id=pn_id,
                network_created=created,
            )
        if "cluster_id" not in cp:
            find_cluster = await first_try_lookup(
                ctx,
                "cluster_started",
                lambda: find_cluster_by_tag(client, params.region, tag, params.name),
            )
            try:
                cluster = await client.create_once(
                    find_cluster,
                    lambda: self._create(client, params, tag, cp["private_network_id"]),
                )
            except PermanentError as exc:
                raise PermanentError(f"{exc}; {await self._undo_network(ctx)}") from None
            status = status_text(cluster.status)
            await ctx.save(
                Progress("creating", f"cluster {cluster.name} is {status}", 0.1),
                cluster_id=cluster.id,
            )
        return await self._poll(ctx, client, params, cp["cluster_id"])

    async def _create(
        self, client: ScalewayClient, params: CreateClusterParams, tag: str, pn_id: str
    ) -> Cluster:
        pool = default_pool(
            params.node_type,
            params.pool_size,
            zone=params.zone or f"{params.region}-1",
            autoscaling=params.autoscaling,
            min_size=params.min_size,
            max_size=params.max_size,
            tags=[tag],
        )
        return await create_cluster(
            client,
            params.region,
            name=params.name,
            version=params.version,
            cni=params.cni,
            description=params.description,
            tags=[*params.tags, tag],
            pool=pool,
            private_network_id=pn_id,
            project_id=params.project_id,
        )

    async def _undo_network(self, ctx: StepContext[CreateClusterParams]) -> str:
        """Remove the network this job created for a cluster that could not be created."""
        cp = ctx.checkpoint
        if not cp.get("network_created"):
            return "nothing was created"
        client = ctx.services.scaleway_client()
        region = ctx.params.region
        try:
            await delete_private_network(client, region, cp["private_network_id"])
        except Exception:  # reported below; the original error matters more
            return f"the private network {cp['private_network_id']} created for it remains"
        # Gone: what the failed job leaves must not name it (nor look for it by tag).
        for key in ("private_network_id", "network_created", "network_started"):
            cp.pop(key, None)
        return "the private network created for it was deleted again"

    async def _poll(
        self,
        ctx: StepContext[CreateClusterParams],
        client: ScalewayClient,
        params: CreateClusterParams,
        cid: str,
    ) -> StepOutcome:
        """One poll: the cluster's status until ready, then its nodes (one call each)."""
        advice = _cleanup_advice(cid)
        if "cluster" not in ctx.checkpoint:
            cluster = await get_cluster(client, params.region, cid)
            status = status_text(cluster.status)
            if status in CLUSTER_WAIT:
                message = f"cluster {cluster.name} is {status}"
                return wait_in_status(
                    ctx, PollKind.CLUSTER, status, message, advice=advice, fraction=0.2
                )
            if status != READY:
                raise failed_status(f"cluster {cid}", status, ctx.elapsed_s, advice)
            # Kept for the result: the cluster is not read again.
            await ctx.save(
                Progress("pool", "cluster ready; waiting for its nodes", 0.5),
                cluster=cluster_summary(cluster),
            )
        nodes = await cluster_nodes(client, params.region, cid)
        counts = node_counts(nodes)
        statuses = {status_text(n.status) for n in nodes}
        all_up = counts["total"] >= params.pool_size and counts["ready"] == counts["total"]
        if all_up or statuses & NODE_TROUBLE:
            # Only now is the pool itself worth a call: to confirm, or to say what is wrong.
            pools = await cluster_pools(client, params.region, cid)
            if not pools:
                raise failed_status(f"cluster {cid}", "pool_required", ctx.elapsed_s, advice)
            pool, status = pools[0], status_text(pools[0].status)
            if status == READY and all_up:
                result = {**ctx.checkpoint["cluster"], "status": READY}
                result["pool"] = {**pool_summary(pool), "nodes": counts}
                result["private_network_created"] = bool(ctx.checkpoint.get("network_created"))
                result["next"] = "get_cluster_kubeconfig writes its kubeconfig to a 0600 file"
                return Done(result)
            if status not in POOL_WAIT and status != READY:
                what = f"pool {pool.id} of cluster {cid}"
                raise failed_status(what, status, ctx.elapsed_s, advice)
        message = (
            f"cluster ready; pool: {counts['ready']}/{max(counts['total'], params.pool_size)} "
            "nodes ready"
        )
        fraction = 0.5 + 0.45 * counts["ready"] / max(1, params.pool_size)
        return wait_in_status(
            ctx, PollKind.POOL, "scaling", message, advice=advice, fraction=fraction
        )

    async def on_cancel(self, ctx: StepContext[CreateClusterParams]) -> JSON | None:
        cp = ctx.checkpoint
        exists = await self.leftovers(ctx)
        if exists.get("private_network_id"):
            # A network found by the job's tag was made by the job; a given one is in cp.
            exists["private_network_created_by_job"] = bool(
                cp.get("network_created", "private_network_id" not in cp)
            )
        if not exists:
            return {"created": None, "note": "nothing was created"}
        note = (
            "the cluster exists and keeps provisioning; delete_cluster with "
            "with_additional_resources=true removes it and its private network"
            if "cluster_id" in exists
            else "only the private network was created; delete it if you do not need it"
        )
        return {"created": exists, "note": note}


class DeleteCluster(Operation[DeleteClusterParams]):
    """Delete a cluster (and, if asked, its volumes, load balancers, empty network)."""

    name = "k8s.delete_cluster"
    params_model = DeleteClusterParams
    identity = ("region", "cluster_id")
    touches = (CacheKind.CLUSTERS, CacheKind.PRIVATE_NETWORKS)

    async def step(self, ctx: StepContext[DeleteClusterParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        cp = ctx.checkpoint
        if not cp.get("delete_sent"):
            cluster = await get_cluster(client, params.region, params.cluster_id)
            await request_deletion(
                client, params.region, params.cluster_id, params.with_additional_resources
            )
            await ctx.save(
                Progress("deleting", f"cluster {cluster.name} is deleting", 0.1),
                delete_sent=True,
                name=cluster.name,
                private_network_id=cluster.private_network_id,
            )
        try:
            cluster = await get_cluster(client, params.region, params.cluster_id)
        except NotFound:
            return Done(await self._result(ctx, client, params))
        status = status_text(cluster.status)
        if status != "deleting":
            advice = "check it with get_cluster and delete it again"
            raise failed_status(f"cluster {params.cluster_id}", status, ctx.elapsed_s, advice)
        return wait_in_status(
            ctx,
            PollKind.CLUSTER,
            status,
            f"cluster {cluster.name} is deleting",
            advice="it is still deleting; check it later with get_cluster",
            fraction=0.5,
        )

    async def _result(
        self,
        ctx: StepContext[DeleteClusterParams],
        client: ScalewayClient,
        params: DeleteClusterParams,
    ) -> JSON:
        pn_id = ctx.checkpoint.get("private_network_id")
        remains = bool(pn_id) and await private_network_exists(client, params.region, str(pn_id))
        return {
            "deleted": params.cluster_id,
            "name": ctx.checkpoint.get("name"),
            "with_additional_resources": params.with_additional_resources,
            "private_network_id": pn_id,
            "private_network_deleted": bool(pn_id) and not remains,
        }

    async def on_cancel(self, ctx: StepContext[DeleteClusterParams]) -> JSON | None:
        sent = bool(ctx.checkpoint.get("delete_sent"))
        return {
            "cluster_id": ctx.params.cluster_id,
            "delete_requested": sent,
            "note": "the deletion was requested and goes on without us"
            if sent
            else "the cluster was not touched",
        }


CREATE_CLUSTER = CreateCluster()
DELETE_CLUSTER = DeleteCluster()
OPERATIONS: list[AnyOperation] = [CREATE_CLUSTER, DELETE_CLUSTER]
