"""Kapsule pool operations: change a pool's size or autoscaling bounds and wait until every
node is ready again."""

from __future__ import annotations

from pydantic import BaseModel

from jobs.models import Progress
from workers.scaleway.k8s import (
    POOL_WAIT,
    READY,
    cluster_nodes,
    get_pool,
    node_counts,
    pool_summary,
    status_text,
)
from workers.scaleway.power import services_of
from workers.scaleway.waiting import failed_status, wait_in_status
from workers.steps import Done, Operation, StepContext, StepOutcome


class UpdatePoolParams(BaseModel):
    """Parameters of ``k8s.update_pool`` (None: leave as it is)."""

    region: str
    pool_id: str
    size: int | None = None
    autoscaling: bool | None = None
    min_size: int | None = None
    max_size: int | None = None


class UpdatePool(Operation):
    """Scale a pool (size, autoscaling, min/max) once it is ready; wait for its nodes."""

    name = "k8s.update_pool"
    params_model = UpdatePoolParams
    identity = None  # every parameter: a different content or size is a different call
    touches = ("k8s",)

    async def step(self, ctx: StepContext) -> StepOutcome:
        params: UpdatePoolParams = ctx.params  # type: ignore[assignment]
        client, _ = services_of(ctx)
        pool = await get_pool(client, params.region, params.pool_id)
        status = status_text(pool.status)
        advice = f"look at pool {pool.id} with get_cluster"
        if status != READY and status not in POOL_WAIT:
            raise failed_status(f"pool {pool.id}", status, ctx.elapsed_s, advice)
        if not ctx.checkpoint.get("update_sent"):
            if status != READY:  # a pool already scaling takes no change until it is done
                message = f"pool {pool.name} is {status}; the change waits"
                return wait_in_status(ctx, client, "pool", status, message, advice=advice)
            changes = params.model_dump(exclude={"region", "pool_id"}, exclude_none=True)
            pool = await client.read(
                client.k8s.update_pool, region=params.region, pool_id=pool.id, **changes
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
        return wait_in_status(ctx, client, "pool", "scaling", message, advice=advice)


OPERATIONS: list[Operation] = [UpdatePool()]
