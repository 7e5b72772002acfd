"""Kapsule pool operations: change a pool's size or autoscaling bounds and wait until every
node is ready again."""

from __future__ import annotations

from pydantic import BaseModel

from jobs.models import Progress
from workers.cache import CacheKind
from workers.operations.waiting import failed_status, wait_in_status
from workers.polling import PollKind
from workers.scaleway.k8s import (
    POOL_WAIT,
    READY,
    cluster_nodes,
    get_pool,
    node_counts,
    pool_summary,
    status_text,
    update_pool,
)
from workers.steps import AnyOperation, Done, Operation, StepContext, StepOutcome


class UpdatePoolParams(BaseModel):
    """Parameters of ``k8s.update_pool`` (None: leave as it is)."""

    region: str
    pool_id: str
    size: int | None = None
    autoscaling: bool | None = None
    min_size: int | None = None
    max_size: int | None = None


class UpdatePool(Operation[UpdatePoolParams]):
    """Scale a pool (size, autoscaling, min/max) once it is ready; wait for its nodes."""

    name = "k8s.update_pool"
    params_model = UpdatePoolParams
    identity = None  # every parameter: a different content or size is a different call
    touches = (CacheKind.CLUSTERS,)

    async def step(self, ctx: StepContext[UpdatePoolParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        pool = await get_pool(client, params.region, params.pool_id)
        status = status_text(pool.status)
        advice = f"look at pool {pool.id} with get_cluster"
        if status != READY and status not in POOL_WAIT:
            raise failed_status(f"pool {pool.id}", status, ctx.elapsed_s, advice)
        if not ctx.checkpoint.get("update_sent"):
            if status != READY:  # a pool already scaling takes no change until it is done
                message = f"pool {pool.name} is {status}; the change waits"
                return wait_in_status(ctx, PollKind.POOL, status, message, advice=advice)
            pool = await update_pool(
                client,
                params.region,
                pool.id,
                size=params.size,
                autoscaling=params.autoscaling,
                min_size=params.min_size,
                max_size=params.max_size,
            )
            await ctx.save(Progress("scaling", f"pool {pool.name} updated"), update_sent=True)
            status = status_text(pool.status)
        nodes = [
            n
            for n in await cluster_nodes(client, params.region, pool.cluster_id)
            if n.pool_id == pool.id
        ]
        counts = node_counts(nodes)
        if status == READY and counts["ready"] == counts["total"]:
            return Done({**pool_summary(pool), "nodes": counts})
        message = f"pool {pool.name} is {status}: {counts['ready']}/{pool.size} nodes ready"
        return wait_in_status(ctx, PollKind.POOL, "scaling", message, advice=advice)


UPDATE_POOL = UpdatePool()
OPERATIONS: list[AnyOperation] = [UPDATE_POOL]
