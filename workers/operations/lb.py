"""Load Balancer operations: create one (tagged with the job id, polled until ``ready``,
optionally attached to a private network), add backends and frontends, attach a private
network, delete one and wait until it is gone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from jobs.models import JSON, Progress
from workers.cache import CacheKind
from workers.errors import PermanentError
from workers.leftovers import Trace
from workers.operations.waiting import first_try_lookup, poll_wait
from workers.polling import PollKind
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import Conflict, NotFound
from workers.scaleway.k8s import status_text
from workers.scaleway.lb import (
    LB_GOING,
    LB_READY,
    LB_WAIT,
    attach_private_network,
    backend_summary,
    create_backend,
    create_frontend,
    create_lb,
    delete_lb,
    find_backend,
    find_lb_by_tag,
    frontend_summary,
    get_lb,
    health_check,
    lb_detail,
    lb_frontends,
    lb_private_networks,
)
from workers.scaleway.presence import job_tag
from workers.steps import (
    CREATE_REJOIN_S,
    AnyOperation,
    Done,
    Operation,
    StepContext,
    StepOutcome,
    Wait,
)

if TYPE_CHECKING:
    from scaleway.lb.v1 import Backend, Frontend, HealthCheck, Lb


class LbRef(BaseModel):
    """A load balancer in a zone."""

    zone: str
    lb_id: str


class CreateLbParams(BaseModel):
    """Parameters of ``lb.create_lb``."""

    zone: str
    name: str
    type: str = "LB-S"
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    private_network_id: str | None = None
    project_id: str | None = None


class NetworkParams(LbRef):
    """Parameters of ``lb.attach_private_network``."""

    private_network_id: str


class BackendParams(LbRef):
    """Parameters of ``lb.create_backend``: server addresses already resolved."""

    name: str
    protocol: str = "tcp"
    port: int
    server_ips: list[str]
    health_check_port: int
    health_check_path: str | None = None


class FrontendParams(LbRef):
    """Parameters of ``lb.create_frontend``."""

    name: str
    port: int
    backend_id: str


async def until_ready(
    ctx: StepContext[Any], client: ScalewayClient, zone: str, lb_id: str
) -> Lb | Wait:
    """The load balancer when ``ready``; a ``Wait`` while it settles; fails on other states."""
    lb = await get_lb(client, zone, lb_id)
    status = status_text(lb.status)
    if status == LB_READY:
        return lb
    if status in LB_WAIT:
        return poll_wait(ctx, PollKind.LB, status, f"load balancer {lb.name} is {status}")
    raise PermanentError(
        f"load balancer {lb_id} is {status!r}, a state it does not leave by itself; look at it "
        "with get_load_balancer and delete_load_balancer removes it"
    )


async def attach_network(
    ctx: StepContext[Any], client: ScalewayClient, zone: str, lb_id: str, pn_id: str
) -> Wait | None:
    """Attach a private network once; None when the attachment is ``ready``."""
    if not ctx.checkpoint.get("attach_sent"):
        try:
            await attach_private_network(client, zone, lb_id, pn_id)
        except Conflict as exc:
            if exc.type != "already_exists":
                raise
        await ctx.save(Progress("attaching", f"private network {pn_id}"), attach_sent=True)
    attachments = await lb_private_networks(client, zone, lb_id)
    found = next((a for a in attachments if a.private_network_id == pn_id), None)
    if found is None:
        raise PermanentError(f"private network {pn_id} is not attached to load balancer {lb_id}")
    status = status_text(found.status)
    if status == "ready":
        return None
    if status != "pending":
        raise PermanentError(f"private network {pn_id} attachment is {status!r}")
    return poll_wait(ctx, PollKind.LB, "attaching", f"private network attachment is {status}")


class CreateLb(Operation[CreateLbParams]):
    """Create a load balancer tagged with the job id, wait for ``ready``, attach a network."""

    name = "lb.create_lb"
    params_model = CreateLbParams
    identity = ("zone", "project_id", "name")
    rejoin_succeeded_s = CREATE_REJOIN_S
    touches = (CacheKind.LOAD_BALANCERS,)
    traces = (
        Trace(
            "lb_id",
            lambda ctx: find_lb_by_tag(
                ctx.services.scaleway_client(),
                ctx.params.zone,
                job_tag(ctx.job.id),
            ),
            marker="create_started",
        ),
    )

    async def step(self, ctx: StepContext[CreateLbParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        if "lb_id" not in ctx.checkpoint:
            tag = job_tag(ctx.job.id)
            lookup = await first_try_lookup(
                ctx, "create_started", lambda: find_lb_by_tag(client, params.zone, tag)
            )
            created = await client.create_once(
                lookup,
                lambda: create_lb(
                    client,
                    params.zone,
                    name=params.name,
                    description=params.description,
                    type_=params.type,
                    tags=[*params.tags, tag],
                    project_id=params.project_id,
                ),
            )
            await ctx.save(
                Progress("creating", f"load balancer {created.name} created"), lb_id=created.id
            )
        lb = await until_ready(ctx, client, params.zone, ctx.checkpoint["lb_id"])
        if isinstance(lb, Wait):
            return lb
        if params.private_network_id:
            waiting = await attach_network(
                ctx, client, params.zone, lb.id, params.private_network_id
            )
            if waiting is not None:
                return waiting
        return Done(await lb_detail(client, params.zone, lb))

    async def on_cancel(self, ctx: StepContext[CreateLbParams]) -> JSON | None:
        lb_id = (await self.leftovers(ctx)).get("lb_id")
        if not lb_id:
            return {"created": None, "note": "no load balancer was created"}
        return {
            "created": {"lb_id": lb_id, "zone": ctx.params.zone},
            "note": "the load balancer exists; delete_load_balancer removes it",
        }


class AttachLbNetwork(Operation[NetworkParams]):
    """Attach a load balancer to a private network and wait until the attachment is ready."""

    name = "lb.attach_private_network"
    params_model = NetworkParams
    identity = ("zone", "lb_id", "private_network_id")
    touches = (CacheKind.LOAD_BALANCERS,)

    async def step(self, ctx: StepContext[NetworkParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        lb = await until_ready(ctx, client, params.zone, params.lb_id)
        if isinstance(lb, Wait):
            return lb
        waiting = await attach_network(ctx, client, params.zone, lb.id, params.private_network_id)
        return waiting or Done(await lb_detail(client, params.zone, lb))


class CreateBackend(Operation[BackendParams]):
    """Add a backend (server addresses, health check) once the load balancer is ready."""

    name = "lb.create_backend"
    params_model = BackendParams
    identity = ("zone", "lb_id", "name")
    touches = (CacheKind.LOAD_BALANCERS,)

    async def step(self, ctx: StepContext[BackendParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        lb = await until_ready(ctx, client, params.zone, params.lb_id)
        if isinstance(lb, Wait):
            return lb
        check = health_check(params.health_check_port, params.health_check_path)

        async def lookup() -> Backend | None:
            return await find_backend(client, params.zone, lb.id, params.name)

        if ctx.checkpoint.get("create_sent"):
            backend = await client.create_once(lookup, lambda: self._create(client, params, check))
        else:
            await ctx.save(create_sent=True)
            backend = await self._create(client, params, check)
        return Done(backend_summary(backend))

    async def _create(
        self, client: ScalewayClient, params: BackendParams, check: HealthCheck
    ) -> Backend:
        return await create_backend(
            client,
            params.zone,
            params.lb_id,
            name=params.name,
            protocol=params.protocol,
            port=params.port,
            server_ips=params.server_ips,
            check=check,
        )


class CreateFrontend(Operation[FrontendParams]):
    """Add a frontend (a port to a backend) once the load balancer is ready."""

    name = "lb.create_frontend"
    params_model = FrontendParams
    identity = ("zone", "lb_id", "name")
    touches = (CacheKind.LOAD_BALANCERS,)

    async def step(self, ctx: StepContext[FrontendParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        lb = await until_ready(ctx, client, params.zone, params.lb_id)
        if isinstance(lb, Wait):
            return lb

        async def lookup() -> Frontend | None:
            found = await lb_frontends(client, params.zone, lb.id)
            return next((f for f in found if f.inbound_port == params.port), None)

        async def create() -> Frontend:
            return await create_frontend(
                client,
                params.zone,
                lb.id,
                name=params.name,
                port=params.port,
                backend_id=params.backend_id,
            )

        if ctx.checkpoint.get("create_sent"):
            frontend = await client.create_once(lookup, create)
        else:
            await ctx.save(create_sent=True)
            frontend = await create()
        return Done(frontend_summary(frontend))


class DeleteLbParams(LbRef):
    """Parameters of ``lb.delete_lb``."""

    release_ip: bool = True


class DeleteLb(Operation[DeleteLbParams]):
    """Delete a load balancer (its backends, frontends and attachments go with it)."""

    name = "lb.delete_lb"
    params_model = DeleteLbParams
    identity = ("zone", "lb_id")
    touches = (CacheKind.LOAD_BALANCERS,)

    async def step(self, ctx: StepContext[DeleteLbParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        gone = Done(
            {"deleted": params.lb_id, "zone": params.zone, "ip_released": params.release_ip}
        )
        try:
            lb = await get_lb(client, params.zone, params.lb_id)
            status = status_text(lb.status)
            if not ctx.checkpoint.get("delete_sent") and status not in LB_GOING:
                await delete_lb(client, params.zone, lb.id, release_ip=params.release_ip)
                await ctx.save(Progress("deleting", f"load balancer {lb.name}"), delete_sent=True)
        except NotFound:
            return gone
        return poll_wait(ctx, PollKind.LB, "deleting", f"load balancer {lb.name} is {status}")


CREATE_LB = CreateLb()
ATTACH_LB_NETWORK = AttachLbNetwork()
CREATE_BACKEND = CreateBackend()
CREATE_FRONTEND = CreateFrontend()
DELETE_LB = DeleteLb()
OPERATIONS: list[AnyOperation] = [
    CREATE_LB,
    ATTACH_LB_NETWORK,
    CREATE_BACKEND,
    CREATE_FRONTEND,
    DELETE_LB,
]
