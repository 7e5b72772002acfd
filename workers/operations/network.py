"""Private network operations: create and delete a network, attach a server to one (a private
NIC) and detach it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from jobs.models import JSON, Progress
from workers.cache import CacheKind
from workers.errors import InUse, PermanentError
from workers.leftovers import Trace
from workers.operations.waiting import poll_wait
from workers.polling import PollKind
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import Conflict, NotFound
from workers.scaleway.instance import (
    create_private_nic,
    delete_private_nic,
    get_private_nic,
    get_server,
    nic_on_network,
    private_nic_exists,
    state_text,
)
from workers.scaleway.network import (
    DETACH_ADVICE,
    delete_private_network,
    ensure_network,
    find_network_by_tag,
    get_private_network,
    network_dependents,
    private_network_exists,
)
from workers.scaleway.presence import job_tag
from workers.scaleway.summaries import nic_summary, private_network_summary
from workers.steps import CREATE_REJOIN_S, AnyOperation, Done, Operation, StepContext, StepOutcome

NIC_READY = "available"
NIC_TRANSIT = frozenset({"syncing"})


class CreatePrivateNetworkParams(BaseModel):
    """Parameters of ``network.create_private_network``."""

    region: str
    name: str
    vpc_id: str | None = None
    subnets: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    project_id: str | None = None


class AttachServerParams(BaseModel):
    """Parameters of ``network.attach_server``."""

    zone: str
    server_id: str
    private_network_id: str


class CreatePrivateNetwork(Operation[CreatePrivateNetworkParams]):
    """Create a private network tagged with the job id (it is usable at once)."""

    name = "network.create_private_network"
    params_model = CreatePrivateNetworkParams
    identity = ("region", "project_id", "name")
    rejoin_succeeded_s = CREATE_REJOIN_S
    touches = (CacheKind.PRIVATE_NETWORKS,)
    traces = (
        Trace(
            "private_network_id",
            lambda ctx: find_network_by_tag(
                ctx.services.scaleway_client(),
                ctx.params.region,
                job_tag(ctx.job.id),
            ),
        ),
    )

    async def step(self, ctx: StepContext[CreatePrivateNetworkParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        tag = job_tag(ctx.job.id)
        network = None
        if "private_network_id" not in ctx.checkpoint:
            network = await ensure_network(
                client,
                params.region,
                params.name,
                [*params.tags, tag],
                params.project_id,
                lambda: find_network_by_tag(client, params.region, tag),
                subnets=params.subnets or None,
                vpc_id=params.vpc_id,
            )
            await ctx.save(
                Progress("created", "private network created"), private_network_id=network.id
            )
        if network is None:
            network = await get_private_network(
                client, params.region, ctx.checkpoint["private_network_id"]
            )
        return Done(private_network_summary(network))

    async def on_cancel(self, ctx: StepContext[CreatePrivateNetworkParams]) -> JSON | None:
        pn_id = (await self.leftovers(ctx)).get("private_network_id")
        return {"created": {"private_network_id": pn_id} if pn_id else None}


class AttachServer(Operation[AttachServerParams]):
    """Connect a server to a private network; an existing NIC there is returned as is."""

    name = "network.attach_server"
    params_model = AttachServerParams
    identity = ("zone", "server_id", "private_network_id")
    touches = (CacheKind.SERVERS, CacheKind.PRIVATE_NETWORKS)

    async def step(self, ctx: StepContext[AttachServerParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        if "nic_id" not in ctx.checkpoint:
            server = await get_server(client, params.zone, params.server_id)
            tag = job_tag(ctx.job.id)

            async def create() -> Any:
                created = await self._create_nic(client, params, tag)
                # None: another attach won the race (409 already_exists); use its NIC.
                return created or await _existing_nic(client, params)

            nic = await client.create_once(lambda: _existing_nic(client, params), create)
            if nic is None:
                raise PermanentError("the private NIC vanished right after it was created")
            already = tag not in (nic.tags or [])
            await ctx.save(
                Progress("attaching", f"private NIC {nic.id} on server {server.name}"),
                nic_id=nic.id,
                already_attached=already,
            )
        nic = await get_private_nic(client, params.zone, params.server_id, ctx.checkpoint["nic_id"])
        if nic is None:
            raise PermanentError(f"private NIC {ctx.checkpoint['nic_id']} is gone")
        state = state_text(nic.state)
        if state == NIC_READY:
            result = nic_summary(nic)
            result["already_attached"] = bool(ctx.checkpoint.get("already_attached"))
            return Done(result)
        if state not in NIC_TRANSIT:
            raise PermanentError(f"private NIC {nic.id} ended in state {state!r}")
        return poll_wait(ctx, PollKind.PRIVATE_NIC, "attaching", f"private NIC is {state}")

    async def _create_nic(
        self, client: ScalewayClient, params: AttachServerParams, tag: str
    ) -> Any | None:
        try:
            return await create_private_nic(
                client, params.zone, params.server_id, params.private_network_id, [tag]
            )
        except NotFound as exc:
            raise NotFound(
                f"private network {params.private_network_id} was not found in the region of "
                f"{params.zone}; list_private_networks shows the networks there",
                status=404,
                resource="private_network",
                resource_id=params.private_network_id,
            ) from exc
        except Conflict as exc:
            if exc.type == "already_exists":
                return None
            raise

    async def on_cancel(self, ctx: StepContext[AttachServerParams]) -> JSON | None:
        nic_id = ctx.checkpoint.get("nic_id")
        return {"private_nic": {"id": nic_id} if nic_id else None}


async def _existing_nic(client: ScalewayClient, params: AttachServerParams) -> Any | None:
    """The server's NIC on this private network, if there is one."""
    return await nic_on_network(client, params.zone, params.server_id, params.private_network_id)


class DetachServer(Operation[AttachServerParams]):
    """Remove a server's private NIC on a network and wait until it is gone."""

    name = "network.detach_server"
    params_model = AttachServerParams
    identity = ("zone", "server_id", "private_network_id")
    touches = (CacheKind.SERVERS, CacheKind.PRIVATE_NETWORKS)

    async def step(self, ctx: StepContext[AttachServerParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        if "nic_id" not in ctx.checkpoint:
            nic = await _existing_nic(client, params)
            if nic is None:
                return Done({**params.model_dump(), "detached": None, "already": True})
            await ctx.save(Progress("detaching", f"removing private NIC {nic.id}"), nic_id=nic.id)
        nic_id = ctx.checkpoint["nic_id"]
        if not ctx.checkpoint.get("delete_sent"):
            await delete_private_nic(client, params.zone, params.server_id, nic_id)
            await ctx.save(delete_sent=True)
        if await private_nic_exists(client, params.zone, params.server_id, nic_id):
            return poll_wait(ctx, PollKind.PRIVATE_NIC, "detaching", f"private NIC {nic_id} goes")
        return Done({**params.model_dump(), "detached": nic_id, "already": False})


class DeleteNetworkParams(BaseModel):
    """Parameters of ``network.delete_private_network``."""

    region: str
    private_network_id: str


class DeletePrivateNetwork(Operation[DeleteNetworkParams]):
    """Delete a private network nothing uses (checked again just before the call)."""

    name = "network.delete_private_network"
    params_model = DeleteNetworkParams
    identity = ("region", "private_network_id")
    touches = (CacheKind.PRIVATE_NETWORKS,)

    async def step(self, ctx: StepContext[DeleteNetworkParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        pn_id = params.private_network_id
        if await private_network_exists(client, params.region, pn_id):
            dependents = await network_dependents(client, params.region, pn_id)
            if dependents:
                raise InUse(f"private network {pn_id}", dependents, DETACH_ADVICE)
            try:
                await delete_private_network(client, params.region, pn_id)
            except Conflict as exc:
                raise InUse(f"private network {pn_id}", [str(exc)], DETACH_ADVICE) from exc
        return Done({"deleted": pn_id, "region": params.region})


CREATE_PRIVATE_NETWORK = CreatePrivateNetwork()
ATTACH_SERVER = AttachServer()
DETACH_SERVER = DetachServer()
DELETE_PRIVATE_NETWORK = DeletePrivateNetwork()
OPERATIONS: list[AnyOperation] = [
    CREATE_PRIVATE_NETWORK,
    ATTACH_SERVER,
    DETACH_SERVER,
    DELETE_PRIVATE_NETWORK,
]
