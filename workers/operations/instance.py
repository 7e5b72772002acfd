"""Instance operations: create, start, stop, reboot and delete servers, polling until they
settle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from jobs.models import JSON, Progress
from workers.cache import CacheKind
from workers.errors import PermanentError
from workers.leftovers import Trace
from workers.operations.power import drive_power
from workers.operations.waiting import poll_wait
from workers.polling import PollKind
from workers.scaleway.errors import NotFound
from workers.scaleway.instance import (
    RUNNING,
    STOPPED,
    block_volume_sizes,
    create_server,
    delete_ip,
    delete_server,
    delete_volume,
    find_server_by_tag,
    get_server,
    sbs_root_volume,
    server_action,
    server_exists,
    state_text,
)
from workers.scaleway.summaries import server_result

if TYPE_CHECKING:
    from scaleway.instance.v1 import Server

    from workers.scaleway.client import ScalewayClient

from workers.scaleway.presence import job_tag
from workers.steps import CREATE_REJOIN_S, AnyOperation, Done, Operation, StepContext, StepOutcome


async def described(client: ScalewayClient, zone: str, server: Server) -> JSON:
    """A created server's result, with the block volume sizes the Instance API leaves out."""
    return server_result(server, await block_volume_sizes(client, zone, server))


class CreateServerParams(BaseModel):
    """Parameters of ``instance.create_server`` (type and image already checked by the tool)."""

    zone: str
    name: str
    commercial_type: str
    image: str
    tags: list[str] = Field(default_factory=list)
    volume_size_gb: int | None = None
    start: bool = True
    project_id: str | None = None


class ServerRef(BaseModel):
    """A server in a zone."""

    zone: str
    server_id: str


class DeleteServerParams(ServerRef):
    """Parameters of ``instance.delete_server``."""

    delete_volumes: bool = True
    delete_ips: bool = True


class CreateServer(Operation[CreateServerParams]):
    """Create a server tagged with the job id, optionally power it on, wait for ``running``."""

    name = "instance.create_server"
    params_model = CreateServerParams
    identity = ("zone", "project_id", "name")
    rejoin_succeeded_s = CREATE_REJOIN_S
    touches = (CacheKind.SERVERS,)
    traces = (
        Trace(
            "server_id",
            lambda ctx: find_server_by_tag(
                ctx.services.scaleway_client(),
                ctx.params.zone,
                job_tag(ctx.job.id),
            ),
        ),
    )

    async def step(self, ctx: StepContext[CreateServerParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        if "server_id" not in ctx.checkpoint:
            tag = job_tag(ctx.job.id)
            # A resumed job looks for its tag first: the create may have happened already.
            server = await client.create_once(
                lambda: find_server_by_tag(client, params.zone, tag),
                lambda: self._create(ctx, params, tag),
            )
            await ctx.save(
                Progress("created", f"server {server.name} created ({state_text(server.state)})"),
                server_id=server.id,
            )
        server = await get_server(client, params.zone, ctx.checkpoint["server_id"])
        if not params.start:
            return Done(await described(client, params.zone, server))
        outcome = await drive_power(ctx, client, server, RUNNING, phase="starting")
        return outcome or Done(await described(client, params.zone, server))

    async def _create(
        self, ctx: StepContext[CreateServerParams], params: CreateServerParams, tag: str
    ) -> Server:
        # The type and image were checked by the tool before the job existed (one look-up,
        # not two); a value the API still refuses fails the job with the API's message.
        client = ctx.services.scaleway_client()
        volumes = sbs_root_volume(params.volume_size_gb) if params.volume_size_gb else None
        return await create_server(
            client,
            params.zone,
            commercial_type=params.commercial_type,
            name=params.name,
            image=params.image,
            tags=[*params.tags, tag],
            project_id=params.project_id,
            volumes=volumes,
        )

    async def on_cancel(self, ctx: StepContext[CreateServerParams]) -> JSON | None:
        server_id = (await self.leftovers(ctx)).get("server_id")
        if not server_id:
            return {"created": None, "note": "no server was created"}
        return {
            "created": {"server_id": server_id, "zone": ctx.params.zone},
            "note": "the server exists; delete_instance removes it",
        }


class PowerServer(Operation[ServerRef]):
    """Bring a server to a power state; a server already there succeeds at once."""

    target: str
    phase: str

    async def step(self, ctx: StepContext[ServerRef]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        server = await get_server(client, params.zone, params.server_id)
        outcome = await drive_power(ctx, client, server, self.target, phase=self.phase)
        if outcome is not None:
            return outcome
        result = server_result(server)
        result["already"] = not ctx.checkpoint.get("actions")
        return Done(result)


class StartServer(PowerServer):
    """Power a server on and wait for ``running``."""

    name = "instance.start_server"
    params_model = ServerRef
    identity = ("zone", "server_id")
    touches = (CacheKind.SERVERS,)
    target = RUNNING
    phase = "starting"


class StopServer(PowerServer):
    """Power a server off and wait for ``stopped``."""

    name = "instance.stop_server"
    params_model = ServerRef
    identity = ("zone", "server_id")
    touches = (CacheKind.SERVERS,)
    target = STOPPED
    phase = "stopping"


class RebootServer(Operation[ServerRef]):
    """Reboot a running server and wait until it runs again."""

    name = "instance.reboot_server"
    params_model = ServerRef
    identity = ("zone", "server_id")
    touches = (CacheKind.SERVERS,)

    async def step(self, ctx: StepContext[ServerRef]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        server = await get_server(client, params.zone, params.server_id)
        state = state_text(server.state)
        if not ctx.checkpoint.get("reboot_sent"):
            if state != RUNNING:
                raise PermanentError(
                    f"server {server.id} is {state!r}; only a running server reboots "
                    "(start_instance powers it on)"
                )
            await server_action(client, params.zone, server.id, "reboot")
            await ctx.save(Progress("rebooting", f"server {server.name} reboots"), reboot_sent=True)
            return poll_wait(ctx, PollKind.SERVER, "rebooting", f"server {server.name} reboots")
        if state == RUNNING:
            return Done(server_result(server))
        if state not in ("stopping", "starting"):
            raise PermanentError(f"server {server.id} is {state!r} after its reboot")
        return poll_wait(ctx, PollKind.SERVER, "rebooting", f"server {server.name} is {state}")


class DeleteServer(Operation[DeleteServerParams]):
    """Power off, wait for ``stopped``, delete the server, then its volumes and IPs."""

    name = "instance.delete_server"
    params_model = DeleteServerParams
    identity = ("zone", "server_id")
    touches = (CacheKind.SERVERS,)

    async def step(self, ctx: StepContext[DeleteServerParams]) -> StepOutcome:
        params = ctx.params
        client = ctx.services.scaleway_client()
        cp = ctx.checkpoint
        if "volumes" not in cp:
            server = await get_server(client, params.zone, params.server_id)
            if server.protected:
                raise PermanentError(
                    f"server {server.id} is protected; remove the protection before deleting it"
                )
            # Remember what belongs to the server before it disappears.
            volumes = [
                {"id": v.id, "type": state_text(v.volume_type).replace(" ", "_")}
                for v in (server.volumes or {}).values()
            ]
            ips = [ip.id for ip in (server.public_ips or []) if getattr(ip, "id", None)]
            await ctx.save(
                Progress("inventory", "listed volumes and IPs"), volumes=volumes, ips=ips
            )
        if not cp.get("server_deleted"):
            present: Server | None
            try:
                present = await get_server(client, params.zone, params.server_id)
            except NotFound:
                present = None
            if present is not None:
                outcome = await drive_power(ctx, client, present, STOPPED, phase="stopping")
                if outcome is not None:
                    return outcome
                await delete_server(client, params.zone, present.id)
            await ctx.save(Progress("deleted", "server deleted"), server_deleted=True)
        return await self._cleanup(ctx, params)

    async def _cleanup(
        self, ctx: StepContext[DeleteServerParams], params: DeleteServerParams
    ) -> StepOutcome:
        client = ctx.services.scaleway_client()
        cp = ctx.checkpoint
        if await server_exists(client, params.zone, params.server_id):
            return poll_wait(ctx, PollKind.SERVER, "deleting", "waiting for the server to go")
        deleted_volumes = list(cp.get("deleted_volumes", []))
        if params.delete_volumes:
            for volume in cp["volumes"]:
                if volume["id"] in deleted_volumes:
                    continue
                sbs = volume["type"] == "sbs_volume"
                await delete_volume(client, params.zone, volume["id"], sbs=sbs)
                deleted_volumes.append(volume["id"])
                await ctx.save(deleted_volumes=deleted_volumes)
        deleted_ips = list(cp.get("deleted_ips", []))
        if params.delete_ips:
            for ip_id in cp["ips"]:
                if ip_id in deleted_ips:
                    continue
                await delete_ip(client, params.zone, ip_id)
                deleted_ips.append(ip_id)
                await ctx.save(deleted_ips=deleted_ips)
        kept_volumes = [v["id"] for v in cp["volumes"] if v["id"] not in deleted_volumes]
        return Done(
            {
                "deleted": params.server_id,
                "zone": params.zone,
                "deleted_volumes": deleted_volumes,
                "deleted_ips": deleted_ips,
                "kept_volumes": kept_volumes,
                "kept_ips": [i for i in cp["ips"] if i not in deleted_ips],
            }
        )

    async def on_cancel(self, ctx: StepContext[DeleteServerParams]) -> JSON | None:
        deleted = bool(ctx.checkpoint.get("server_deleted"))
        return {
            "server_deleted": deleted,
            "server_id": ctx.params.server_id,
            "note": "the server is deleted; its volumes and IPs may remain"
            if deleted
            else "the server still exists (perhaps powered off)",
        }


CREATE_SERVER = CreateServer()
START_SERVER = StartServer()
STOP_SERVER = StopServer()
REBOOT_SERVER = RebootServer()
DELETE_SERVER = DeleteServer()
OPERATIONS: list[AnyOperation] = [
    CREATE_SERVER,
    START_SERVER,
    STOP_SERVER,
    REBOOT_SERVER,
    DELETE_SERVER,
]
